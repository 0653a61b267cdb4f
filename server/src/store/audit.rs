//! The audit log: who changed what, when, from where. Written in the same transaction as the
//! change it describes, so one is never without the other.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageRequest, TenantId, new_id};

/// One audit entry to write.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// The tenant the change belongs to; `None` for platform-level changes.
    pub tenant: Option<TenantId>,
    /// `user`, `api_key` or `system`.
    pub actor_kind: &'static str,
    pub actor_id: Option<Uuid>,
    /// What happened, e.g. `user.create`.
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<Uuid>,
    pub details: serde_json::Value,
    pub source_ip: Option<String>,
}

/// An audit entry as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditRecord {
    pub id: Uuid,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub source_ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn record(conn: &mut PgConnection, entry: &AuditEntry) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into audit_log (id, tenant_id, actor_kind, actor_id, action, target_type, target_id, details, source_ip)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        new_id(),
        entry.tenant.map(|t| t.0),
        entry.actor_kind,
        entry.actor_id,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.details,
        entry.source_ip
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A tenant's audit log, oldest first.
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    action: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<AuditRecord>, Option<Uuid>), sqlx::Error> {
    let rows = sqlx::query_as!(
        AuditRecord,
        "select id, actor_kind, actor_id, action, target_type, target_id, details, source_ip, created_at
         from audit_log
         where tenant_id = $1 and ($2::uuid is null or id > $2) and ($3::text is null or action = $3)
         order by id limit $4",
        tenant.0,
        page.after,
        action,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(page.finish(rows, |r| r.id))
}
