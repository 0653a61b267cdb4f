//! Tenants, managed by platform admins. Every route here runs in a platform-scope transaction
//! (it may cross tenants) and every change is audited in the same transaction.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, Validator};
use super::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, IdPath};
use super::page::{Page, page_request};
use super::users::hash_password;
use crate::auth::Principal;
use crate::domain::{
    DialPlan, Email, Slug, check_locale, check_password, check_text, check_time_zone,
};
use crate::store::audit::{self, AuditEntry};
use crate::store::tenant::{self, NewTenant, Tenant, TenantPatch};
use crate::store::user::{self, NewUser, User};
use crate::store::{PlatformTx, Store, TenantId, is_unique_violation, new_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tenants, create_tenant))
        .routes(routes!(get_tenant, update_tenant, delete_tenant))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TenantQuery {
    /// Only tenants with this status.
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The tenant's first admin, created with it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InitialAdmin {
    pub email: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    pub slug: String,
    pub name: String,
    /// IANA time zone; default `UTC`.
    pub time_zone: Option<String>,
    /// `en`, `bg`, `ru`, ...; default `en`.
    pub locale: Option<String>,
    /// ISO country of the tenant's national numbers; default `US`.
    pub country: Option<String>,
    /// Default 30.
    pub max_concurrent_calls: Option<i32>,
    /// Default 50.
    pub max_agents: Option<i32>,
    pub admin: Option<InitialAdmin>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub country: Option<String>,
    /// `active` or `suspended`.
    pub status: Option<String>,
    pub max_concurrent_calls: Option<i32>,
    pub max_agents: Option<i32>,
}

/// A created tenant and its first admin.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenant {
    #[serde(flatten)]
    pub tenant: Tenant,
    pub admin: Option<User>,
}

fn platform_audit(
    principal: &Principal,
    addr: Option<std::net::IpAddr>,
    tenant: Option<TenantId>,
    action: &'static str,
    target_id: Uuid,
    details: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        tenant,
        actor_kind: principal.actor_kind(),
        actor_id: Some(principal.id),
        action,
        target_type: "tenant",
        target_id: Some(target_id),
        details,
        source_ip: addr.map(|a| a.to_string()),
    }
}

async fn platform_tx(state: &AppState, principal: &Principal) -> Result<PlatformTx, ApiError> {
    principal.require_platform_admin()?;
    Ok(Store::platform_tx(&state.store).await?)
}

#[utoipa::path(
    get, path = "/tenants", tag = "tenants", params(TenantQuery),
    responses((status = 200, body = Page<Tenant>), (status = 403, body = super::error::Problem))
)]
async fn list_tenants(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<TenantQuery>,
) -> Result<axum::Json<Page<Tenant>>, ApiError> {
    let mut ptx = platform_tx(&state, &principal).await?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let rows = tenant::list(&mut ptx, page, q.status.as_deref()).await?;
    ptx.commit().await?;
    Ok(axum::Json(Page::new(rows)))
}

fn check_quota(v: &mut Validator, field: &str, value: Option<i32>) {
    if value.is_some_and(|n| !(0..=100_000).contains(&n)) {
        v.add(field, "must be between 0 and 100000");
    }
}

fn check_country(country: &str) -> Result<String, &'static str> {
    DialPlan::for_country(country)
        .map(|p| p.iso.to_owned())
        .ok_or("must be an ISO 3166-1 alpha-2 code of a supported country")
}

#[utoipa::path(
    post, path = "/tenants", tag = "tenants", request_body = CreateTenant,
    responses(
        (status = 201, body = CreatedTenant),
        (status = 403, body = super::error::Problem),
        (status = 409, body = super::error::Problem, description = "Slug taken"),
        (status = 422, body = super::error::Problem),
    )
)]
async fn create_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<CreateTenant>,
) -> Result<impl IntoResponse, ApiError> {
    principal.require_platform_admin()?;
    let mut v = Validator::default();
    let slug = v.check("slug", Slug::parse(&body.slug));
    let name = v.check("name", check_text(&body.name, 200));
    let time_zone = body.time_zone.unwrap_or_else(|| "UTC".into());
    v.check("time_zone", check_time_zone(&time_zone));
    let locale = body.locale.unwrap_or_else(|| "en".into());
    v.check("locale", check_locale(&locale));
    let country = v.check(
        "country",
        check_country(body.country.as_deref().unwrap_or("US")),
    );
    check_quota(&mut v, "max_concurrent_calls", body.max_concurrent_calls);
    check_quota(&mut v, "max_agents", body.max_agents);
    let admin = body.admin.as_ref().map(|a| {
        let email = v.check("admin.email", Email::parse(&a.email));
        let name = v.check("admin.display_name", check_text(&a.display_name, 120));
        v.check("admin.password", check_password(&a.password));
        (email, name, a.password.clone())
    });
    let (Some(slug), Some(name), Some(country)) = (slug, name, country) else {
        return Err(v.into_error());
    };
    let admin = match admin {
        Some((Some(email), Some(display_name), password)) => Some((email, display_name, password)),
        Some(_) => return Err(v.into_error()),
        None => None,
    };
    v.finish()?;
    let admin = match admin {
        Some((email, display_name, password)) => Some(NewUser {
            email: email.as_str().to_owned(),
            display_name,
            role: "tenant_admin".into(),
            password_hash: hash_password(password).await?,
        }),
        None => None,
    };
    let new = NewTenant {
        slug: slug.as_str().to_owned(),
        name,
        time_zone,
        locale,
        country,
        max_concurrent_calls: body.max_concurrent_calls.unwrap_or(30),
        max_agents: body.max_agents.unwrap_or(50),
    };
    let mut ptx = platform_tx(&state, &principal).await?;
    let created = tenant::insert(&mut ptx, new_id(), &new)
        .await
        .map_err(|e| {
            if is_unique_violation(&e, "tenant_slug_key") {
                ApiError::Conflict {
                    code: "slug_taken",
                    detail: format!("a tenant with slug '{}' already exists", new.slug),
                }
            } else {
                e.into()
            }
        })?;
    let tenant_id = TenantId(created.id);
    let admin = match admin {
        Some(a) => Some(user::insert(ptx.conn(), tenant_id, new_id(), &a).await?),
        None => None,
    };
    let details = json!({ "slug": created.slug, "admin": admin.as_ref().map(|a| &a.email) });
    audit::record(
        ptx.conn(),
        &platform_audit(
            &principal,
            addr,
            Some(tenant_id),
            "tenant.create",
            created.id,
            details,
        ),
    )
    .await?;
    ptx.commit().await?;
    let location = format!("/api/v1/tenants/{}", created.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(CreatedTenant {
            tenant: created,
            admin,
        }),
    ))
}

#[utoipa::path(
    get, path = "/tenants/{id}", tag = "tenants", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Tenant), (status = 404, body = super::error::Problem))
)]
async fn get_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<Tenant>, ApiError> {
    let mut ptx = platform_tx(&state, &principal).await?;
    let found = tenant::get_any(&mut ptx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    ptx.commit().await?;
    Ok(axum::Json(found))
}

#[utoipa::path(
    patch, path = "/tenants/{id}", tag = "tenants", params(("id" = uuid::Uuid, Path)),
    request_body = UpdateTenant,
    responses(
        (status = 200, body = Tenant),
        (status = 404, body = super::error::Problem),
        (status = 422, body = super::error::Problem),
    )
)]
async fn update_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<UpdateTenant>,
) -> Result<axum::Json<Tenant>, ApiError> {
    principal.require_platform_admin()?;
    let mut v = Validator::default();
    let name = body
        .name
        .as_deref()
        .and_then(|n| v.check("name", check_text(n, 200)));
    if let Some(tz) = &body.time_zone {
        v.check("time_zone", check_time_zone(tz));
    }
    if let Some(l) = &body.locale {
        v.check("locale", check_locale(l));
    }
    let country = body
        .country
        .as_deref()
        .and_then(|c| v.check("country", check_country(c)));
    if body
        .status
        .as_deref()
        .is_some_and(|s| s != "active" && s != "suspended")
    {
        v.add("status", "must be active or suspended");
    }
    check_quota(&mut v, "max_concurrent_calls", body.max_concurrent_calls);
    check_quota(&mut v, "max_agents", body.max_agents);
    v.finish()?;
    let patch = TenantPatch {
        name,
        time_zone: body.time_zone,
        locale: body.locale,
        country,
        status: body.status,
        max_concurrent_calls: body.max_concurrent_calls,
        max_agents: body.max_agents,
    };
    let mut ptx = platform_tx(&state, &principal).await?;
    let updated = tenant::update(&mut ptx, id, &patch)
        .await?
        .ok_or(ApiError::NotFound)?;
    let details = json!({
        "name": patch.name, "time_zone": patch.time_zone, "locale": patch.locale,
        "country": patch.country, "status": patch.status,
        "max_concurrent_calls": patch.max_concurrent_calls, "max_agents": patch.max_agents,
    });
    audit::record(
        ptx.conn(),
        &platform_audit(
            &principal,
            addr,
            Some(TenantId(id)),
            "tenant.update",
            id,
            details,
        ),
    )
    .await?;
    ptx.commit().await?;
    Ok(axum::Json(updated))
}

#[utoipa::path(
    delete, path = "/tenants/{id}", tag = "tenants", params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "The tenant and all its data are deleted"), (status = 404, body = super::error::Problem))
)]
async fn delete_tenant(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    let mut ptx = platform_tx(&state, &principal).await?;
    let gone = tenant::get_any(&mut ptx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tenant::delete(&mut ptx, id).await?;
    // The tenant's own audit log goes with it; the platform log keeps the deletion.
    let details = json!({ "slug": gone.slug, "name": gone.name });
    audit::record(
        ptx.conn(),
        &platform_audit(&principal, addr, None, "tenant.delete", id, details),
    )
    .await?;
    ptx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
