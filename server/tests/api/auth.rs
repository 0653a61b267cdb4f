use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn signing_in_returns_tokens_and_me_shows_the_user_and_tenant() {
    let app = spawn_app().await;
    let tokens = app.login(Some("acme"), "admin@acme.example").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(
        tokens["refresh_token"]
            .as_str()
            .is_some_and(|r| r.starts_with("sbr_"))
    );
    let access = tokens["access_token"].as_str().expect("token");
    let (status, me) = app.get_json("/api/v1/me", access).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["kind"], "user");
    assert_eq!(me["role"], "tenant_admin");
    assert_eq!(me["user"]["email"], "admin@acme.example");
    assert!(me["user"]["last_login_at"].is_string());
    assert!(me["user"].get("password_hash").is_none());
    assert_eq!(me["tenant"]["slug"], "acme");
}

#[tokio::test]
async fn the_platform_admin_signs_in_without_a_tenant() {
    let app = spawn_app().await;
    let token = app.platform_token().await;
    let (status, me) = app.get_json("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "platform_admin");
    assert!(me["tenant"].is_null());
    // The same email and password with a tenant named is another (non-existent) account.
    let resp = app
        .try_login(Some("acme"), switchboard::demo::PLATFORM_ADMIN, PASSWORD)
        .await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn wrong_password_unknown_user_and_unknown_tenant_get_the_same_answer() {
    let app = spawn_app().await;
    let cases = [
        (Some("acme"), "admin@acme.example", "wrong password!"),
        (Some("acme"), "nobody@acme.example", PASSWORD),
        (Some("nosuchtenant"), "admin@acme.example", PASSWORD),
        (Some("globex"), "admin@acme.example", PASSWORD),
    ];
    let mut bodies = Vec::new();
    for (tenant, email, password) in cases {
        let resp = app.try_login(tenant, email, password).await;
        assert!(resp.headers().get("www-authenticate").is_some());
        bodies.push(assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_but_not_others() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let resp = app
            .try_login(Some("acme"), "agent1@acme.example", "wrong password!")
            .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the account is locked.
    let resp = app
        .try_login(Some("acme"), "agent1@acme.example", PASSWORD)
        .await;
    assert!(resp.headers().get("retry-after").is_some());
    assert_problem(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    let resp = app
        .try_login(Some("acme"), "agent2@acme.example", PASSWORD)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn one_source_address_is_limited_across_accounts() {
    let app = spawn_app_with(|s| s.auth.login_attempts_per_address = 3).await;
    for who in ["admin", "agent1", "agent2"] {
        let resp = app
            .try_login(Some("acme"), &format!("{who}@acme.example"), PASSWORD)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let resp = app
        .try_login(Some("acme"), "supervisor@acme.example", PASSWORD)
        .await;
    assert_problem(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}

async fn refresh(app: &crate::helpers::TestApp, token: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn a_refresh_token_rotates_and_its_reuse_revokes_the_whole_session() {
    let app = spawn_app().await;
    let first = app.login(Some("acme"), "agent1@acme.example").await;
    let resp = refresh(&app, &first["refresh_token"]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second: Value = resp.json().await.expect("json");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let (status, _) = app
        .get_json("/api/v1/me", second["access_token"].as_str().expect("t"))
        .await;
    assert_eq!(status, StatusCode::OK);

    // The spent token comes back: refused, and the family (including `second`) is revoked.
    let resp = refresh(&app, &first["refresh_token"]).await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let resp = refresh(&app, &second["refresh_token"]).await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Another session of the same user is untouched.
    let other = app.login(Some("acme"), "agent1@acme.example").await;
    assert_eq!(
        refresh(&app, &other["refresh_token"]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn malformed_and_forged_refresh_tokens_are_refused() {
    let app = spawn_app().await;
    let real = app.login(Some("acme"), "agent1@acme.example").await;
    let real = real["refresh_token"].as_str().expect("token");
    let (scope, _) = real.split_once('.').expect("scoped token");
    let forged = format!("{scope}.{}", "A".repeat(43));
    for bad in [
        json!("garbage"),
        json!(""),
        json!(forged),
        json!(real.replace("sbr_", "sbk_")),
    ] {
        let resp = refresh(&app, &bad).await;
        assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
}

#[tokio::test]
async fn logout_revokes_the_session_refresh_token() {
    let app = spawn_app().await;
    let tokens = app.login(Some("acme"), "supervisor@acme.example").await;
    let access = tokens["access_token"].as_str().expect("t");
    let resp = app
        .call(Method::POST, "/api/v1/auth/logout", access, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = refresh(&app, &tokens["refresh_token"]).await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_or_refresh() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let agent = app.login(Some("acme"), "agent2@acme.example").await;
    let agent_id = {
        let (_, me) = app
            .get_json("/api/v1/me", agent["access_token"].as_str().expect("t"))
            .await;
        me["id"].as_str().expect("id").to_owned()
    };
    let resp = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{agent_id}"),
            &admin,
            Some(json!({ "status": "disabled" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .try_login(Some("acme"), "agent2@acme.example", PASSWORD)
        .await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(
        refresh(&app, &agent["refresh_token"]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_api_key_authenticates_with_its_role_until_revoked() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let resp = app
        .call(
            Method::POST,
            "/api/v1/api-keys",
            &admin,
            Some(json!({ "name": "CRM sync", "role": "agent" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.expect("json");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let id = created["id"].as_str().expect("id").to_owned();

    let (status, me) = app.get_json("/api/v1/me", &secret).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["kind"], "api_key");
    assert_eq!(me["tenant"]["slug"], "acme");
    let (status, page) = app.get_json("/api/v1/contacts", &secret).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(3));
    // An agent-role key cannot manage users.
    let (status, _) = app.get_json("/api/v1/users", &secret).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The listing never shows the secret.
    let (_, keys) = app.get_json("/api/v1/api-keys", &admin).await;
    assert!(!keys.to_string().contains(&secret));

    let tampered = format!("{}B", &secret[..secret.len() - 1]);
    let (status, _) = app.get_json("/api/v1/me", &tampered).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let resp = app
        .call(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_json("/api/v1/me", &secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
