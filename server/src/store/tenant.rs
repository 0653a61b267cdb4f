//! Tenants. Reading one's own tenant is tenant-scoped; listing, creating and changing tenants is
//! platform work and takes a [`PlatformTx`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageRequest, PlatformTx, TenantId};

/// A tenant: one call center, hotline or client company, isolated from all others.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tenant {
    pub id: Uuid,
    /// Short name used at sign-in, e.g. `acme`.
    pub slug: String,
    pub name: String,
    /// IANA time zone for business hours and reports.
    pub time_zone: String,
    /// Default language of the tenant's users, e.g. `en`, `bg`, `ru`.
    pub locale: String,
    /// ISO country whose dialling plan reads national phone numbers.
    pub country: String,
    /// `active` or `suspended` (a suspended tenant's users cannot sign in).
    pub status: String,
    pub max_concurrent_calls: i32,
    pub max_agents: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Fields of a new tenant, already validated.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub locale: String,
    pub country: String,
    pub max_concurrent_calls: i32,
    pub max_agents: i32,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub country: Option<String>,
    pub status: Option<String>,
    pub max_concurrent_calls: Option<i32>,
    pub max_agents: Option<i32>,
}

/// The caller's own tenant.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, tenant: TenantId) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query_as!(Tenant, "select * from tenant where id = $1", tenant.0)
        .fetch_optional(conn)
        .await
}

/// The id and status of the tenant with this slug (sign-in resolves the tenant before anyone is
/// authenticated).
pub async fn find_by_slug(
    ptx: &mut PlatformTx,
    slug: &str,
) -> Result<Option<(TenantId, String)>, sqlx::Error> {
    let row = sqlx::query!("select id, status from tenant where slug = $1", slug)
        .fetch_optional(ptx.conn())
        .await?;
    Ok(row.map(|r| (TenantId(r.id), r.status)))
}

/// Any tenant, by id (platform).
pub async fn get_any(ptx: &mut PlatformTx, id: Uuid) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query_as!(Tenant, "select * from tenant where id = $1", id)
        .fetch_optional(ptx.conn())
        .await
}

/// All tenants, a page at a time (platform).
pub async fn list(
    ptx: &mut PlatformTx,
    page: PageRequest,
    status: Option<&str>,
) -> Result<(Vec<Tenant>, Option<Uuid>), sqlx::Error> {
    let rows = sqlx::query_as!(
        Tenant,
        "select * from tenant
         where ($1::uuid is null or id > $1) and ($2::text is null or status = $2)
         order by id limit $3",
        page.after,
        status,
        page.fetch_limit()
    )
    .fetch_all(ptx.conn())
    .await?;
    Ok(page.finish(rows, |t| t.id))
}

/// Create a tenant (platform). A taken slug fails with the `tenant_slug_key` violation.
pub async fn insert(
    ptx: &mut PlatformTx,
    id: Uuid,
    new: &NewTenant,
) -> Result<Tenant, sqlx::Error> {
    sqlx::query_as!(
        Tenant,
        "insert into tenant (id, slug, name, time_zone, locale, country, max_concurrent_calls, max_agents)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         returning *",
        id,
        new.slug,
        new.name,
        new.time_zone,
        new.locale,
        new.country,
        new.max_concurrent_calls,
        new.max_agents
    )
    .fetch_one(ptx.conn())
    .await
}

/// Change a tenant (platform). `None` if there is no such tenant.
pub async fn update(
    ptx: &mut PlatformTx,
    id: Uuid,
    patch: &TenantPatch,
) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query_as!(
        Tenant,
        "update tenant set
            name = coalesce($2, name),
            time_zone = coalesce($3, time_zone),
            locale = coalesce($4, locale),
            country = coalesce($5, country),
            status = coalesce($6, status),
            max_concurrent_calls = coalesce($7, max_concurrent_calls),
            max_agents = coalesce($8, max_agents),
            updated_at = now()
         where id = $1
         returning *",
        id,
        patch.name,
        patch.time_zone,
        patch.locale,
        patch.country,
        patch.status,
        patch.max_concurrent_calls,
        patch.max_agents
    )
    .fetch_optional(ptx.conn())
    .await
}

/// Delete a tenant and, by cascade, everything it owns (platform). Whether it existed.
pub async fn delete(ptx: &mut PlatformTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!("delete from tenant where id = $1", id)
        .execute(ptx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}
