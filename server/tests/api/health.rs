use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn probes_answer_and_metrics_count_requests() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "ready");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("path=\"/readyz\""), "{metrics}");
}

#[tokio::test]
async fn the_openapi_document_describes_the_routes() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/users",
        "/api/v1/tenants",
        "/api/v1/api-keys",
        "/api/v1/trunks",
        "/api/v1/numbers",
        "/api/v1/calls",
        "/api/v1/calls/{id}",
        "/api/v1/prompts/{name}",
        "/api/v1/audit-log",
        "/api/v1/calls/{id}/recording",
        "/api/v1/queues",
        "/api/v1/queues/{id}/members",
        "/api/v1/queues/{id}/live",
        "/api/v1/queues/{id}/stats",
        "/api/v1/users/{id}/states",
        "/api/v1/dispositions",
        "/api/v1/break-reasons",
        "/api/v1/scripts",
        "/api/v1/calls/{id}/wrap-up",
        "/api/v1/contacts/{id}/calls",
        "/api/v1/desk/directory",
        "/api/v1/skills",
        "/api/v1/users/{id}/skills",
        "/api/v1/schedules/{id}",
        "/api/v1/ivr-flows/{id}",
        "/api/v1/blocked-numbers",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}
