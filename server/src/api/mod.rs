//! The HTTP API: REST under `/api/v1` (the same API the web UI and integrators use), the
//! OpenAPI document at `/api/openapi.json`, health and readiness probes and Prometheus metrics.
//!
//! One module per resource, each exposing `router()`; they are merged here. The OpenAPI document
//! is generated from the handlers' annotations, so it cannot drift from the routes.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod blocked_numbers;
pub mod calls;
pub mod contacts;
pub mod desk;
pub mod documents;
pub mod error;
pub mod extract;
pub mod health;
pub mod ivr_flows;
pub mod numbers;
pub mod page;
pub mod prompts;
pub mod queues;
pub mod recordings;
pub mod schedules;
pub mod tenants;
pub mod trunks;
pub mod users;
pub mod web;
pub mod ws;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::JwtKeys;
use crate::auth::rate_limit::WindowCounter;
use crate::settings::Settings;
use crate::store::Store;
pub use error::ApiError;

/// What every handler can reach. Cheap to clone: handles only.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    pub login_limits: Arc<Mutex<LoginLimits>>,
    pub metrics: PrometheusHandle,
    /// Bumped when trunks or numbers change, so the call controller reloads its number table.
    pub numbers_changed: Arc<tokio::sync::watch::Sender<u64>>,
    /// Places outbound calls; `None` when SIP is disabled.
    pub calls: Option<crate::calls::CallControl>,
    /// The agents' side of calls: desks ring, answer, transfer and monitor through it.
    pub agents: crate::calls::Agents,
    /// The tenants' routers.
    pub routers: crate::routing::Routing,
}

impl AppState {
    /// Tell a tenant's router that its queues changed.
    pub fn queues_changed(&self, tenant: crate::store::TenantId) {
        self.routers.reload(tenant);
    }
}

impl AppState {
    /// Tell the call controller that trunks or numbers changed.
    pub fn routing_changed(&self) {
        self.numbers_changed.send_modify(|v| *v = v.wrapping_add(1));
    }
}

/// Sign-in attempt counters (per account: failures; per address: attempts).
#[derive(Debug)]
pub struct LoginLimits {
    pub per_account: WindowCounter,
    pub per_address: WindowCounter,
}

impl LoginLimits {
    pub fn new(settings: &Settings) -> LoginLimits {
        let window = Duration::from_secs(settings.auth.login_window_secs);
        LoginLimits {
            per_account: WindowCounter::new(settings.auth.login_failures_per_account, window),
            per_address: WindowCounter::new(settings.auth.login_attempts_per_address, window),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        description = "REST API of Switchboard, the multi-tenant contact-center platform. \
            Authenticate with `POST /api/v1/auth/login` and send the access token as \
            `Authorization: Bearer <token>`, or use an API key the same way. Lists take \
            `limit` (1-200, default 50) and `cursor` (from `next_cursor`). Errors are \
            `application/problem+json` with a stable `code`.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(error::Problem, error::FieldError))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The `/api/v1` routes with their OpenAPI description.
fn v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(tenants::router())
        .merge(users::router())
        .merge(contacts::router())
        .merge(api_keys::router())
        .merge(audit::router())
        .merge(trunks::router())
        .merge(numbers::router())
        .merge(calls::router())
        .merge(prompts::router())
        .merge(recordings::router())
        .merge(schedules::router())
        .merge(ivr_flows::router())
        .merge(blocked_numbers::router())
        .merge(queues::router())
        .merge(desk::router())
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1())
        .split_for_parts();
    // The document is fixed for the life of the process: render it once.
    let doc = Arc::new(doc.to_pretty_json().unwrap_or_default());
    let body_limit = state.settings.http.body_limit_bytes;
    api.route(
        "/api/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    doc.as_str().to_owned(),
                )
            }
        }),
    )
    .merge(health::router())
    .merge(ws::router())
    .merge(web::router())
    // Browsers ask for it; an empty answer keeps the logs free of 404s.
    .route(
        "/favicon.ico",
        get(|| async { axum::http::StatusCode::NO_CONTENT }),
    )
    .route(
        "/softphone.html",
        get(|| async { axum::response::Html(include_str!("../../assets/softphone.html")) }),
    )
    .fallback(|| async { ApiError::NotFound })
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(middleware::from_fn(record_metrics))
    .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
        let path = req
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
        tracing::info_span!("http", method = %req.method(), path = %path)
    }))
    .with_state(state)
}

/// Count requests and their latency by method, route and status.
async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    // Unmatched paths share one label so scanners cannot blow up the metric's cardinality.
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("path", path), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: Prometheus text format.
async fn render_metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
