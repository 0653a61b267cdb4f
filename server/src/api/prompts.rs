//! Prompts a tenant records to replace the defaults (today: `enter-digits`, played by the
//! prompt + DTMF test). Uploaded as WAV (16-bit PCM at any rate, or G.711), checked by decoding.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::audit::entry;
use super::error::{ApiError, FieldError};
use super::extract::{ApiPath, ClientAddr};
use crate::auth::Principal;
use crate::domain::Role;
use crate::store::audit;
use crate::store::prompt::{self, PromptInfo};

/// Prompts that can be replaced.
pub const NAMES: [&str; 1] = ["enter-digits"];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_prompts))
        .routes(routes!(get_prompt, put_prompt, delete_prompt))
}

#[derive(Debug, Deserialize)]
pub struct NamePath {
    pub name: String,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if NAMES.contains(&name) {
        Ok(())
    } else {
        Err(ApiError::BadParameter(FieldError::new(
            "name",
            format!("must be one of {}", NAMES.join(", ")),
        )))
    }
}

#[utoipa::path(
    get, path = "/prompts", tag = "prompts",
    responses((status = 200, body = Vec<PromptInfo>, description = "The tenant's own prompts"))
)]
async fn list_prompts(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<PromptInfo>>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let prompts = prompt::list(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(axum::Json(prompts))
}

#[utoipa::path(
    get, path = "/prompts/{name}", tag = "prompts", params(("name" = String, Path)),
    responses((status = 200, content_type = "audio/wav", description = "The uploaded WAV file"), (status = 404, body = super::error::Problem))
)]
async fn get_prompt(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(NamePath { name }): ApiPath<NamePath>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    check_name(&name)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let audio = prompt::audio(&mut tx, tenant, &name)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(([(header::CONTENT_TYPE, "audio/wav")], audio))
}

#[utoipa::path(
    put, path = "/prompts/{name}", tag = "prompts", params(("name" = String, Path)),
    request_body(content = Vec<u8>, content_type = "audio/wav", description = "A WAV file: 16-bit PCM (any rate, mono or stereo) or G.711"),
    responses((status = 200, body = PromptInfo), (status = 422, body = super::error::Problem))
)]
async fn put_prompt(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(NamePath { name }): ApiPath<NamePath>,
    body: Bytes,
) -> Result<axum::Json<PromptInfo>, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    check_name(&name)?;
    let decoded =
        switchboard_media::wav::read(&body).map_err(|e| ApiError::field("body", e.to_string()))?;
    if decoded.samples.is_empty() || decoded.duration_ms() > 60_000 {
        return Err(ApiError::field(
            "body",
            "the prompt must last between 0 and 60 seconds",
        ));
    }
    let duration = i32::try_from(decoded.duration_ms()).unwrap_or(i32::MAX);
    let mut tx = state.store.tenant_tx(tenant).await?;
    let saved = prompt::upsert(&mut tx, tenant, &name, &body, duration).await?;
    audit::record(
        &mut tx,
        &entry(
            &principal,
            addr,
            "prompt.upload",
            "prompt",
            None,
            json!({ "name": name, "duration_ms": duration }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(saved))
}

#[utoipa::path(
    delete, path = "/prompts/{name}", tag = "prompts", params(("name" = String, Path)),
    responses((status = 204, description = "The default prompt applies again"), (status = 404, body = super::error::Problem))
)]
async fn delete_prompt(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(NamePath { name }): ApiPath<NamePath>,
) -> Result<StatusCode, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    check_name(&name)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    if !prompt::delete(&mut tx, tenant, &name).await? {
        return Err(ApiError::NotFound);
    }
    audit::record(
        &mut tx,
        &entry(
            &principal,
            addr,
            "prompt.delete",
            "prompt",
            None,
            json!({ "name": name }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
