//! A tenant's blacklist: numbers and prefixes whose calls get a treatment instead of service.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::TenantId;

/// A blocked number or prefix.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BlockedNumber {
    pub id: Uuid,
    /// E.164 (`+15550101001`), or a prefix ending in `*` (`+1900*`).
    pub pattern: String,
    pub reason: Option<String>,
    /// `busy` (486) or `silent` (603, declined without a word).
    pub treatment: String,
    /// After this the entry no longer blocks; none blocks for good.
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<BlockedNumber>, sqlx::Error> {
    sqlx::query_as!(
        BlockedNumber,
        "select id, pattern, reason, treatment, expires_at, created_at from blocked_number
         where tenant_id = $1 order by pattern limit 10000",
        tenant.0
    )
    .fetch_all(conn)
    .await
}

/// A taken pattern fails with `blocked_number_tenant_id_pattern_key`.
pub async fn insert(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    pattern: &str,
    reason: Option<&str>,
    treatment: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<BlockedNumber, sqlx::Error> {
    sqlx::query_as!(
        BlockedNumber,
        "insert into blocked_number (id, tenant_id, pattern, reason, treatment, expires_at)
         values ($1, $2, $3, $4, $5, $6)
         returning id, pattern, reason, treatment, expires_at, created_at",
        id,
        tenant.0,
        pattern,
        reason,
        treatment,
        expires_at
    )
    .fetch_one(conn)
    .await
}

pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from blocked_number where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The entry that blocks `number` (E.164) at `now`: the exact number first, else the longest
/// matching prefix.
pub async fn matching(
    conn: &mut PgConnection,
    tenant: TenantId,
    number: &str,
    now: DateTime<Utc>,
) -> Result<Option<BlockedNumber>, sqlx::Error> {
    sqlx::query_as!(
        BlockedNumber,
        "select id, pattern, reason, treatment, expires_at, created_at from blocked_number
         where tenant_id = $1 and (expires_at is null or expires_at > $3)
           and (pattern = $2 or (right(pattern, 1) = '*' and starts_with($2, rtrim(pattern, '*'))))
         order by (pattern = $2) desc, length(pattern) desc limit 1",
        tenant.0,
        number,
        now
    )
    .fetch_optional(conn)
    .await
}
