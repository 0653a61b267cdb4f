//! Call records of the caller's tenant.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, FieldError, Validator};
use super::extract::{ApiJson, ApiPath, ApiQuery, IdPath};
use super::page::{Page, page_request};
use crate::auth::Principal;
use crate::calls::{DialError, DialRequest};
use crate::domain::{DialPlan, PhoneNumber, Role};
use crate::store::call::{self, CallFilter, CallRecord};
use crate::store::tenant;
use crate::telephony::numbers::Destination;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls, create_call))
        .routes(routes!(get_call))
}

/// An outbound call to place through a trunk; a built-in service takes it when answered.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCall {
    /// The number to call, in any common format (read in the tenant's country).
    pub to: String,
    /// `echo` or `prompt_dtmf`: what the called party hears.
    pub service: String,
    /// Caller ID; default: the trunk's.
    pub from: Option<String>,
    /// The trunk to use; default: the tenant's own trunk, else a shared one.
    pub trunk_id: Option<uuid::Uuid>,
}

/// The call just started; follow it at `GET /calls/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallStarted {
    pub id: uuid::Uuid,
}

#[utoipa::path(
    post, path = "/calls", tag = "calls", request_body = CreateCall,
    responses(
        (status = 202, body = CallStarted, description = "Dialling; the record completes when the call ends"),
        (status = 409, body = super::error::Problem, description = "No usable trunk or the quota is reached"),
        (status = 422, body = super::error::Problem),
        (status = 503, body = super::error::Problem, description = "The SIP edge is not running"),
    )
)]
async fn create_call(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateCall>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let control = state.calls.clone().ok_or(ApiError::Unavailable)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let country = tenant::get(&mut tx, tenant)
        .await?
        .map(|t| t.country)
        .unwrap_or_default();
    tx.commit().await?;
    let plan = DialPlan::for_country_or_default(&country);
    let mut v = Validator::default();
    let to = v.check("to", PhoneNumber::parse(&body.to, plan));
    let from = body
        .from
        .as_deref()
        .and_then(|f| v.check("from", PhoneNumber::parse(f, plan)));
    let destination = Destination::parse(&body.service)
        .filter(|d| matches!(d, Destination::Echo | Destination::PromptDtmf));
    if destination.is_none() {
        v.add("service", "must be echo or prompt_dtmf");
    }
    let (Some(to), Some(destination)) = (to, destination) else {
        return Err(v.into_error());
    };
    v.finish()?;
    let request = DialRequest {
        tenant,
        to,
        from,
        destination,
        trunk: body.trunk_id,
        id: None,
        agent: None,
        events: None,
    };
    let id = control.dial(request).await.map_err(|e| match e {
        DialError::Db(e) => ApiError::from(e),
        DialError::Quota => ApiError::Conflict {
            code: "quota_exceeded",
            detail: e.to_string(),
        },
        other => ApiError::Conflict {
            code: "no_trunk",
            detail: other.to_string(),
        },
    })?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/calls/{id}"))],
        axum::Json(CallStarted { id }),
    ))
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
