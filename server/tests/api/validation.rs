//! Bad input gets a problem+json 4xx naming the field, and nothing is written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app, spawn_app_with};

async fn contact_count(app: &TestApp, token: &str) -> usize {
    let (_, page) = app.get_json("/api/v1/contacts?limit=200", token).await;
    page["items"].as_array().map_or(0, Vec::len)
}

async fn post_raw(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: &'static str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/contacts"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn invalid_contact_bodies_name_the_field_and_write_nothing() {
    let app = spawn_app().await;
    let token = app.token("acme", "agent1").await;
    let before = contact_count(&app, &token).await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("missing name", json!({ "phones": [] }), "name"),
        ("blank name", json!({ "name": "   " }), "name"),
        ("name not a string", json!({ "name": 42 }), "name"),
        (
            "bad email",
            json!({ "name": "A", "email": "not-an-email" }),
            "email",
        ),
        (
            "letters in a number",
            json!({ "name": "A", "phones": [{ "number": "+1 555 CALL NOW" }] }),
            "phones[0].number",
        ),
        (
            "second number too short",
            json!({ "name": "A", "phones": [{ "number": "+15550101234" }, { "number": "12" }] }),
            "phones[1].number",
        ),
        (
            "unknown field",
            json!({ "name": "A", "tenant_id": "00000000-0000-0000-0000-000000000000" }),
            "tenant_id",
        ),
        (
            "custom fields not an object",
            json!({ "name": "A", "custom_fields": [1, 2] }),
            "custom_fields",
        ),
    ];
    for (case, body, field) in cases {
        let resp = app
            .call(Method::POST, "/api/v1/contacts", &token, Some(body))
            .await;
        let problem =
            assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let fields = problem_fields(&problem);
        assert!(
            fields.iter().any(|f| f.contains(field)),
            "{case}: {problem}"
        );
    }
    assert_eq!(contact_count(&app, &token).await, before);
}

#[tokio::test]
async fn malformed_json_wrong_media_type_and_oversized_bodies_are_refused() {
    let app = spawn_app_with(|s| s.http.body_limit_bytes = 1024).await;
    let token = app.token("acme", "agent1").await;
    let before = contact_count(&app, &token).await;
    let resp = post_raw(&app, &token, "application/json", "{\"name\": \"A\",").await;
    assert_problem(resp, StatusCode::BAD_REQUEST, "malformed_json").await;
    let resp = post_raw(&app, &token, "text/plain", "{\"name\": \"A\"}").await;
    assert_problem(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let big = json!({ "name": "A", "notes": "x".repeat(4096) });
    let resp = app
        .call(Method::POST, "/api/v1/contacts", &token, Some(big))
        .await;
    assert_problem(resp, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(contact_count(&app, &token).await, before);
}

#[tokio::test]
async fn bad_path_and_query_parameters_name_the_parameter() {
    let app = spawn_app().await;
    let token = app.token("acme", "admin").await;
    let cases = [
        ("/api/v1/contacts/not-a-uuid", "id"),
        ("/api/v1/users/1234", "id"),
        ("/api/v1/contacts?limit=0", "limit"),
        ("/api/v1/contacts?limit=abc", "limit"),
        ("/api/v1/contacts?cursor=%%%", "cursor"),
        ("/api/v1/contacts?phone=call-me", "phone"),
        ("/api/v1/users?role=root", "role"),
        ("/api/v1/users?unknown=1", "unknown"),
    ];
    for (path, field) in cases {
        let resp = app.call(Method::GET, path, &token, None).await;
        let problem = assert_problem(resp, StatusCode::BAD_REQUEST, "bad_parameter").await;
        let got = problem["errors"][0]["field"].as_str().unwrap_or_default();
        assert!(got.contains(field), "{path}: {problem}");
    }
}

#[tokio::test]
async fn invalid_users_and_tenants_are_refused_field_by_field() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let body = json!({ "email": "bad", "display_name": "", "role": "agent", "password": "short" });
    let resp = app
        .call(Method::POST, "/api/v1/users", &admin, Some(body))
        .await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields = problem_fields(&problem);
    assert_eq!(fields, ["email", "display_name", "password"]);
    let resp = app
        .call(Method::POST, "/api/v1/users", &admin, Some(json!({ "email": "a@acme.example", "display_name": "A", "role": "root", "password": "long enough pass" })))
        .await;
    assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let platform = app.platform_token().await;
    let body = json!({ "slug": "Bad Slug", "name": "X", "time_zone": "Mars/Olympus Mons", "locale": "english", "country": "XX", "max_agents": -1 });
    let resp = app
        .call(Method::POST, "/api/v1/tenants", &platform, Some(body))
        .await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields = problem_fields(&problem);
    assert_eq!(
        fields,
        ["slug", "time_zone", "locale", "country", "max_agents"]
    );
    let (_, tenants) = app.get_json("/api/v1/tenants", &platform).await;
    assert_eq!(tenants["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn unknown_routes_answer_problem_json_404() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .expect("request");
    assert_problem(resp, StatusCode::NOT_FOUND, "not_found").await;
}
