//! The first wall: a user of tenant B gets 404 for tenant A's objects, for read, update and
//! delete, and lists never show another tenant's rows.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn assert_invisible(app: &TestApp, token: &str, path: &str, patch: Value) {
    let (status, _) = app.get_json(path, token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
    let resp = app.call(Method::PATCH, path, token, Some(patch)).await;
    assert_problem(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = app.call(Method::DELETE, path, token, None).await;
    assert_problem(resp, StatusCode::NOT_FOUND, "not_found").await;
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn another_tenants_contacts_are_not_found_and_not_listed() {
    let app = spawn_app().await;
    let acme = app.token("acme", "admin").await;
    let globex = app.token("globex", "admin").await;
    let contact = app
        .create_contact(
            &acme,
            json!({ "name": "Secret Customer", "phones": [{ "number": "+1 555 010 9999" }] }),
        )
        .await;
    let id = contact["id"].as_str().expect("id");
    assert_invisible(
        &app,
        &globex,
        &format!("/api/v1/contacts/{id}"),
        json!({ "name": "Hijacked" }),
    )
    .await;

    let (_, page) = app.get_json("/api/v1/contacts?limit=200", &globex).await;
    assert!(!ids(&page).contains(&id.to_owned()));
    let (_, page) = app
        .get_json("/api/v1/contacts?phone=%2B15550109999", &globex)
        .await;
    assert_eq!(page["items"], json!([]));
    let (_, page) = app.get_json("/api/v1/contacts?q=Secret", &globex).await;
    assert_eq!(page["items"], json!([]));

    // Still intact for its owner.
    let (status, still) = app.get_json(&format!("/api/v1/contacts/{id}"), &acme).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(still["name"], "Secret Customer");
}

#[tokio::test]
async fn another_tenants_users_are_not_found_and_not_listed() {
    let app = spawn_app().await;
    let acme = app.token("acme", "admin").await;
    let globex = app.token("globex", "admin").await;
    let (_, acme_users) = app.get_json("/api/v1/users", &acme).await;
    let acme_ids = ids(&acme_users);
    assert_eq!(acme_ids.len(), 4);
    for id in &acme_ids {
        assert_invisible(
            &app,
            &globex,
            &format!("/api/v1/users/{id}"),
            json!({ "display_name": "Hijacked" }),
        )
        .await;
    }
    let (_, globex_users) = app.get_json("/api/v1/users", &globex).await;
    assert!(ids(&globex_users).iter().all(|id| !acme_ids.contains(id)));
    assert!(!globex_users.to_string().contains("acme.example"));
}

#[tokio::test]
async fn another_tenants_api_keys_and_audit_log_are_invisible() {
    let app = spawn_app().await;
    let acme = app.token("acme", "admin").await;
    let globex = app.token("globex", "admin").await;
    let resp = app
        .call(
            Method::POST,
            "/api/v1/api-keys",
            &acme,
            Some(json!({ "name": "acme key" })),
        )
        .await;
    let key: Value = resp.json().await.expect("json");
    let id = key["id"].as_str().expect("id");
    let resp = app
        .call(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            &globex,
            None,
        )
        .await;
    assert_problem(resp, StatusCode::NOT_FOUND, "not_found").await;
    let (_, keys) = app.get_json("/api/v1/api-keys", &globex).await;
    assert_eq!(keys["items"], json!([]));
    // acme's key still works.
    let (status, _) = app
        .get_json("/api/v1/me", key["secret"].as_str().expect("secret"))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, acme_log) = app.get_json("/api/v1/audit-log", &acme).await;
    assert!(acme_log.to_string().contains("api_key.create"));
    let (_, globex_log) = app.get_json("/api/v1/audit-log", &globex).await;
    assert!(!globex_log.to_string().contains("api_key.create"));
    assert!(!globex_log.to_string().contains(id));
}

#[tokio::test]
async fn tenant_users_cannot_reach_tenants_at_all() {
    let app = spawn_app().await;
    let globex = app.token("globex", "admin").await;
    let acme_id = app.tenant_id("acme").await;
    let (status, _) = app
        .get_json(&format!("/api/v1/tenants/{acme_id}"), &globex)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get_json("/api/v1/tenants", &globex).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let resp = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{acme_id}"),
            &globex,
            Some(json!({"status": "suspended"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
