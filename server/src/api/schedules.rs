//! `/api/v1/schedules`: business hours (weekly ranges, holidays, overrides in a time zone),
//! which IVR flows check. See `docs/routing.md`.

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
use crate::domain::schedule::{Hours, Schedule};
use crate::store::document::{Document, Kind};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_schedules, create_schedule))
        .routes(routes!(get_schedule, replace_schedule, delete_schedule))
}

/// A schedule as written and read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub name: String,
    pub hours: Hours,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleRecord {
    pub id: Uuid,
    pub name: String,
    pub hours: Hours,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn record(doc: Document) -> Result<ScheduleRecord, ApiError> {
    Ok(ScheduleRecord {
        id: doc.id,
        name: doc.name,
        // Stored only after validation, so it reads back.
        hours: serde_json::from_value(doc.body).map_err(ApiError::internal)?,
        created_at: doc.created_at,
        updated_at: doc.updated_at,
    })
}

fn check(body: &ScheduleBody) -> Result<serde_json::Value, ApiError> {
    Schedule::parse(&body.hours).map_err(|problems| documents::invalid("hours", problems))?;
    serde_json::to_value(&body.hours).map_err(ApiError::internal)
}

#[utoipa::path(get, path = "/schedules", tag = "routing",
    responses((status = 200, body = Vec<ScheduleRecord>)))]
async fn list_schedules(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<ScheduleRecord>>, ApiError> {
    let docs = documents::list(&state, &principal, Kind::Schedule).await?;
    Ok(axum::Json(
        docs.into_iter().map(record).collect::<Result<_, _>>()?,
    ))
}

#[utoipa::path(post, path = "/schedules", tag = "routing", request_body = ScheduleBody,
    responses((status = 201, body = ScheduleRecord), (status = 409, body = super::error::Problem),
              (status = 422, body = super::error::Problem)))]
async fn create_schedule(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let hours = check(&body)?;
    let doc = documents::save(
        &state,
        &principal,
        addr,
        Kind::Schedule,
        None,
        &body.name,
        &hours,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(record(doc)?)))
}

#[utoipa::path(get, path = "/schedules/{id}", tag = "routing", params(("id" = Uuid, Path)),
    responses((status = 200, body = ScheduleRecord), (status = 404, body = super::error::Problem)))]
async fn get_schedule(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<ScheduleRecord>, ApiError> {
    let doc = documents::get(&state, &principal, Kind::Schedule, id).await?;
    Ok(axum::Json(record(doc)?))
}

#[utoipa::path(put, path = "/schedules/{id}", tag = "routing", params(("id" = Uuid, Path)),
    request_body = ScheduleBody,
    responses((status = 200, body = ScheduleRecord), (status = 404, body = super::error::Problem),
              (status = 422, body = super::error::Problem)))]
async fn replace_schedule(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<axum::Json<ScheduleRecord>, ApiError> {
    let hours = check(&body)?;
    let doc = documents::save(
        &state,
        &principal,
        addr,
        Kind::Schedule,
        Some(id),
        &body.name,
        &hours,
    )
    .await?;
    Ok(axum::Json(record(doc)?))
}

#[utoipa::path(delete, path = "/schedules/{id}", tag = "routing", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_schedule(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    documents::delete(&state, &principal, addr, Kind::Schedule, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
