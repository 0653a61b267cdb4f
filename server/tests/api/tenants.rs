use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, spawn_app};

#[tokio::test]
async fn the_platform_admin_creates_a_tenant_whose_admin_can_sign_in() {
    let app = spawn_app().await;
    let platform = app.platform_token().await;
    let body = json!({
        "slug": "initech", "name": "Initech", "time_zone": "Europe/Moscow", "locale": "ru", "country": "RU",
        "admin": { "email": "boss@initech.example", "display_name": "Bill", "password": "tps reports!" }
    });
    let resp = app
        .call(
            Method::POST,
            "/api/v1/tenants",
            &platform,
            Some(body.clone()),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.expect("json");
    assert_eq!(created["slug"], "initech");
    assert_eq!(created["admin"]["role"], "tenant_admin");
    let resp = app
        .try_login(Some("initech"), "boss@initech.example", "tps reports!")
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .call(Method::POST, "/api/v1/tenants", &platform, Some(body))
        .await;
    assert_problem(resp, StatusCode::CONFLICT, "slug_taken").await;

    // Russian national format: 8-800 toll-free numbers become +7 800.
    let tokens: Value = app
        .try_login(Some("initech"), "boss@initech.example", "tps reports!")
        .await
        .json()
        .await
        .expect("json");
    let token = tokens["access_token"].as_str().expect("t");
    let contact = app
        .create_contact(
            token,
            json!({ "name": "Горячая линия", "phones": [{ "number": "8-800-555-35-35" }] }),
        )
        .await;
    assert_eq!(contact["phones"][0]["number"], "+78005553535");

    let (_, page) = app.get_json("/api/v1/tenants", &platform).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_suspended_tenant_cannot_sign_in_and_a_deleted_one_is_gone() {
    let app = spawn_app().await;
    let platform = app.platform_token().await;
    let globex = app.tenant_id("globex").await;
    let session = app.login(Some("globex"), "agent1@globex.example").await;
    let path = format!("/api/v1/tenants/{globex}");
    let resp = app
        .call(
            Method::PATCH,
            &path,
            &platform,
            Some(json!({ "status": "suspended" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .try_login(Some("globex"), "admin@globex.example", PASSWORD)
        .await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": session["refresh_token"] }))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let resp = app.call(Method::DELETE, &path, &platform, None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_json(&path, &platform).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // acme is untouched.
    let acme = app.token("acme", "agent1").await;
    let (_, contacts) = app.get_json("/api/v1/contacts", &acme).await;
    assert_eq!(contacts["items"].as_array().map(Vec::len), Some(3));
}
