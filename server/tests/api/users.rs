use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_sign_in() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let body = json!({ "email": "New.Agent@ACME.example", "display_name": "New Agent", "role": "agent", "password": "a long new password" });
    let resp = app
        .call(Method::POST, "/api/v1/users", &admin, Some(body.clone()))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let user: Value = resp.json().await.expect("json");
    assert_eq!(user["email"], "new.agent@acme.example");
    assert_eq!(
        location,
        Some(format!(
            "/api/v1/users/{}",
            user["id"].as_str().expect("id")
        ))
    );
    let resp = app
        .try_login(
            Some("acme"),
            "new.agent@acme.example",
            "a long new password",
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    // The same email again is a conflict; in another tenant it is a different account.
    let resp = app
        .call(Method::POST, "/api/v1/users", &admin, Some(body.clone()))
        .await;
    assert_problem(resp, StatusCode::CONFLICT, "email_taken").await;
    let globex = app.token("globex", "admin").await;
    let resp = app
        .call(Method::POST, "/api/v1/users", &globex, Some(body))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (_, log) = app
        .get_json("/api/v1/audit-log?action=user.create", &admin)
        .await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(log["items"][0]["actor_kind"], "user");
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_disabled_or_self_deleted() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let (_, me) = app.get_json("/api/v1/me", &admin).await;
    let path = format!("/api/v1/users/{}", me["id"].as_str().expect("id"));
    for patch in [json!({ "role": "agent" }), json!({ "status": "disabled" })] {
        let resp = app.call(Method::PATCH, &path, &admin, Some(patch)).await;
        assert_problem(resp, StatusCode::CONFLICT, "last_admin").await;
    }
    let resp = app.call(Method::DELETE, &path, &admin, None).await;
    assert_problem(resp, StatusCode::CONFLICT, "cannot_delete_self").await;
}

#[tokio::test]
async fn the_agent_quota_is_enforced() {
    let app = spawn_app_with(|_| {}).await;
    let platform = app.platform_token().await;
    let acme = app.tenant_id("acme").await;
    let resp = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{acme}"),
            &platform,
            Some(json!({ "max_agents": 2 })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let admin = app.token("acme", "admin").await;
    let body = json!({ "email": "third@acme.example", "display_name": "Third", "role": "agent", "password": "long enough pass" });
    let resp = app
        .call(Method::POST, "/api/v1/users", &admin, Some(body))
        .await;
    assert_problem(resp, StatusCode::CONFLICT, "quota_exceeded").await;
    // Supervisors do not count against the agent quota.
    let body = json!({ "email": "sup2@acme.example", "display_name": "Sup", "role": "supervisor", "password": "long enough pass" });
    let resp = app
        .call(Method::POST, "/api/v1/users", &admin, Some(body))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn changing_a_password_signs_the_user_out_and_the_new_one_works() {
    let app = spawn_app().await;
    let tokens = app.login(Some("acme"), "agent1@acme.example").await;
    let access = tokens["access_token"].as_str().expect("t");
    let (_, me) = app.get_json("/api/v1/me", access).await;
    let path = format!("/api/v1/users/{}", me["id"].as_str().expect("id"));
    let resp = app
        .call(
            Method::PATCH,
            &path,
            access,
            Some(json!({ "password": "a brand new secret" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": tokens["refresh_token"] }))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app
        .try_login(Some("acme"), "agent1@acme.example", "a brand new secret")
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_deletes_a_user() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let (_, agents) = app.get_json("/api/v1/users?q=blake", &admin).await;
    let id = agents["items"][0]["id"].as_str().expect("id").to_owned();
    let resp = app
        .call(Method::DELETE, &format!("/api/v1/users/{id}"), &admin, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_json(&format!("/api/v1/users/{id}"), &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = app
        .try_login(
            Some("acme"),
            "agent2@acme.example",
            crate::helpers::PASSWORD,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
