use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, problem_fields, spawn_app};

#[tokio::test]
async fn the_demo_gives_each_tenant_its_service_numbers_and_only_its_own() {
    let app = spawn_app().await;
    let acme = app.token("acme", "admin").await;
    let globex = app.token("globex", "supervisor").await;
    let (status, page) = app.get_json("/api/v1/numbers", &acme).await;
    assert_eq!(status, StatusCode::OK);
    let numbers: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["number"].as_str())
        .collect();
    assert_eq!(
        numbers,
        [
            "+15550100100",
            "+15550100101",
            "+15550100102",
            "+15550100103",
            "+15550100104"
        ]
    );
    let (_, page) = app.get_json("/api/v1/numbers", &globex).await;
    assert!(!page.to_string().contains("+1555"));
    let acme_number = app.get_json("/api/v1/numbers", &acme).await.1["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/v1/numbers/{acme_number}");
    let (status, _) = app.get_json(&path, &globex).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let globex_admin = app.token("globex", "admin").await;
    let resp = app
        .call(
            Method::PATCH,
            &path,
            &globex_admin,
            Some(json!({ "destination": "prompt_dtmf" })),
        )
        .await;
    assert_problem(resp, StatusCode::NOT_FOUND, "not_found").await;
    // Agents do not see numbers.
    let agent = app.token("acme", "agent1").await;
    let (status, _) = app.get_json("/api/v1/numbers", &agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_number_rings_an_agent_of_its_own_tenant_only() {
    let app = spawn_app().await;
    let acme = app.token("acme", "admin").await;
    let agent2 = app.user_id("acme", "agent2@acme.example").await;
    let globex = app.token("globex", "admin").await;
    let (_, users) = app.get_json("/api/v1/users", &globex).await;
    let globex_user = users["items"][0]["id"].as_str().expect("id").to_owned();
    let (_, flows) = app.get_json("/api/v1/ivr-flows", &globex).await;
    let globex_flow = flows[0]["id"].as_str().expect("the demo's flow").to_owned();
    let (_, page) = app.get_json("/api/v1/numbers", &acme).await;
    let path = format!(
        "/api/v1/numbers/{}",
        page["items"][0]["id"].as_str().expect("id")
    );
    let cases = [
        (format!("agent:{globex_user}"), "another tenant's user"),
        ("agent:not-a-uuid".to_owned(), "not a user id"),
        ("agent:".to_owned(), "no user"),
        ("queue:support".to_owned(), "a queue by name"),
        (format!("flow:{globex_flow}"), "another tenant's flow"),
        ("flow:menu".to_owned(), "a flow by name"),
    ];
    for (destination, why) in cases {
        let resp = app
            .call(
                Method::PATCH,
                &path,
                &acme,
                Some(json!({ "destination": destination })),
            )
            .await;
        let problem =
            assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(problem_fields(&problem), ["destination"], "{why}");
    }
    let (_, unchanged) = app.get_json(&path, &acme).await;
    assert_eq!(
        unchanged["destination"], "echo",
        "refused changes are rolled back"
    );
    let resp = app
        .call(
            Method::PATCH,
            &path,
            &acme,
            Some(json!({ "destination": format!("agent:{agent2}") })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["destination"], format!("agent:{agent2}"));
}

#[tokio::test]
async fn the_platform_assigns_numbers_and_the_tenant_points_them() {
    let app = spawn_app().await;
    let platform = app.platform_token().await;
    let acme_id = app.tenant_id("acme").await;
    let globex_id = app.tenant_id("globex").await;
    // National formats are read in the owning tenant's country.
    let resp = app
        .call(
            Method::POST,
            "/api/v1/numbers",
            &platform,
            Some(json!({ "tenant_id": globex_id, "number": "0700 12 345", "destination": "echo" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.expect("json");
    assert_eq!(created["number"], "+35970012345");
    // A number has one owner.
    let resp = app
        .call(
            Method::POST,
            "/api/v1/numbers",
            &platform,
            Some(
                json!({ "tenant_id": acme_id, "number": "+359 700 12 345", "destination": "echo" }),
            ),
        )
        .await;
    assert_problem(resp, StatusCode::CONFLICT, "number_taken").await;
    let bad = json!({ "tenant_id": acme_id, "number": "12", "destination": "voicemail" });
    let resp = app
        .call(Method::POST, "/api/v1/numbers", &platform, Some(bad))
        .await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().map(Vec::len), Some(2));
    // Tenant admins cannot assign numbers, but can re-point their own.
    let globex = app.token("globex", "admin").await;
    let resp = app
        .call(
            Method::POST,
            "/api/v1/numbers",
            &globex,
            Some(
                json!({ "tenant_id": globex_id, "number": "+35970099999", "destination": "echo" }),
            ),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let path = format!("/api/v1/numbers/{}", created["id"].as_str().expect("id"));
    let resp = app
        .call(
            Method::PATCH,
            &path,
            &globex,
            Some(json!({ "destination": "prompt_dtmf", "label": "Hotline" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let updated: Value = resp.json().await.expect("json");
    assert_eq!(
        (updated["destination"].as_str(), updated["label"].as_str()),
        (Some("prompt_dtmf"), Some("Hotline"))
    );
    let (_, log) = app
        .get_json("/api/v1/audit-log?action=number.update", &globex)
        .await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(1));
    let resp = app.call(Method::DELETE, &path, &platform, None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn trunks_are_platform_only_and_never_return_secrets() {
    let app = spawn_app().await;
    let platform = app.platform_token().await;
    let body = json!({
        "name": "carrier-a", "inbound_cidrs": ["203.0.113.0/24", "198.51.100.7"],
        "inbound_username": "carrier", "inbound_password": "inbound-secret-1",
        "outbound_proxy": "sip.carrier.example:5060", "outbound_username": "acct", "outbound_password": "outbound-secret-2",
        "register": true, "caller_id": "+1 555 010 0199"
    });
    let resp = app
        .call(Method::POST, "/api/v1/trunks", &platform, Some(body))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let text = resp.text().await.expect("body");
    assert!(!text.contains("secret"), "{text}");
    let trunk: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        trunk["inbound_cidrs"],
        json!(["203.0.113.0/24", "198.51.100.7/32"])
    );
    assert_eq!(trunk["has_outbound_password"], true);
    assert_eq!(trunk["caller_id"], "+15550100199");
    let (_, list) = app.get_json("/api/v1/trunks", &platform).await;
    assert!(!list.to_string().contains("secret"));
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(2),
        "the demo's loopback trunk and this one"
    );

    let bad = json!({ "name": "b", "inbound_cidrs": ["10.0.0.0/40"], "outbound_transport": "sctp", "register": true });
    let resp = app
        .call(Method::POST, "/api/v1/trunks", &platform, Some(bad))
        .await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields = problem_fields(&problem);
    assert_eq!(
        fields,
        ["inbound_cidrs[0]", "outbound_transport", "register"]
    );

    let admin = app.token("acme", "admin").await;
    let (status, _) = app.get_json("/api/v1/trunks", &admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn call_records_are_listed_per_tenant() {
    let app = spawn_app().await;
    let acme = app.tenant_id("acme").await;
    let mut tx = app.store.tenant_tx(acme).await.expect("tx");
    let id = uuid::Uuid::now_v7();
    let now = chrono::Utc::now();
    switchboard::store::call::insert(
        &mut tx,
        &switchboard::store::call::NewCall {
            id,
            tenant: acme,
            direction: "inbound",
            trunk_id: None,
            number_id: None,
            from_number: "+15550101001",
            to_number: "+15550100100",
            sip_call_id: "abc@host",
            started_at: now,
            node: "test-node",
        },
    )
    .await
    .expect("insert");
    tx.commit().await.expect("commit");

    let sup = app.token("acme", "supervisor").await;
    let (status, page) = app
        .get_json("/api/v1/calls?number=555-010-1001&direction=inbound", &sup)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"][0]["id"], id.to_string());
    let (status, call) = app.get_json(&format!("/api/v1/calls/{id}"), &sup).await;
    assert_eq!(status, StatusCode::OK);
    assert!(call["ended_at"].is_null());
    let globex = app.token("globex", "admin").await;
    let (status, _) = app.get_json(&format!("/api/v1/calls/{id}"), &globex).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = app.get_json("/api/v1/calls", &globex).await;
    assert_eq!(page["items"], json!([]));
    let (status, _) = app.get_json("/api/v1/calls?direction=sideways", &sup).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A node that crashed left the record open; its restart closes it.
    let mut ptx = app.store.platform_tx().await.expect("ptx");
    let closed = switchboard::store::call::close_orphans(&mut ptx, "test-node")
        .await
        .expect("close");
    ptx.commit().await.expect("commit");
    assert_eq!(closed, 1);
    let (_, call) = app.get_json(&format!("/api/v1/calls/{id}"), &sup).await;
    assert_eq!(call["hangup_cause"], "crashed");
    assert!(call["ended_at"].is_string());
}

#[tokio::test]
async fn a_tenant_replaces_its_prompt_with_its_own_recording() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let tone: Vec<i16> = (0..16_000)
        .map(|i| if i % 20 < 10 { 3000 } else { -3000 })
        .collect();
    let wav = switchboard_media::wav::write_pcm16(&tone, 1, 16_000);
    let put = |token: String, body: Vec<u8>| {
        let app = &app;
        async move {
            app.client
                .put(app.url("/api/v1/prompts/enter-digits"))
                .bearer_auth(token)
                .header("content-type", "audio/wav")
                .body(body)
                .send()
                .await
                .expect("request")
        }
    };
    let resp = put(admin.clone(), wav.clone()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let info: Value = resp.json().await.expect("json");
    assert_eq!(info["duration_ms"], 1000);
    let resp = app
        .call(Method::GET, "/api/v1/prompts/enter-digits", &admin, None)
        .await;
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("audio/wav")
    );
    assert_eq!(resp.bytes().await.expect("body").to_vec(), wav);
    let (_, list) = app.get_json("/api/v1/prompts", &admin).await;
    assert_eq!(list[0]["name"], "enter-digits");

    let resp = put(admin.clone(), b"RIFF not really a wav".to_vec()).await;
    assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let agent = app.token("acme", "agent1").await;
    assert_eq!(
        put(agent, wav.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    let globex = app.token("globex", "admin").await;
    let (status, _) = app.get_json("/api/v1/prompts/enter-digits", &globex).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get_json("/api/v1/prompts/goodbye", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let resp = app
        .call(Method::DELETE, "/api/v1/prompts/enter-digits", &admin, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_json("/api/v1/prompts/enter-digits", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
