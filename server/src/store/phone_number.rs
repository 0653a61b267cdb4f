//! Phone numbers: each owned by one tenant, pointing at the destination its calls go to.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageRequest, PlatformTx, TenantId};

/// A number and where its calls go.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhoneNumberRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// E.164, e.g. `+18005550100`.
    pub number: String,
    /// `echo` (the caller hears themselves) or `prompt_dtmf` (a prompt, then the digits read
    /// back); IVR flows and queues come later.
    pub destination: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A tenant's numbers.
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    page: PageRequest,
) -> Result<(Vec<PhoneNumberRecord>, Option<Uuid>), sqlx::Error> {
    let rows = sqlx::query_as!(
        PhoneNumberRecord,
        "select * from phone_number where tenant_id = $1 and ($2::uuid is null or id > $2) order by id limit $3",
        tenant.0,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(page.finish(rows, |n| n.id))
}

/// Every number, optionally of one tenant (platform).
pub async fn list_all(
    ptx: &mut PlatformTx,
    tenant: Option<Uuid>,
    page: PageRequest,
) -> Result<(Vec<PhoneNumberRecord>, Option<Uuid>), sqlx::Error> {
    let rows = sqlx::query_as!(
        PhoneNumberRecord,
        "select * from phone_number
         where ($1::uuid is null or tenant_id = $1) and ($2::uuid is null or id > $2) order by id limit $3",
        tenant,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(ptx.conn())
    .await?;
    Ok(page.finish(rows, |n| n.id))
}

/// Every number with its tenant, for the SIP edge's routing table.
pub async fn all(ptx: &mut PlatformTx) -> Result<Vec<PhoneNumberRecord>, sqlx::Error> {
    sqlx::query_as!(PhoneNumberRecord, "select * from phone_number order by id")
        .fetch_all(ptx.conn())
        .await
}

/// A number by id, in `tenant` (or any tenant with `None`, in platform scope).
pub async fn get(
    conn: &mut PgConnection,
    tenant: Option<TenantId>,
    id: Uuid,
) -> Result<Option<PhoneNumberRecord>, sqlx::Error> {
    sqlx::query_as!(
        PhoneNumberRecord,
        "select * from phone_number where id = $1 and ($2::uuid is null or tenant_id = $2)",
        id,
        tenant.map(|t| t.0)
    )
    .fetch_optional(conn)
    .await
}

/// Assign a number to a tenant (platform). A taken number fails with `phone_number_number_key`.
pub async fn insert(
    ptx: &mut PlatformTx,
    id: Uuid,
    tenant: TenantId,
    number: &str,
    destination: &str,
    label: Option<&str>,
) -> Result<PhoneNumberRecord, sqlx::Error> {
    sqlx::query_as!(
        PhoneNumberRecord,
        "insert into phone_number (id, tenant_id, number, destination, label) values ($1, $2, $3, $4, $5)
         returning *",
        id,
        tenant.0,
        number,
        destination,
        label
    )
    .fetch_one(ptx.conn())
    .await
}

/// Change where a number's calls go.
pub async fn update(
    conn: &mut PgConnection,
    tenant: Option<TenantId>,
    id: Uuid,
    destination: Option<&str>,
    label: Option<Option<&str>>,
) -> Result<Option<PhoneNumberRecord>, sqlx::Error> {
    sqlx::query_as!(
        PhoneNumberRecord,
        "update phone_number set destination = coalesce($3, destination),
                label = case when $4 then $5 else label end, updated_at = now()
         where id = $1 and ($2::uuid is null or tenant_id = $2)
         returning *",
        id,
        tenant.map(|t| t.0),
        destination,
        label.is_some(),
        label.flatten()
    )
    .fetch_optional(conn)
    .await
}

/// Release a number (platform).
pub async fn delete(ptx: &mut PlatformTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!("delete from phone_number where id = $1", id)
        .execute(ptx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}
