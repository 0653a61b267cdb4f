//! API keys for integrations: scoped to one tenant with a role, stored as SHA-256 hashes of a
//! 256-bit random secret, revocable.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageRequest, TenantId};

/// An API key as listed (the secret is shown once, at creation, and never stored).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The role the key acts with: `tenant_admin`, `supervisor` or `agent`.
    pub role: String,
    pub created_by: Option<Uuid>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What authentication needs of a key.
#[derive(Debug, Clone)]
pub struct KeyAuth {
    pub role: String,
    pub key_hash: Vec<u8>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    name: &str,
    role: &str,
    hash: &[u8],
    created_by: Option<Uuid>,
) -> Result<ApiKey, sqlx::Error> {
    sqlx::query_as!(
        ApiKey,
        "insert into api_key (id, tenant_id, name, role, key_hash, created_by) values ($1, $2, $3, $4, $5, $6)
         returning id, name, role, created_by, last_used_at, revoked_at, created_at",
        id,
        tenant.0,
        name,
        role,
        hash,
        created_by
    )
    .fetch_one(conn)
    .await
}

pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    page: PageRequest,
) -> Result<(Vec<ApiKey>, Option<Uuid>), sqlx::Error> {
    let rows = sqlx::query_as!(
        ApiKey,
        "select id, name, role, created_by, last_used_at, revoked_at, created_at from api_key
         where tenant_id = $1 and ($2::uuid is null or id > $2) order by id limit $3",
        tenant.0,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(page.finish(rows, |k| k.id))
}

pub async fn for_auth(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<KeyAuth>, sqlx::Error> {
    sqlx::query_as!(
        KeyAuth,
        "select role, key_hash, revoked_at from api_key where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn touch(conn: &mut PgConnection, tenant: TenantId, id: Uuid) -> Result<(), sqlx::Error> {
    // At most once a minute per key, so authenticated traffic does not write on every request.
    sqlx::query!(
        "update api_key set last_used_at = now()
         where tenant_id = $1 and id = $2 and (last_used_at is null or last_used_at < now() - interval '1 minute')",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Revoke a key. Whether a live key was revoked.
pub async fn revoke(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "update api_key set revoked_at = now() where tenant_id = $1 and id = $2 and revoked_at is null",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
