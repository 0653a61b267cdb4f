//! Phone numbers. Platform admins assign numbers to tenants and release them; tenant admins
//! point their numbers at a destination; supervisors may read them.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, Validator};
use super::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, IdPath};
use super::page::{Page, page_request};
use crate::auth::Principal;
use crate::domain::{DialPlan, PhoneNumber, Role, check_text};
use crate::store::audit::{self, AuditEntry};
use crate::store::document::Kind;
use crate::store::phone_number::{self, PhoneNumberRecord};
use crate::store::{TenantId, is_unique_violation, new_id, tenant, user};
use crate::telephony::numbers::Destination;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_numbers, create_number))
        .routes(routes!(get_number, update_number, delete_number))
}

/// Destinations a number can point to.
pub const DESTINATIONS: [&str; 2] = ["echo", "prompt_dtmf"];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NumberQuery {
    /// Platform admins: only this tenant's numbers.
    pub tenant_id: Option<Uuid>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNumber {
    pub tenant_id: Uuid,
    /// In E.164 or the tenant's national format (toll-free `8-800-...` in Russia, `1-800-...`).
    pub number: String,
    /// `echo`, `prompt_dtmf`, `agent:<user id>` (a direct line to one agent's desk),
    /// `queue:<queue id>` or `flow:<ivr flow id>`.
    pub destination: String,
    pub label: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateNumber {
    pub destination: Option<String>,
    #[serde(default, deserialize_with = "super::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub label: Option<Option<String>>,
}

fn check_destination(v: &mut Validator, destination: &str) {
    if Destination::parse(destination).is_none() {
        v.add(
            "destination",
            format!(
                "must be one of {}, agent:<user id>, queue:<queue id> or flow:<ivr flow id>",
                DESTINATIONS.join(", ")
            ),
        );
    }
}

/// A direct line must ring an agent, and a queue number a queue, of the number's own tenant.
async fn check_agent(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    destination: &str,
) -> Result<(), ApiError> {
    let missing = match Destination::parse(destination) {
        Some(Destination::Agent(id)) => user::get(conn, tenant, id).await?.is_none(),
        Some(Destination::Queue(id)) => crate::store::queue::list(conn, tenant, Some(id))
            .await?
            .is_empty(),
        Some(Destination::Flow(id)) => crate::store::document::get(conn, tenant, Kind::IvrFlow, id)
            .await?
            .is_none(),
        _ => false,
    };
    if missing {
        return Err(ApiError::field(
            "destination",
            "no such user, queue or IVR flow in the number's tenant",
        ));
    }
    Ok(())
}

#[utoipa::path(
    get, path = "/numbers", tag = "numbers", params(NumberQuery),
    responses((status = 200, body = Page<PhoneNumberRecord>), (status = 403, body = super::error::Problem))
)]
async fn list_numbers(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<NumberQuery>,
) -> Result<axum::Json<Page<PhoneNumberRecord>>, ApiError> {
    let page = page_request(q.limit, q.cursor.as_deref())?;
    if principal.require_platform_admin().is_ok() {
        let mut ptx = state.store.platform_tx().await?;
        let rows = phone_number::list_all(&mut ptx, q.tenant_id, page).await?;
        ptx.commit().await?;
        return Ok(axum::Json(Page::new(rows)));
    }
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let rows = phone_number::list(&mut tx, tenant, page).await?;
    tx.commit().await?;
    Ok(axum::Json(Page::new(rows)))
}

#[utoipa::path(
    post, path = "/numbers", tag = "numbers", request_body = CreateNumber,
    responses(
        (status = 201, body = PhoneNumberRecord),
        (status = 409, body = super::error::Problem, description = "The number belongs to a tenant already"),
        (status = 422, body = super::error::Problem),
    )
)]
async fn create_number(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<CreateNumber>,
) -> Result<impl IntoResponse, ApiError> {
    principal.require_platform_admin()?;
    let mut ptx = state.store.platform_tx().await?;
    let owner = TenantId(body.tenant_id);
    let country = tenant::get_any(&mut ptx, body.tenant_id)
        .await?
        .map(|t| t.country)
        .ok_or_else(|| ApiError::field("tenant_id", "no such tenant"))?;
    let plan = DialPlan::for_country_or_default(&country);
    let mut v = Validator::default();
    let number = v.check("number", PhoneNumber::parse(&body.number, plan));
    check_destination(&mut v, &body.destination);
    let label = body
        .label
        .as_deref()
        .and_then(|l| v.check("label", check_text(l, 100)));
    let Some(number) = number else {
        return Err(v.into_error());
    };
    v.finish()?;
    check_agent(ptx.conn(), owner, &body.destination).await?;
    let created = phone_number::insert(
        &mut ptx,
        new_id(),
        owner,
        number.as_str(),
        &body.destination,
        label.as_deref(),
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e, "phone_number_number_key") {
            ApiError::Conflict {
                code: "number_taken",
                detail: format!("{number} already belongs to a tenant"),
            }
        } else {
            e.into()
        }
    })?;
    let entry = AuditEntry {
        tenant: Some(owner),
        actor_kind: principal.actor_kind(),
        actor_id: Some(principal.id),
        action: "number.assign",
        target_type: "phone_number",
        target_id: Some(created.id),
        details: json!({ "number": created.number, "destination": created.destination }),
        source_ip: addr.map(|a| a.to_string()),
    };
    audit::record(ptx.conn(), &entry).await?;
    ptx.commit().await?;
    state.routing_changed();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/numbers/{}", created.id))],
        axum::Json(created),
    ))
}

#[utoipa::path(
    get, path = "/numbers/{id}", tag = "numbers", params(("id" = Uuid, Path)),
    responses((status = 200, body = PhoneNumberRecord), (status = 404, body = super::error::Problem))
)]
async fn get_number(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<PhoneNumberRecord>, ApiError> {
    let found = if principal.require_platform_admin().is_ok() {
        let mut ptx = state.store.platform_tx().await?;
        let found = phone_number::get(ptx.conn(), None, id).await?;
        ptx.commit().await?;
        found
    } else {
        let tenant = principal.require(Role::Supervisor)?;
        let mut tx = state.store.tenant_tx(tenant).await?;
        let found = phone_number::get(&mut tx, Some(tenant), id).await?;
        tx.commit().await?;
        found
    };
    Ok(axum::Json(found.ok_or(ApiError::NotFound)?))
}

#[utoipa::path(
    patch, path = "/numbers/{id}", tag = "numbers", params(("id" = Uuid, Path)), request_body = UpdateNumber,
    responses((status = 200, body = PhoneNumberRecord), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem))
)]
async fn update_number(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<UpdateNumber>,
) -> Result<axum::Json<PhoneNumberRecord>, ApiError> {
    let mut v = Validator::default();
    if let Some(d) = &body.destination {
        check_destination(&mut v, d);
    }
    let label = match &body.label {
        Some(Some(l)) => v.check("label", check_text(l, 100)).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    v.finish()?;
    let label_ref = label.as_ref().map(|l| l.as_deref());
    let platform = principal.require_platform_admin().is_ok();
    let mut tx = if platform {
        state.store.platform_tx().await?.0
    } else {
        state
            .store
            .tenant_tx(principal.require(Role::TenantAdmin)?)
            .await?
    };
    let scope = if platform { None } else { principal.tenant };
    let updated = phone_number::update(&mut tx, scope, id, body.destination.as_deref(), label_ref)
        .await?
        .ok_or(ApiError::NotFound)?;
    // Checked against the number's tenant; on failure the update is rolled back.
    if let Some(d) = &body.destination {
        check_agent(&mut tx, TenantId(updated.tenant_id), d).await?;
    }
    let entry = AuditEntry {
        tenant: Some(TenantId(updated.tenant_id)),
        actor_kind: principal.actor_kind(),
        actor_id: Some(principal.id),
        action: "number.update",
        target_type: "phone_number",
        target_id: Some(id),
        details: json!({ "destination": body.destination, "label": label }),
        source_ip: addr.map(|a| a.to_string()),
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    state.routing_changed();
    Ok(axum::Json(updated))
}

#[utoipa::path(
    delete, path = "/numbers/{id}", tag = "numbers", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Released"), (status = 404, body = super::error::Problem))
)]
async fn delete_number(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    principal.require_platform_admin()?;
    let mut ptx = state.store.platform_tx().await?;
    let gone = phone_number::get(ptx.conn(), None, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    phone_number::delete(&mut ptx, id).await?;
    let entry = AuditEntry {
        tenant: None,
        actor_kind: principal.actor_kind(),
        actor_id: Some(principal.id),
        action: "number.release",
        target_type: "phone_number",
        target_id: Some(id),
        details: json!({ "number": gone.number, "tenant_id": gone.tenant_id }),
        source_ip: addr.map(|a| a.to_string()),
    };
    audit::record(ptx.conn(), &entry).await?;
    ptx.commit().await?;
    state.routing_changed();
    Ok(StatusCode::NO_CONTENT)
}
