//! Call records of the caller's tenant.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, FieldError};
use super::extract::{ApiPath, ApiQuery, IdPath};
use super::page::{Page, page_request};
use crate::auth::Principal;
use crate::domain::{DialPlan, PhoneNumber, Role};
use crate::store::call::{self, CallFilter, CallRecord};
use crate::store::tenant;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls))
        .routes(routes!(get_call))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CallQuery {
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
    /// A number that called or was called, in any common format.
    pub number: Option<String>,
    /// Calls started at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Calls started before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(
    get, path = "/calls", tag = "calls", params(CallQuery),
    responses((status = 200, body = Page<CallRecord>), (status = 400, body = super::error::Problem))
)]
async fn list_calls(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<CallQuery>,
) -> Result<axum::Json<Page<CallRecord>>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    if q.direction
        .as_deref()
        .is_some_and(|d| d != "inbound" && d != "outbound")
    {
        return Err(ApiError::BadParameter(FieldError::new(
            "direction",
            "must be inbound or outbound",
        )));
    }
    let mut tx = state.store.tenant_tx(tenant).await?;
    let number = match q.number.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(n) => {
            let country = tenant::get(&mut tx, tenant)
                .await?
                .map(|t| t.country)
                .unwrap_or_default();
            let plan = DialPlan::for_country_or_default(&country);
            let parsed = PhoneNumber::parse(n, plan)
                .map_err(|e| ApiError::BadParameter(FieldError::new("number", e.to_string())))?;
            Some(parsed.as_str().to_owned())
        }
        None => None,
    };
    let filter = CallFilter {
        direction: q.direction,
        number,
        since: q.since,
        until: q.until,
    };
    let rows = call::list(&mut tx, tenant, &filter, page).await?;
    tx.commit().await?;
    Ok(axum::Json(Page::new(rows)))
}

#[utoipa::path(
    get, path = "/calls/{id}", tag = "calls", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = CallRecord), (status = 404, body = super::error::Problem))
)]
async fn get_call(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<CallRecord>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let found = call::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(axum::Json(found))
}
