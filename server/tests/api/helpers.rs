//! `spawn_app()` and typed helpers (after zero2prod's `tests/api/helpers.rs`).

use std::str::FromStr;
use std::sync::Once;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::{Method, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};
use switchboard::store::{Store, TenantId};
use switchboard::{Application, Settings, demo};
use uuid::Uuid;

pub(crate) const PASSWORD: &str = demo::DEMO_PASSWORD;
/// The signing key the test servers use, so tests can forge tokens with the right key.
pub(crate) const JWT_SECRET: &str = "test-signing-key-0123456789abcdef";

pub(crate) struct TestApp {
    pub(crate) base: String,
    /// Where the SIP edge listens (UDP and TCP); the SIP tests call it.
    #[allow(dead_code)]
    pub(crate) sip: std::net::SocketAddr,
    pub(crate) client: reqwest::Client,
    pub(crate) store: Store,
}

/// The PostgreSQL server tests create their databases on.
pub(crate) fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Drop test databases left by runs more than an hour old (once per test process).
async fn sweep_old_databases(admin: &mut PgConnection) {
    static SWEEP: Once = Once::new();
    let mut run = false;
    SWEEP.call_once(|| run = true);
    if !run {
        return;
    }
    let names: Vec<String> =
        sqlx::query_scalar("select datname from pg_database where datname like 'sb_test_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    let cutoff = unix_now().saturating_sub(3600);
    for name in names {
        let stamp = name.split('_').nth(2).and_then(|s| s.parse::<u64>().ok());
        if stamp.is_some_and(|s| s < cutoff) {
            let _ = admin
                .execute(format!("drop database if exists \"{name}\"").as_str())
                .await;
        }
    }
}

pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Build a server on a fresh database; `configure` may adjust the settings first.
pub(crate) async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let server = PgConnectOptions::from_str(&server_url()).expect("valid test database URL");
    let mut admin = server
        .connect()
        .await
        .expect("connect to the test PostgreSQL server");
    sweep_old_databases(&mut admin).await;
    let db_name = format!("sb_test_{}_{}", unix_now(), Uuid::new_v4().simple());
    admin
        .execute(format!("create database \"{db_name}\"").as_str())
        .await
        .expect("create the test database");
    admin.close().await.ok();
    let db_url = server.database(&db_name).to_url_lossy().to_string();

    let mut settings = Settings {
        data_dir: std::env::temp_dir().join(format!("sb-test-{}", Uuid::new_v4().simple())),
        ..Settings::default()
    };
    settings.http.listen = "127.0.0.1:0".parse().expect("socket address");
    settings.database.url = Some(SecretString::from(db_url.clone()));
    settings.database.max_connections = 5;
    settings.auth.jwt_secret = Some(SecretString::from(JWT_SECRET));
    settings.sip.listen = "127.0.0.1:0".parse().expect("socket address");
    settings.sip.rtp_port_min = 40000;
    settings.sip.rtp_port_max = 49999;
    settings.media.webrtc_listen = "127.0.0.1:0".parse().expect("socket address");
    // The agent desktop's bundle, when `scripts/build-web` has made it.
    settings.http.web_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist");
    configure(&mut settings);
    if std::env::var_os("TEST_LOG").is_some() {
        switchboard::telemetry::init_logging(&settings.log);
    }

    let app = Application::build(settings)
        .await
        .expect("build the application");
    demo::seed(app.store())
        .await
        .expect("seed the demo tenants");
    app.reload_routing()
        .await
        .expect("load the SIP routing table");
    let store = app.store().clone();
    let base = format!("http://{}", app.local_addr());
    let sip = app.sip_addr().expect("the SIP edge runs");
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base,
        sip,
        client: reqwest::Client::new(),
        store,
    }
}

impl TestApp {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sign in; panics unless it succeeds. `tenant` is `None` for the platform admin.
    pub(crate) async fn login(&self, tenant: Option<&str>, email: &str) -> Value {
        let resp = self.try_login(tenant, email, PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::OK, "login {email}");
        resp.json().await.expect("token json")
    }

    pub(crate) async fn try_login(
        &self,
        tenant: Option<&str>,
        email: &str,
        password: &str,
    ) -> Response {
        let mut body = json!({ "email": email, "password": password });
        if let Some(t) = tenant {
            body["tenant"] = json!(t);
        }
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// The access token of a demo user, e.g. `token("acme", "admin")`.
    pub(crate) async fn token(&self, tenant: &str, who: &str) -> String {
        let tokens = self
            .login(Some(tenant), &format!("{who}@{tenant}.example"))
            .await;
        tokens["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    pub(crate) async fn platform_token(&self) -> String {
        let tokens = self.login(None, demo::PLATFORM_ADMIN).await;
        tokens["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// An authenticated request with an optional JSON body.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }

    pub(crate) async fn get_json(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let resp = self.call(Method::GET, path, token, None).await;
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A user's id by email, as the tenant's admin sees it.
    pub(crate) async fn user_id(&self, tenant: &str, email: &str) -> String {
        let admin = self.token(tenant, "admin").await;
        let (_, users) = self.get_json("/api/v1/users", &admin).await;
        users["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|u| u["email"] == email)
            .and_then(|u| u["id"].as_str())
            .expect("the user exists")
            .to_owned()
    }

    /// A tenant's id by slug, read directly in platform scope.
    /// The id of one of the tenant's queues, by name.
    pub(crate) async fn queue_id(&self, token: &str, name: &str) -> String {
        let (_, queues) = self.get_json("/api/v1/queues", token).await;
        queues
            .as_array()
            .expect("list")
            .iter()
            .find(|q| q["name"] == name)
            .and_then(|q| q["id"].as_str())
            .expect("the queue exists")
            .to_owned()
    }

    pub(crate) async fn tenant_id(&self, slug: &str) -> TenantId {
        let mut ptx = self.store.platform_tx().await.expect("platform tx");
        let (id, _) = switchboard::store::tenant::find_by_slug(&mut ptx, slug)
            .await
            .expect("query")
            .expect("tenant exists");
        id
    }

    /// Create a contact as `token`'s user and return its JSON.
    pub(crate) async fn create_contact(&self, token: &str, body: Value) -> Value {
        let resp = self
            .call(Method::POST, "/api/v1/contacts", token, Some(body))
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json().await.expect("contact json")
    }
}

/// Assert a problem+json response with `status` and `code`; returns the body.
pub(crate) async fn assert_problem(resp: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(resp.status(), status, "status for expected code {code}");
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = resp.json().await.expect("problem json");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    body
}

/// The `field` of each entry of a problem's `errors`, in order.
pub(crate) fn problem_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}
