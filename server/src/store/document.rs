//! A tenant's named JSON documents that routing reads: business-hours schedules and IVR flows.
//! The server validates a document before it is stored; here it is only kept.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::TenantId;

/// Which kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `schedule` (business hours).
    Schedule,
    /// `ivr_flow`.
    IvrFlow,
}

/// A stored document.
#[derive(Debug, Clone)]
pub struct Document {
    pub id: Uuid,
    pub name: String,
    pub body: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A tenant's documents of a kind, by name.
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    kind: Kind,
) -> Result<Vec<Document>, sqlx::Error> {
    match kind {
        Kind::Schedule => {
            sqlx::query_as!(
                Document,
                "select id, name, hours as body, created_at, updated_at from schedule
                 where tenant_id = $1 order by name limit 1000",
                tenant.0
            )
            .fetch_all(conn)
            .await
        }
        Kind::IvrFlow => {
            sqlx::query_as!(
                Document,
                "select id, name, flow as body, created_at, updated_at from ivr_flow
                 where tenant_id = $1 order by name limit 1000",
                tenant.0
            )
            .fetch_all(conn)
            .await
        }
    }
}

pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    kind: Kind,
    id: Uuid,
) -> Result<Option<Document>, sqlx::Error> {
    match kind {
        Kind::Schedule => {
            sqlx::query_as!(
                Document,
                "select id, name, hours as body, created_at, updated_at from schedule
                 where tenant_id = $1 and id = $2",
                tenant.0,
                id
            )
            .fetch_optional(conn)
            .await
        }
        Kind::IvrFlow => {
            sqlx::query_as!(
                Document,
                "select id, name, flow as body, created_at, updated_at from ivr_flow
                 where tenant_id = $1 and id = $2",
                tenant.0,
                id
            )
            .fetch_optional(conn)
            .await
        }
    }
}

/// A taken name fails with `schedule_tenant_id_name_key` / `ivr_flow_tenant_id_name_key`.
pub async fn insert(
    conn: &mut PgConnection,
    tenant: TenantId,
    kind: Kind,
    id: Uuid,
    name: &str,
    body: &serde_json::Value,
) -> Result<Document, sqlx::Error> {
    match kind {
        Kind::Schedule => {
            sqlx::query_as!(
                Document,
                "insert into schedule (id, tenant_id, name, hours) values ($1, $2, $3, $4)
                 returning id, name, hours as body, created_at, updated_at",
                id,
                tenant.0,
                name,
                body
            )
            .fetch_one(conn)
            .await
        }
        Kind::IvrFlow => {
            sqlx::query_as!(
                Document,
                "insert into ivr_flow (id, tenant_id, name, flow) values ($1, $2, $3, $4)
                 returning id, name, flow as body, created_at, updated_at",
                id,
                tenant.0,
                name,
                body
            )
            .fetch_one(conn)
            .await
        }
    }
}

/// Replace a document's name and body.
pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    kind: Kind,
    id: Uuid,
    name: &str,
    body: &serde_json::Value,
) -> Result<Option<Document>, sqlx::Error> {
    match kind {
        Kind::Schedule => {
            sqlx::query_as!(
                Document,
                "update schedule set name = $3, hours = $4, updated_at = now()
                 where tenant_id = $1 and id = $2
                 returning id, name, hours as body, created_at, updated_at",
                tenant.0,
                id,
                name,
                body
            )
            .fetch_optional(conn)
            .await
        }
        Kind::IvrFlow => {
            sqlx::query_as!(
                Document,
                "update ivr_flow set name = $3, flow = $4, updated_at = now()
                 where tenant_id = $1 and id = $2
                 returning id, name, flow as body, created_at, updated_at",
                tenant.0,
                id,
                name,
                body
            )
            .fetch_optional(conn)
            .await
        }
    }
}

pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    kind: Kind,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = match kind {
        Kind::Schedule => {
            sqlx::query!(
                "delete from schedule where tenant_id = $1 and id = $2",
                tenant.0,
                id
            )
            .execute(conn)
            .await?
        }
        Kind::IvrFlow => {
            sqlx::query!(
                "delete from ivr_flow where tenant_id = $1 and id = $2",
                tenant.0,
                id
            )
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}
