//! API keys for integrations, managed by tenant admins. The secret is returned once, at
//! creation; afterwards only its hash exists.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::audit::entry;
use super::error::{ApiError, Validator};
use super::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, IdPath};
use super::page::{Page, page_request};
use crate::auth::token::{digest, new_api_key};
use crate::auth::{Principal, PrincipalKind};
use crate::domain::{Role, check_text};
use crate::store::api_key::{self, ApiKey};
use crate::store::{audit, new_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KeyQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// What the key is for, e.g. `CRM sync`.
    pub name: String,
    /// The role the key acts with; default `agent`.
    pub role: Option<Role>,
}

/// A new key and its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// Send as `Authorization: Bearer <secret>`. Not retrievable later.
    pub secret: String,
}

/// Keys are managed by people, not by other keys.
fn require_admin_user(principal: &Principal) -> Result<crate::store::TenantId, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    if principal.kind == PrincipalKind::ApiKey {
        return Err(ApiError::Forbidden);
    }
    Ok(tenant)
}

#[utoipa::path(
    get, path = "/api-keys", tag = "api-keys", params(KeyQuery),
    responses((status = 200, body = Page<ApiKey>), (status = 403, body = super::error::Problem))
)]
async fn list_api_keys(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<KeyQuery>,
) -> Result<axum::Json<Page<ApiKey>>, ApiError> {
    let tenant = require_admin_user(&principal)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let rows = api_key::list(&mut tx, tenant, page).await?;
    tx.commit().await?;
    Ok(axum::Json(Page::new(rows)))
}

#[utoipa::path(
    post, path = "/api-keys", tag = "api-keys", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 422, body = super::error::Problem))
)]
async fn create_api_key(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = require_admin_user(&principal)?;
    let mut v = Validator::default();
    let name = v.check("name", check_text(&body.name, 120));
    let role = body.role.unwrap_or(Role::Agent);
    if role == Role::PlatformAdmin {
        v.add("role", "must be tenant_admin, supervisor or agent");
    }
    let Some(name) = name else {
        return Err(v.into_error());
    };
    v.finish()?;
    let id = new_id();
    let secret = new_api_key(tenant, id);
    let mut tx = state.store.tenant_tx(tenant).await?;
    let key = api_key::insert(
        &mut tx,
        tenant,
        id,
        &name,
        role.as_str(),
        &digest(&secret),
        Some(principal.id),
    )
    .await?;
    let details = json!({ "name": key.name, "role": key.role });
    audit::record(
        &mut tx,
        &entry(
            &principal,
            addr,
            "api_key.create",
            "api_key",
            Some(id),
            details,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/api-keys/{id}"))],
        axum::Json(CreatedApiKey { key, secret }),
    ))
}

#[utoipa::path(
    delete, path = "/api-keys/{id}", tag = "api-keys", params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = super::error::Problem))
)]
async fn revoke_api_key(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    let tenant = require_admin_user(&principal)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    if !api_key::revoke(&mut tx, tenant, id).await? {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &mut tx,
        &entry(
            &principal,
            addr,
            "api_key.revoke",
            "api_key",
            Some(id),
            json!({}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
