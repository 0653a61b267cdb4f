//! Users of a tenant: tenant admins manage them; supervisors may read them; everyone may read
//! and edit their own name and password.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::audit::entry;
use super::error::{ApiError, Validator};
use super::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, IdPath};
use super::page::{Page, contains_pattern, page_request};
use crate::auth::{Principal, PrincipalKind, password};
use crate::domain::{Email, Role, check_password, check_text};
use crate::store::user::{NewUser, User, UserFilter, UserPatch};
use crate::store::{TenantId, Tx, audit, is_unique_violation, new_id, refresh_token, tenant, user};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Only users with this role.
    pub role: Option<Role>,
    /// Case-insensitive text in the name or email.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub display_name: String,
    /// `tenant_admin`, `supervisor` or `agent`.
    pub role: Role,
    /// At least 10 characters.
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `active` or `disabled`. Disabling signs the user out everywhere.
    pub status: Option<String>,
    /// A new password. Changing it signs the user out everywhere.
    pub password: Option<String>,
}

#[utoipa::path(
    get, path = "/users", tag = "users", params(UserQuery),
    responses((status = 200, body = Page<User>), (status = 403, body = super::error::Problem))
)]
async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<axum::Json<Page<User>>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let filter = UserFilter {
        role: q.role.map(|r| r.as_str().to_owned()),
        search: contains_pattern(q.q.as_deref()),
    };
    let mut tx = state.store.tenant_tx(tenant).await?;
    let rows = user::list(&mut tx, tenant, &filter, page).await?;
    tx.commit().await?;
    Ok(axum::Json(Page::new(rows)))
}

#[utoipa::path(
    post, path = "/users", tag = "users", request_body = CreateUser,
    responses(
        (status = 201, body = User),
        (status = 403, body = super::error::Problem),
        (status = 409, body = super::error::Problem, description = "Email taken or agent quota reached"),
        (status = 422, body = super::error::Problem),
    )
)]
async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let mut v = Validator::default();
    let email = v.check("email", Email::parse(&body.email));
    let name = v.check("display_name", check_text(&body.display_name, 120));
    v.check("password", check_password(&body.password));
    if body.role == Role::PlatformAdmin {
        v.add("role", "must be tenant_admin, supervisor or agent");
    }
    let (Some(email), Some(display_name)) = (email, name) else {
        return Err(v.into_error());
    };
    v.finish()?;
    let hash = hash_password(body.password).await?;

    let mut tx = state.store.tenant_tx(tenant).await?;
    if body.role == Role::Agent {
        check_agent_quota(&mut tx, tenant).await?;
    }
    let new = NewUser {
        email: email.as_str().to_owned(),
        display_name,
        role: body.role.as_str().to_owned(),
        password_hash: hash,
    };
    let created = user::insert(&mut tx, tenant, new_id(), &new)
        .await
        .map_err(|e| {
            if is_unique_violation(&e, "app_user_tenant_id_email_key") {
                ApiError::Conflict {
                    code: "email_taken",
                    detail: "a user with this email already exists".into(),
                }
            } else {
                e.into()
            }
        })?;
    let details = json!({ "email": created.email, "role": created.role });
    audit::record(
        &mut tx,
        &entry(
            &principal,
            addr,
            "user.create",
            "user",
            Some(created.id),
            details,
        ),
    )
    .await?;
    tx.commit().await?;
    let location = format!("/api/v1/users/{}", created.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(created),
    ))
}

async fn check_agent_quota(tx: &mut Tx, tenant: TenantId) -> Result<(), ApiError> {
    let max = tenant::get(tx, tenant)
        .await?
        .map_or(0, |t| i64::from(t.max_agents));
    if user::count_active_with_role(tx, tenant, "agent").await? >= max {
        return Err(ApiError::Conflict {
            code: "quota_exceeded",
            detail: format!("the tenant's quota of {max} agents is reached"),
        });
    }
    Ok(())
}

pub(crate) async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(std::io::Error::other(e.to_string())))
}

/// Whether `principal` is the user `id` itself (not an API key).
fn is_self(principal: &Principal, id: uuid::Uuid) -> bool {
    principal.kind == PrincipalKind::User && principal.id == id
}

#[utoipa::path(
    get, path = "/users/{id}", tag = "users", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = User), (status = 404, body = super::error::Problem))
)]
async fn get_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<User>, ApiError> {
    let tenant = if is_self(&principal, id) {
        principal.tenant()?
    } else {
        principal.require(Role::Supervisor)?
    };
    let mut tx = state.store.tenant_tx(tenant).await?;
    let found = user::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(axum::Json(found))
}

#[utoipa::path(
    patch, path = "/users/{id}", tag = "users", params(("id" = uuid::Uuid, Path)),
    request_body = UpdateUser,
    responses(
        (status = 200, body = User),
        (status = 404, body = super::error::Problem),
        (status = 409, body = super::error::Problem, description = "Would leave the tenant without an active admin"),
        (status = 422, body = super::error::Problem),
    )
)]
async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<axum::Json<User>, ApiError> {
    let tenant = principal.tenant()?;
    let admin = principal.role.at_least(Role::TenantAdmin);
    // Users may change their own name and password; everything else is the admin's.
    let own_fields_only = body.role.is_none() && body.status.is_none();
    if !(admin || (is_self(&principal, id) && own_fields_only)) {
        return Err(ApiError::Forbidden);
    }
    let mut v = Validator::default();
    let display_name = body
        .display_name
        .as_deref()
        .and_then(|n| v.check("display_name", check_text(n, 120)));
    if let Some(p) = &body.password {
        v.check("password", check_password(p));
    }
    if body.role == Some(Role::PlatformAdmin) {
        v.add("role", "must be tenant_admin, supervisor or agent");
    }
    if body
        .status
        .as_deref()
        .is_some_and(|s| s != "active" && s != "disabled")
    {
        v.add("status", "must be active or disabled");
    }
    v.finish()?;
    let password_hash = match body.password {
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };

    let mut tx = state.store.tenant_tx(tenant).await?;
    let before = user::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let demotes_admin = before.role == "tenant_admin"
        && (body.role.is_some_and(|r| r != Role::TenantAdmin)
            || body.status.as_deref() == Some("disabled"));
    if demotes_admin && user::count_active_with_role(&mut tx, tenant, "tenant_admin").await? <= 1 {
        return Err(ApiError::Conflict {
            code: "last_admin",
            detail: "the tenant must keep at least one active admin".into(),
        });
    }
    if body.role == Some(Role::Agent) && before.role != "agent" {
        check_agent_quota(&mut tx, tenant).await?;
    }
    let patch = UserPatch {
        display_name,
        role: body.role.map(|r| r.as_str().to_owned()),
        status: body.status.clone(),
        password_hash,
    };
    let updated = user::update(&mut tx, tenant, id, &patch)
        .await?
        .ok_or(ApiError::NotFound)?;
    let signs_out = patch.password_hash.is_some() || body.status.as_deref() == Some("disabled");
    if signs_out {
        refresh_token::revoke_user(&mut tx, id).await?;
    }
    let details = json!({
        "display_name": patch.display_name,
        "role": patch.role,
        "status": patch.status,
        "password_changed": patch.password_hash.is_some(),
    });
    audit::record(
        &mut tx,
        &entry(&principal, addr, "user.update", "user", Some(id), details),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(updated))
}

#[utoipa::path(
    delete, path = "/users/{id}", tag = "users", params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = super::error::Problem),
        (status = 409, body = super::error::Problem, description = "Cannot delete yourself"),
    )
)]
async fn delete_user(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    if is_self(&principal, id) {
        return Err(ApiError::Conflict {
            code: "cannot_delete_self",
            detail: "you cannot delete your own account".into(),
        });
    }
    let mut tx = state.store.tenant_tx(tenant).await?;
    let gone = user::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    user::delete(&mut tx, tenant, id).await?;
    let details = json!({ "email": gone.email, "role": gone.role });
    audit::record(
        &mut tx,
        &entry(&principal, addr, "user.delete", "user", Some(id), details),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
