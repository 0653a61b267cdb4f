use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn a_contact_is_found_from_any_format_of_any_of_its_numbers() {
    let app = spawn_app().await;
    let token = app.token("acme", "agent1").await;
    let created = app
        .create_contact(
            &token,
            json!({
                "name": "Dana Scully",
                "company": "FBI",
                "email": "Dana@FBI.example",
                "phones": [
                    { "number": "(202) 555-0143", "label": "work" },
                    { "number": "+44 20 7946 0958", "label": "London" },
                    { "number": "202.555.0143" }
                ],
                "custom_fields": { "account": "X-1013" }
            }),
        )
        .await;
    assert_eq!(created["email"], "dana@fbi.example");
    assert_eq!(
        created["phones"],
        json!([{ "number": "+12025550143", "label": "work" }, { "number": "+442079460958", "label": "London" }])
    );
    assert_eq!(created["custom_fields"]["account"], "X-1013");
    for query in [
        "%2B1%20202%20555%200143",
        "2025550143",
        "1-202-555-0143",
        "011%2044%2020%207946%200958",
        "tel:%2B442079460958",
    ] {
        let (status, page) = app
            .get_json(&format!("/api/v1/contacts?phone={query}"), &token)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(names(&page), ["Dana Scully"], "{query}");
    }
    let (_, page) = app.get_json("/api/v1/contacts?q=scul", &token).await;
    assert_eq!(names(&page), ["Dana Scully"]);
    let (_, page) = app.get_json("/api/v1/contacts?q=fbi", &token).await;
    assert_eq!(names(&page), ["Dana Scully"]);
    let (_, page) = app
        .get_json("/api/v1/contacts?email=DANA@fbi.example", &token)
        .await;
    assert_eq!(names(&page), ["Dana Scully"]);
    let (_, page) = app.get_json("/api/v1/contacts?q=%25", &token).await;
    assert_eq!(
        names(&page),
        Vec::<String>::new(),
        "% is a literal, not a wildcard"
    );
}

#[tokio::test]
async fn national_numbers_are_read_in_the_tenants_country() {
    let app = spawn_app().await;
    let token = app.token("globex", "agent1").await;
    // The demo's "0888 123 456" for Иван Петров is +359888123456 in Bulgaria.
    let (_, page) = app
        .get_json("/api/v1/contacts?phone=%2B359888123456", &token)
        .await;
    assert_eq!(names(&page), ["Иван Петров"]);
    let (_, page) = app
        .get_json("/api/v1/contacts?phone=00359%20888%20123%20456", &token)
        .await;
    assert_eq!(names(&page), ["Иван Петров"]);
}

#[tokio::test]
async fn pages_follow_the_cursor_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let token = app.token("acme", "agent2").await;
    for i in 0..4 {
        app.create_contact(&token, json!({ "name": format!("Paged {i}") }))
            .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/contacts?limit=2&cursor={c}"),
            None => "/api/v1/contacts?limit=2".to_owned(),
        };
        let (status, page) = app.get_json(&path, &token).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(names(&page));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(pages, 4);
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), 7);
}

#[tokio::test]
async fn a_patch_changes_only_what_it_names_and_null_clears() {
    let app = spawn_app().await;
    let token = app.token("acme", "agent1").await;
    let created = app
        .create_contact(&token, json!({ "name": "Fox", "company": "FBI", "notes": "Trust no one", "phones": [{ "number": "+12025550100" }] }))
        .await;
    let path = format!("/api/v1/contacts/{}", created["id"].as_str().expect("id"));
    let resp = app
        .call(
            Method::PATCH,
            &path,
            &token,
            Some(json!({ "company": null, "name": "Fox Mulder" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let updated: Value = resp.json().await.expect("json");
    assert_eq!(updated["name"], "Fox Mulder");
    assert!(updated["company"].is_null());
    assert_eq!(updated["notes"], "Trust no one");
    assert_eq!(updated["phones"], created["phones"]);
    let resp = app
        .call(Method::PATCH, &path, &token, Some(json!({ "phones": [] })))
        .await;
    let updated: Value = resp.json().await.expect("json");
    assert_eq!(updated["phones"], json!([]));
    let (_, page) = app
        .get_json("/api/v1/contacts?phone=%2B12025550100", &token)
        .await;
    assert_eq!(page["items"], json!([]));

    let sup = app.token("acme", "supervisor").await;
    let resp = app.call(Method::DELETE, &path, &sup, None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_json(&path, &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
