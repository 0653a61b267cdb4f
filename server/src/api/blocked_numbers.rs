//! `/api/v1/blocked-numbers`: a tenant's blacklist. A number (in any common format, read in
//! the tenant's dialling plan) or an E.164 prefix ending in `*`; an optional reason and
//! expiry; the treatment the caller gets. Blocked attempts are still on the call records.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::audit::{delete_audited, entry};
use super::error::{ApiError, Validator};
use super::extract::{ApiJson, ApiPath, ClientAddr, IdPath};
use crate::auth::Principal;
use crate::domain::{DialPlan, PhoneNumber, Role, check_text};
use crate::store::blocked_number::{self, BlockedNumber};
use crate::store::{audit, is_unique_violation, new_id, tenant};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_blocked, block_number))
        .routes(routes!(unblock_number))
}

/// Treatments a blocked caller can get.
pub const TREATMENTS: [&str; 3] = ["busy", "silent", "prompt"];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockNumber {
    /// A number in any common format, or an E.164 prefix ending in `*` (`+1900*`).
    pub pattern: String,
    pub reason: Option<String>,
    /// `busy` (default: 486), `silent` (603, declined without a word) or `prompt` (answered,
    /// the caller hears the `blocked` prompt, then the call ends).
    pub treatment: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// An E.164 prefix with its `*`, e.g. `+1900*`.
fn check_prefix(p: &str) -> Result<String, &'static str> {
    let digits = p
        .strip_suffix('*')
        .and_then(|p| p.strip_prefix('+'))
        .ok_or("a prefix is + and digits, ending in *")?;
    if (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(p.to_owned())
    } else {
        Err("a prefix is + and 1-15 digits, ending in *")
    }
}

#[utoipa::path(get, path = "/blocked-numbers", tag = "routing",
    responses((status = 200, body = Vec<BlockedNumber>)))]
async fn list_blocked(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<BlockedNumber>>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let list = blocked_number::list(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(axum::Json(list))
}

#[utoipa::path(post, path = "/blocked-numbers", tag = "routing", request_body = BlockNumber,
    responses((status = 201, body = BlockedNumber), (status = 409, body = super::error::Problem),
              (status = 422, body = super::error::Problem)))]
async fn block_number(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<BlockNumber>,
) -> Result<impl IntoResponse, ApiError> {
    // Supervisors block abusive callers as they happen.
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let country = tenant::get(&mut tx, tenant)
        .await?
        .map(|t| t.country)
        .unwrap_or_default();
    let plan = DialPlan::for_country_or_default(&country);
    let mut v = Validator::default();
    let pattern = if body.pattern.trim_end().ends_with('*') {
        v.check("pattern", check_prefix(body.pattern.trim()))
    } else {
        v.check("pattern", PhoneNumber::parse(&body.pattern, plan))
            .map(|n| n.as_str().to_owned())
    };
    let reason = body
        .reason
        .as_deref()
        .and_then(|r| v.check("reason", check_text(r, 200)));
    let treatment = body.treatment.as_deref().unwrap_or("busy");
    if !TREATMENTS.contains(&treatment) {
        v.add(
            "treatment",
            format!("must be one of {}", TREATMENTS.join(", ")),
        );
    }
    if body.expires_at.is_some_and(|e| e <= Utc::now()) {
        v.add("expires_at", "must be in the future");
    }
    let Some(pattern) = pattern else {
        return Err(v.into_error());
    };
    v.finish()?;
    let created = blocked_number::insert(
        &mut tx,
        tenant,
        new_id(),
        &pattern,
        reason.as_deref(),
        treatment,
        body.expires_at,
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e, "blocked_number_tenant_id_pattern_key") {
            ApiError::Conflict {
                code: "already_blocked",
                detail: format!("{pattern} is already blocked"),
            }
        } else {
            e.into()
        }
    })?;
    let record = entry(
        &principal,
        addr,
        "blocked_number.create",
        "blocked_number",
        Some(created.id),
        json!({ "pattern": pattern, "treatment": treatment }),
    );
    audit::record(&mut tx, &record).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

#[utoipa::path(delete, path = "/blocked-numbers/{id}", tag = "routing", params(("id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn unblock_number(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    delete_audited(
        &state,
        &principal,
        addr,
        Role::Supervisor,
        "blocked_number.delete",
        "blocked_number",
        id,
        |c, t, id| Box::pin(blocked_number::delete(c, t, id)),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
