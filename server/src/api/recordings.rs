//! `GET /api/v1/calls/{id}/recording`: a call's recording (WAV, caller left, agent right),
//! only through this authorized route, with HTTP range requests (RFC 9110 14) so players can
//! seek without downloading the whole file.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiPath, IdPath};
use crate::auth::Principal;
use crate::domain::Role;
use crate::store::call;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_recording))
}

/// A single byte range of a resource of `len` bytes, as `start..=end`; `None` when the header
/// is not one satisfiable range (RFC 9110 14.1.2). Multiple ranges are not served.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            if n == 0 {
                return None;
            }
            (len.saturating_sub(n), len - 1)
        }
        (start, "") => (start.parse().ok()?, len - 1),
        (start, end) => (start.parse().ok()?, end.parse::<u64>().ok()?.min(len - 1)),
    };
    (start <= end && start < len).then_some((start, end))
}

#[utoipa::path(
    get, path = "/calls/{id}/recording", tag = "calls",
    params(("id" = uuid::Uuid, Path, description = "The call")),
    responses(
        (status = 200, content_type = "audio/wav", description = "The whole recording"),
        (status = 206, content_type = "audio/wav", description = "The requested range"),
        (status = 404, body = super::error::Problem, description = "No such call, or it has no recording"),
        (status = 416, description = "The range cannot be served"),
    )
)]
async fn get_recording(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let desks = state.agents.clone();
    let mut tx = state.store.tenant_tx(tenant).await?;
    let key = call::recording_key(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let (len, mut file) = desks
        .recordings
        .open(&key)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::NotFound)?;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| parse_range(v, len));
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, len.saturating_sub(1)),
        Some(Some((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(None) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response());
        }
    };
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(ApiError::internal)?;
    let count = if len == 0 { 0 } else { end - start + 1 };
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file.take(count)));
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn byte_ranges_are_read_as_rfc_9110_says() {
        let cases = [
            ("bytes=0-99", Some((0, 99)), "a first range"),
            ("bytes=100-", Some((100, 999)), "open-ended"),
            ("bytes=-100", Some((900, 999)), "a suffix"),
            (
                "bytes=900-5000",
                Some((900, 999)),
                "an end past the length is clipped",
            ),
            ("bytes=1000-", None, "starting at the length"),
            ("bytes=5-2", None, "backwards"),
            ("bytes=0-1,5-6", None, "several ranges are not served"),
            ("items=0-5", None, "another unit"),
            ("bytes=x-5", None, "not a number"),
            ("bytes=-0", None, "an empty suffix"),
        ];
        for (header, want, why) in cases {
            assert_eq!(parse_range(header, 1000), want, "{why}: {header}");
        }
    }
}
