//! What the agent desktop needs besides calls and contacts: disposition codes
//! (`/api/v1/dispositions`), break reasons (`/api/v1/break-reasons`), call scripts per queue (`/api/v1/scripts`), the wrap-up of a call
//! (`POST /api/v1/calls/{id}/wrap-up`) and a contact's call history
//! (`GET /api/v1/contacts/{id}/calls`). Agents read; tenant admins write the codes and
//! scripts; an agent wraps up their own calls, supervisors any call.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::audit::{delete_audited, entry};
use super::error::{ApiError, Validator};
use super::extract::{ApiJson, ApiPath, ClientAddr, IdPath};
use crate::auth::Principal;
use crate::domain::{Role, check_text};
use crate::store::desk::{self, BreakReason, Disposition, HistoryItem, Script, WrapUp};
use crate::store::{audit, contact, is_unique_violation, new_id, queue};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_dispositions, create_disposition))
        .routes(routes!(delete_disposition))
        .routes(routes!(list_break_reasons, put_break_reasons))
        .routes(routes!(list_scripts))
        .routes(routes!(put_script, delete_script))
        .routes(routes!(wrap_up))
        .routes(routes!(contact_calls))
        .routes(routes!(directory))
}

/// Where an agent can send a call: the tenant's queues and colleagues.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Directory {
    pub queues: Vec<DirectoryQueue>,
    pub colleagues: Vec<Colleague>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct DirectoryQueue {
    pub id: Uuid,
    pub name: String,
    /// Where "escalate" sends this queue's calls: its overflow queue (e.g. tier 2).
    pub escalate_to: Option<Uuid>,
    /// Whether the signed-in user serves it.
    pub mine: bool,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Colleague {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    /// Whether their desk is open now (a consultation can ring it).
    pub signed_in: bool,
}

#[utoipa::path(get, path = "/desk/directory", tag = "desk",
    responses((status = 200, body = Directory)))]
async fn directory(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Directory>, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let queues = queue::list(&mut tx, tenant, None).await?;
    let page = crate::store::PageRequest {
        limit: 200,
        after: None,
    };
    let (users, _) = crate::store::user::list(
        &mut tx,
        tenant,
        &crate::store::user::UserFilter::default(),
        page,
    )
    .await?;
    tx.commit().await?;
    let signed_in = |id: Uuid| state.agents.is_connected(id);
    Ok(axum::Json(Directory {
        queues: queues
            .into_iter()
            .map(|q| DirectoryQueue {
                mine: q.members.contains(&principal.id),
                id: q.id,
                name: q.settings.name,
                escalate_to: q.settings.overflow_queue_id,
            })
            .collect(),
        colleagues: users
            .into_iter()
            .filter(|u| u.id != principal.id && u.status == "active")
            .map(|u| Colleague {
                id: u.id,
                signed_in: signed_in(u.id),
                name: u.display_name,
                role: u.role,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/dispositions", tag = "desk",
    responses((status = 200, body = Vec<Disposition>)))]
async fn list_dispositions(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<Disposition>>, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let list = desk::dispositions(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(axum::Json(list))
}

/// A new disposition code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisposition {
    /// Short and stable, e.g. `resolved` (letters, digits, `-`, `_`; up to 40).
    pub code: String,
    /// What agents see, e.g. "Resolved on the call".
    pub label: String,
    /// Offered only after calls of this queue of the tenant.
    pub queue_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/dispositions", tag = "desk", request_body = NewDisposition,
    responses((status = 201, body = Disposition), (status = 409, body = super::error::Problem),
              (status = 422, body = super::error::Problem)))]
async fn create_disposition(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<NewDisposition>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let mut v = Validator::default();
    let code = body.code.trim();
    if !is_code(code) {
        v.add("code", "1-40 letters, digits, - or _");
    }
    let label = v.check("label", check_text(&body.label, 100));
    let mut tx = state.store.tenant_tx(tenant).await?;
    if let Some(q) = body.queue_id
        && queue::list(&mut tx, tenant, Some(q)).await?.is_empty()
    {
        v.add("queue_id", "no such queue");
    }
    let Some(label) = label else {
        return Err(v.into_error());
    };
    v.finish()?;
    let created = desk::insert_disposition(&mut tx, tenant, new_id(), code, &label, body.queue_id)
        .await
        .map_err(|e| {
            if is_unique_violation(&e, "disposition_tenant_id_code_key") {
                ApiError::Conflict {
                    code: "name_taken",
                    detail: format!("the code {code} exists"),
                }
            } else {
                e.into()
            }
        })?;
    let record = entry(
        &principal,
        addr,
        "disposition.create",
        "disposition",
        Some(created.id),
        json!({ "code": code }),
    );
    audit::record(&mut tx, &record).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// A code as the desk's lists take them: 1-40 letters, digits, `-` or `_`.
fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[utoipa::path(get, path = "/break-reasons", tag = "desk",
    responses((status = 200, body = Vec<BreakReason>)))]
async fn list_break_reasons(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<BreakReason>>, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let list = desk::break_reasons(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(axum::Json(list))
}

/// Set the tenant's break reasons, in the order agents see them (at most 20; an empty list
/// brings back the built-in lunch, training and meeting).
#[utoipa::path(put, path = "/break-reasons", tag = "desk", request_body = Vec<BreakReason>,
    responses((status = 200, body = Vec<BreakReason>), (status = 422, body = super::error::Problem)))]
async fn put_break_reasons(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<Vec<BreakReason>>,
) -> Result<axum::Json<Vec<BreakReason>>, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let mut v = Validator::default();
    if body.len() > 20 {
        v.add("reasons", "at most 20");
    }
    let mut reasons: Vec<BreakReason> = Vec::with_capacity(body.len());
    for (i, r) in body.iter().enumerate() {
        let code = r.code.trim();
        if !is_code(code) {
            v.add(format!("{i}.code"), "1-40 letters, digits, - or _");
        } else if reasons.iter().any(|seen| seen.code == code) {
            v.add(format!("{i}.code"), "listed twice");
        }
        if let Some(label) = v.check(&format!("{i}.label"), check_text(&r.label, 50)) {
            reasons.push(BreakReason {
                code: code.to_owned(),
                label,
            });
        }
    }
    v.finish()?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    desk::set_break_reasons(&mut tx, tenant, &reasons).await?;
    let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
    let record = entry(
        &principal,
        addr,
        "break_reasons.set",
        "tenant",
        Some(tenant.0),
        json!({ "codes": codes }),
    );
    audit::record(&mut tx, &record).await?;
    let list = desk::break_reasons(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(axum::Json(list))
}

#[utoipa::path(delete, path = "/dispositions/{id}", tag = "desk", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_disposition(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    delete_audited(
        &state,
        &principal,
        addr,
        Role::TenantAdmin,
        "disposition.delete",
        "disposition",
        id,
        |c, t, id| Box::pin(desk::delete_disposition(c, t, id)),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/scripts", tag = "desk", responses((status = 200, body = Vec<Script>)))]
async fn list_scripts(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<Script>>, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let list = desk::scripts(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(axum::Json(list))
}

/// A queue's call script.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptBody {
    /// What the agent says first, e.g. "Acme support, this is {agent.name}."
    pub greeting: String,
    /// The steps, one a line; `{contact.name}`, `{contact.company}`, `{ivr.<variable>}` and
    /// `{agent.name}` are filled in on the desk.
    pub body: String,
}

#[utoipa::path(put, path = "/scripts/{id}", tag = "desk", params(("id" = Uuid, Path, description = "the queue")),
    request_body = ScriptBody,
    responses((status = 200, body = Script), (status = 404, body = super::error::Problem),
              (status = 422, body = super::error::Problem)))]
async fn put_script(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<ScriptBody>,
) -> Result<axum::Json<Script>, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let mut v = Validator::default();
    let greeting = v.check("greeting", check_text(&body.greeting, 500));
    if body.body.len() > 20_000 {
        v.add("body", "at most 20,000 characters");
    }
    let Some(greeting) = greeting else {
        return Err(v.into_error());
    };
    v.finish()?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    if queue::list(&mut tx, tenant, Some(id)).await?.is_empty() {
        return Err(ApiError::NotFound);
    }
    let saved = desk::save_script(&mut tx, tenant, new_id(), id, &greeting, &body.body).await?;
    let record = entry(
        &principal,
        addr,
        "script.save",
        "queue",
        Some(id),
        json!({}),
    );
    audit::record(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(axum::Json(saved))
}

#[utoipa::path(delete, path = "/scripts/{id}", tag = "desk", params(("id" = Uuid, Path, description = "the queue")),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_script(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    delete_audited(
        &state,
        &principal,
        addr,
        Role::TenantAdmin,
        "script.delete",
        "queue",
        id,
        |c, t, id| Box::pin(desk::delete_script(c, t, id)),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How the agent closes a call.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrapUpBody {
    /// One of the tenant's disposition codes (for the call's queue).
    pub disposition: String,
    pub notes: Option<String>,
    #[serde(default)]
    pub follow_up: bool,
}

#[utoipa::path(post, path = "/calls/{id}/wrap-up", tag = "desk", params(("id" = Uuid, Path)),
    request_body = WrapUpBody,
    responses((status = 204), (status = 403, body = super::error::Problem),
              (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn wrap_up(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<WrapUpBody>,
) -> Result<StatusCode, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let mut v = Validator::default();
    let notes = body
        .notes
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .and_then(|n| v.check("notes", check_text(n, 5000)));
    let mut tx = state.store.tenant_tx(tenant).await?;
    let record = crate::store::call::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (agent, queue) = (record.agent_id, record.queue_id);
    if !principal.role.at_least(Role::Supervisor) && agent != Some(principal.id) {
        return Err(ApiError::Forbidden);
    }
    let codes = desk::dispositions(&mut tx, tenant).await?;
    let known = codes
        .iter()
        .any(|d| d.code == body.disposition && (d.queue_id.is_none() || d.queue_id == queue));
    if !known {
        v.add("disposition", "not a disposition code for this call");
    }
    v.finish()?;
    let w = WrapUp {
        disposition: &body.disposition,
        notes: notes.as_deref(),
        follow_up: body.follow_up,
    };
    desk::wrap_up(&mut tx, tenant, id, &w).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/contacts/{id}/calls", tag = "desk", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<HistoryItem>, description = "The contact's calls, newest first (at most 100)"),
              (status = 404, body = super::error::Problem)))]
async fn contact_calls(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<Vec<HistoryItem>>, ApiError> {
    let tenant = principal.require(Role::Agent)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    contact::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let calls = desk::history(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(axum::Json(calls))
}
