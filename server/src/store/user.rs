//! Users of a tenant (admins, supervisors, agents) and the platform's own admins.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageRequest, PlatformTx, TenantId};

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    /// `null` for platform admins.
    pub tenant_id: Option<Uuid>,
    pub email: String,
    pub display_name: String,
    /// `tenant_admin`, `supervisor`, `agent` or `platform_admin`.
    pub role: String,
    /// `active` or `disabled`.
    pub status: String,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What sign-in needs to check a password.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub role: String,
    pub status: String,
    pub password_hash: String,
}

/// A new user, validated, with the password already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub password_hash: Option<String>,
}

/// Filters of the user list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<String>,
    /// Case-insensitive substring of the name or email, already escaped for `ilike`.
    pub search: Option<String>,
}

pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    filter: &UserFilter,
    page: PageRequest,
) -> Result<(Vec<User>, Option<Uuid>), sqlx::Error> {
    let rows = sqlx::query_as!(
        User,
        "select id, tenant_id, email, display_name, role, status, last_login_at, created_at, updated_at
         from app_user
         where tenant_id = $1
           and ($2::uuid is null or id > $2)
           and ($3::text is null or role = $3)
           and ($4::text is null or display_name ilike $4 or email ilike $4)
         order by id limit $5",
        tenant.0,
        page.after,
        filter.role,
        filter.search,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(page.finish(rows, |u| u.id))
}

pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "select id, tenant_id, email, display_name, role, status, last_login_at, created_at, updated_at
         from app_user where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await
}

/// A platform admin, by id.
pub async fn get_platform_admin(
    ptx: &mut PlatformTx,
    id: Uuid,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "select id, tenant_id, email, display_name, role, status, last_login_at, created_at, updated_at
         from app_user where tenant_id is null and id = $1",
        id
    )
    .fetch_optional(ptx.conn())
    .await
}

/// Create a user in `tenant`. A taken email fails with `app_user_tenant_id_email_key`.
pub async fn insert(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    new: &NewUser,
) -> Result<User, sqlx::Error> {
    sqlx::query_as!(
        User,
        "insert into app_user (id, tenant_id, email, display_name, role, password_hash)
         values ($1, $2, $3, $4, $5, $6)
         returning id, tenant_id, email, display_name, role, status, last_login_at, created_at, updated_at",
        id,
        tenant.0,
        new.email,
        new.display_name,
        new.role,
        new.password_hash
    )
    .fetch_one(conn)
    .await
}

/// Create a platform admin (no tenant).
pub async fn insert_platform_admin(
    ptx: &mut PlatformTx,
    id: Uuid,
    new: &NewUser,
) -> Result<User, sqlx::Error> {
    sqlx::query_as!(
        User,
        "insert into app_user (id, tenant_id, email, display_name, role, password_hash)
         values ($1, null, $2, $3, 'platform_admin', $4)
         returning id, tenant_id, email, display_name, role, status, last_login_at, created_at, updated_at",
        id,
        new.email,
        new.display_name,
        new.password_hash
    )
    .fetch_one(ptx.conn())
    .await
}

pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    patch: &UserPatch,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "update app_user set
            display_name = coalesce($3, display_name),
            role = coalesce($4, role),
            status = coalesce($5, status),
            password_hash = coalesce($6, password_hash),
            updated_at = now()
         where tenant_id = $1 and id = $2
         returning id, tenant_id, email, display_name, role, status, last_login_at, created_at, updated_at",
        tenant.0,
        id,
        patch.display_name,
        patch.role,
        patch.status,
        patch.password_hash
    )
    .fetch_optional(conn)
    .await
}

pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from app_user where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Active users of `tenant` with a role, e.g. to keep the last admin from being removed.
pub async fn count_active_with_role(
    conn: &mut PgConnection,
    tenant: TenantId,
    role: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from app_user where tenant_id = $1 and role = $2 and status = 'active'"#,
        tenant.0,
        role
    )
    .fetch_one(conn)
    .await
}

/// Credentials of a tenant user by email, for sign-in.
pub async fn credentials(
    conn: &mut PgConnection,
    tenant: TenantId,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as!(
        Credentials,
        "select id, tenant_id, role, status, password_hash from app_user where tenant_id = $1 and email = $2",
        tenant.0,
        email
    )
    .fetch_optional(conn)
    .await
}

/// Credentials of a platform admin by email, for sign-in.
pub async fn platform_credentials(
    ptx: &mut PlatformTx,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as!(
        Credentials,
        "select id, tenant_id, role, status, password_hash from app_user where tenant_id is null and email = $1",
        email
    )
    .fetch_optional(ptx.conn())
    .await
}

/// Credentials by id (refresh checks the user is still active; a password change re-checks).
pub async fn credentials_by_id(
    conn: &mut PgConnection,
    tenant: Option<TenantId>,
    id: Uuid,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as!(
        Credentials,
        "select id, tenant_id, role, status, password_hash from app_user
         where id = $2 and tenant_id is not distinct from $1",
        tenant.map(|t| t.0),
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn record_login(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update app_user set last_login_at = now() where id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}
