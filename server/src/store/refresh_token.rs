//! Refresh tokens, stored as SHA-256 hashes. Each sign-in starts a family; each refresh marks the
//! presented token used and issues the next one in the family. Presenting a used token again
//! means it was copied: the whole family is revoked (RFC 6819 5.2.2.3, OAuth 2.0 Security BCP
//! 4.14.2).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::TenantId;

/// A stored refresh token.
#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    conn: &mut PgConnection,
    tenant: Option<TenantId>,
    user_id: Uuid,
    family_id: Uuid,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into refresh_token (id, tenant_id, user_id, family_id, token_hash, expires_at)
         values ($1, $2, $3, $4, $5, $6)",
        super::new_id(),
        tenant.map(|t| t.0),
        user_id,
        family_id,
        hash,
        expires_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The token with this hash, locked for the rest of the transaction so two concurrent refreshes
/// with one token cannot both succeed.
pub async fn find_for_update(
    conn: &mut PgConnection,
    tenant: Option<TenantId>,
    hash: &[u8],
) -> Result<Option<RefreshToken>, sqlx::Error> {
    match tenant {
        Some(t) => {
            sqlx::query_as!(
                RefreshToken,
                "select id, user_id, family_id, expires_at, used_at, revoked_at from refresh_token
                 where tenant_id = $1 and token_hash = $2 for update",
                t.0,
                hash
            )
            .fetch_optional(conn)
            .await
        }
        None => {
            sqlx::query_as!(
                RefreshToken,
                "select id, user_id, family_id, expires_at, used_at, revoked_at from refresh_token
                 where tenant_id is null and token_hash = $1 for update",
                hash
            )
            .fetch_optional(conn)
            .await
        }
    }
}

pub async fn mark_used(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("update refresh_token set used_at = now() where id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revoke every token of a family (sign-out, or reuse detected).
pub async fn revoke_family(conn: &mut PgConnection, family_id: Uuid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "update refresh_token set revoked_at = now() where family_id = $1 and revoked_at is null",
        family_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Revoke every token of a user (disabled, deleted or password changed).
pub async fn revoke_user(conn: &mut PgConnection, user_id: Uuid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "update refresh_token set revoked_at = now() where user_id = $1 and revoked_at is null",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
