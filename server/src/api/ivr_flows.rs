//! `/api/v1/ivr-flows`: a tenant's IVR flows (JSON graphs of prompts, menus, digit collection,
//! hours checks, priorities and routes), validated when saved. See `docs/routing.md`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::documents;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ClientAddr, IdPath};
use crate::auth::Principal;
use crate::domain::Role;
use crate::store::document::{self, Document, Kind};
use crate::store::{queue, user};
use switchboard_ivr::{Flow, Node};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_flows, create_flow))
        .routes(routes!(get_flow, replace_flow, delete_flow))
}

/// A flow as written and read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowBody {
    pub name: String,
    #[schema(value_type = Object)]
    pub flow: Flow,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlowRecord {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = Object)]
    pub flow: Flow,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn record(doc: Document) -> Result<FlowRecord, ApiError> {
    Ok(FlowRecord {
        id: doc.id,
        name: doc.name,
        // Stored only after validation, so it reads back.
        flow: serde_json::from_value(doc.body).map_err(ApiError::internal)?,
        created_at: doc.created_at,
        updated_at: doc.updated_at,
    })
}

/// The flow's own rules, and that the schedules, queues and agents it names are the tenant's.
async fn check(
    state: &AppState,
    principal: &Principal,
    body: &FlowBody,
) -> Result<serde_json::Value, ApiError> {
    body.flow.validate().map_err(|errors| {
        documents::invalid(
            "flow",
            errors.into_iter().map(|e| (String::new(), e.to_string())),
        )
    })?;
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let mut problems = Vec::new();
    for (name, node) in &body.flow.nodes {
        let (field, id) = match node {
            Node::Hours { schedule, .. } => ("schedule", schedule),
            Node::Queue { queue } => ("queue", queue),
            Node::Agent { agent } => ("agent", agent),
            _ => continue,
        };
        let known = match Uuid::parse_str(id) {
            Ok(id) => match field {
                "schedule" => document::get(&mut tx, tenant, Kind::Schedule, id)
                    .await?
                    .is_some(),
                "queue" => !queue::list(&mut tx, tenant, Some(id)).await?.is_empty(),
                _ => user::get(&mut tx, tenant, id).await?.is_some(),
            },
            Err(_) => false,
        };
        if !known {
            problems.push((format!("nodes.{name}.{field}"), format!("no such {field}")));
        }
    }
    tx.commit().await?;
    if !problems.is_empty() {
        return Err(documents::invalid("flow", problems));
    }
    serde_json::to_value(&body.flow).map_err(ApiError::internal)
}

#[utoipa::path(get, path = "/ivr-flows", tag = "routing",
    responses((status = 200, body = Vec<FlowRecord>)))]
async fn list_flows(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<FlowRecord>>, ApiError> {
    let docs = documents::list(&state, &principal, Kind::IvrFlow).await?;
    Ok(axum::Json(
        docs.into_iter().map(record).collect::<Result<_, _>>()?,
    ))
}

#[utoipa::path(post, path = "/ivr-flows", tag = "routing", request_body = FlowBody,
    responses((status = 201, body = FlowRecord), (status = 409, body = super::error::Problem),
              (status = 422, body = super::error::Problem)))]
async fn create_flow(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<FlowBody>,
) -> Result<impl IntoResponse, ApiError> {
    let flow = check(&state, &principal, &body).await?;
    let doc = documents::save(
        &state,
        &principal,
        addr,
        Kind::IvrFlow,
        None,
        &body.name,
        &flow,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(record(doc)?)))
}

#[utoipa::path(get, path = "/ivr-flows/{id}", tag = "routing", params(("id" = Uuid, Path)),
    responses((status = 200, body = FlowRecord), (status = 404, body = super::error::Problem)))]
async fn get_flow(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<FlowRecord>, ApiError> {
    let doc = documents::get(&state, &principal, Kind::IvrFlow, id).await?;
    Ok(axum::Json(record(doc)?))
}

#[utoipa::path(put, path = "/ivr-flows/{id}", tag = "routing", params(("id" = Uuid, Path)),
    request_body = FlowBody,
    responses((status = 200, body = FlowRecord), (status = 404, body = super::error::Problem),
              (status = 422, body = super::error::Problem)))]
async fn replace_flow(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<FlowBody>,
) -> Result<axum::Json<FlowRecord>, ApiError> {
    let flow = check(&state, &principal, &body).await?;
    let doc = documents::save(
        &state,
        &principal,
        addr,
        Kind::IvrFlow,
        Some(id),
        &body.name,
        &flow,
    )
    .await?;
    Ok(axum::Json(record(doc)?))
}

#[utoipa::path(delete, path = "/ivr-flows/{id}", tag = "routing", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_flow(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    documents::delete(&state, &principal, addr, Kind::IvrFlow, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
