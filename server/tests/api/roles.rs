use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn an_agent_cannot_manage_users_or_keys_or_read_the_audit_log() {
    let app = spawn_app().await;
    let agent = app.token("acme", "agent1").await;
    let new_user = json!({ "email": "x@acme.example", "display_name": "X", "role": "agent", "password": "long enough pass" });
    let resp = app
        .call(Method::POST, "/api/v1/users", &agent, Some(new_user))
        .await;
    assert_problem(resp, StatusCode::FORBIDDEN, "forbidden").await;
    for path in [
        "/api/v1/users",
        "/api/v1/api-keys",
        "/api/v1/audit-log",
        "/api/v1/tenants",
    ] {
        let (status, _) = app.get_json(path, &agent).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // An agent may not promote itself.
    let (_, me) = app.get_json("/api/v1/me", &agent).await;
    let me_path = format!("/api/v1/users/{}", me["id"].as_str().expect("id"));
    let resp = app
        .call(
            Method::PATCH,
            &me_path,
            &agent,
            Some(json!({ "role": "tenant_admin" })),
        )
        .await;
    assert_problem(resp, StatusCode::FORBIDDEN, "forbidden").await;
    // But it may rename itself.
    let resp = app
        .call(
            Method::PATCH,
            &me_path,
            &agent,
            Some(json!({ "display_name": "Alexandra" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    // And it works with contacts.
    let (status, _) = app.get_json("/api/v1/contacts", &agent).await;
    assert_eq!(status, StatusCode::OK);
    let (_, contacts) = app.get_json("/api/v1/contacts", &agent).await;
    let id = contacts["items"][0]["id"].as_str().expect("id");
    let resp = app
        .call(
            Method::DELETE,
            &format!("/api/v1/contacts/{id}"),
            &agent,
            None,
        )
        .await;
    assert_problem(resp, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn a_supervisor_reads_users_but_cannot_create_them() {
    let app = spawn_app().await;
    let sup = app.token("acme", "supervisor").await;
    let (status, users) = app.get_json("/api/v1/users?role=agent", &sup).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users["items"].as_array().map(Vec::len), Some(2));
    let new_user = json!({ "email": "x@acme.example", "display_name": "X", "role": "agent", "password": "long enough pass" });
    let resp = app
        .call(Method::POST, "/api/v1/users", &sup, Some(new_user))
        .await;
    assert_problem(resp, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn a_tenant_admin_cannot_use_platform_routes_and_the_platform_admin_has_no_tenant_data() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let resp = app
        .call(
            Method::POST,
            "/api/v1/tenants",
            &admin,
            Some(json!({ "slug": "evil", "name": "Evil" })),
        )
        .await;
    assert_problem(resp, StatusCode::FORBIDDEN, "forbidden").await;
    let platform = app.platform_token().await;
    let (status, _) = app.get_json("/api/v1/contacts", &platform).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
