//! The agent desktop's files: `/` is its page, `/desk/...` its script, wasm and snippets, read
//! from `http.web_dir` (built by `scripts/build-web`). Paths are checked segment by segment,
//! so nothing outside the directory is ever read.

use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::AppState;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(index))
        .route("/desk/{*path}", get(file))
}

async fn index(State(state): State<AppState>) -> Response {
    let path = state.settings.http.web_dir.join("index.html");
    match tokio::fs::read_to_string(&path).await {
        Ok(html) => ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(format!(
                "<!doctype html><title>Switchboard</title><p>The agent desktop is not built: run \
                 <code>scripts/build-web</code> (it writes {}). The API is at /api/v1.</p>",
                state.settings.http.web_dir.display()
            )),
        )
            .into_response(),
    }
}

/// `rel` as a path under `root`, if every segment is a plain name.
fn resolve(root: &Path, rel: &str) -> Option<PathBuf> {
    let mut path = root.join("desk");
    for segment in rel.split('/') {
        let plain = !segment.is_empty()
            && !segment.starts_with('.')
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !plain {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn file(
    State(state): State<AppState>,
    axum::extract::Path(rel): axum::extract::Path<String>,
) -> Response {
    let Some(path) = resolve(&state.settings.http.web_dir, &rel) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(&path)),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_under_the_desk_directory_resolve() {
        let root = Path::new("/srv/web");
        assert_eq!(
            resolve(root, "snippets/switchboard-web-1a2b/src/media.js"),
            Some(PathBuf::from(
                "/srv/web/desk/snippets/switchboard-web-1a2b/src/media.js"
            ))
        );
        for bad in [
            "../index.html",
            "a/../../etc/passwd",
            "",
            "a//b",
            ".env",
            "a/%2e%2e/b",
            "a\\b",
        ] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }
}
