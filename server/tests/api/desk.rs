use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, problem_fields, spawn_app};

#[tokio::test]
async fn the_desk_reads_codes_scripts_and_history_and_an_agent_wraps_up_their_own_call() {
    let app = spawn_app().await;
    switchboard::demo::seed_history(&app.store)
        .await
        .expect("history");
    let agent1 = app.token("acme", "agent1").await;
    let agent2 = app.token("acme", "agent2").await;
    let admin = app.token("acme", "admin").await;

    // The demo's codes and scripts, readable by agents.
    let (status, codes) = app.get_json("/api/v1/dispositions", &agent1).await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> = codes
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"resolved") && codes.contains(&"callback"),
        "{codes:?}"
    );
    let support = app.queue_id(&admin, "support").await;
    let (_, scripts) = app.get_json("/api/v1/scripts", &agent1).await;
    let script = scripts
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["queue_id"] == support.as_str())
        .expect("support has a script");
    assert!(
        script["greeting"]
            .as_str()
            .expect("greeting")
            .contains("{contact.name}")
    );

    // Alice's history: two earlier calls, newest first, with dispositions, notes and agents.
    let (_, contacts) = app
        .get_json("/api/v1/contacts?phone=%2B15550101001", &agent1)
        .await;
    let alice = contacts["items"][0]["id"]
        .as_str()
        .expect("alice")
        .to_owned();
    let (status, history) = app
        .get_json(&format!("/api/v1/contacts/{alice}/calls"), &agent1)
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let history = history.as_array().expect("list").clone();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["disposition"], "resolved");
    assert_eq!(history[1]["disposition"], "callback");
    assert_eq!(history[1]["follow_up"], true);
    assert!(history[0]["started_at"].as_str() > history[1]["started_at"].as_str());
    assert_eq!(history[0]["queue_name"], "support");
    assert!(history[0]["agent_name"].is_string());
    let call = history[0]["id"].as_str().expect("id").to_owned();

    // Wrap-up: the call's agent (agent1 took the newest) may; another agent may not; a code
    // that does not exist is refused; a supervisor may.
    let wrap = |token: String, body: Value| {
        let path = format!("/api/v1/calls/{call}/wrap-up");
        let app = &app;
        async move { app.call(Method::POST, &path, &token, Some(body)).await }
    };
    let resp = wrap(agent2.clone(), json!({ "disposition": "sale" })).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = wrap(agent1.clone(), json!({ "disposition": "teleported" })).await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem_fields(&problem), ["disposition"]);
    let resp = wrap(
        agent1.clone(),
        json!({ "disposition": "sale", "notes": "Upgraded to the yearly plan.", "follow_up": true }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (_, history) = app
        .get_json(&format!("/api/v1/contacts/{alice}/calls"), &agent1)
        .await;
    assert_eq!(history[0]["disposition"], "sale");
    assert_eq!(history[0]["notes"], "Upgraded to the yearly plan.");
    let supervisor = app.token("acme", "supervisor").await;
    let resp = wrap(supervisor, json!({ "disposition": "resolved" })).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    // Another tenant sees none of it.
    let globex = app.token("globex", "agent1").await;
    let (status, _) = app
        .get_json(&format!("/api/v1/contacts/{alice}/calls"), &globex)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = wrap(globex, json!({ "disposition": "resolved" })).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_keep_codes_and_scripts_and_agents_do_not() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let agent = app.token("acme", "agent1").await;
    let support = app.queue_id(&admin, "support").await;
    let body = json!({ "code": "wrong-number", "label": "Wrong number", "queue_id": support });
    let resp = app
        .call(
            Method::POST,
            "/api/v1/dispositions",
            &agent,
            Some(body.clone()),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = app
        .call(
            Method::POST,
            "/api/v1/dispositions",
            &admin,
            Some(body.clone()),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.expect("json");
    let resp = app
        .call(Method::POST, "/api/v1/dispositions", &admin, Some(body))
        .await;
    assert_problem(resp, StatusCode::CONFLICT, "name_taken").await;
    let resp = app
        .call(
            Method::POST,
            "/api/v1/dispositions",
            &admin,
            Some(json!({ "code": "has space", "label": "", "queue_id": "01a21c8e-7f55-7378-8e69-cd3ef652111a" })),
        )
        .await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem_fields(&problem), ["code", "label", "queue_id"]);

    let path = format!("/api/v1/scripts/{support}");
    let script =
        json!({ "greeting": "Acme, {agent.name} speaking.", "body": "Step one.\nStep two." });
    let resp = app
        .call(Method::PUT, &path, &agent, Some(script.clone()))
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = app.call(Method::PUT, &path, &admin, Some(script)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let saved: Value = resp.json().await.expect("json");
    assert_eq!(saved["greeting"], "Acme, {agent.name} speaking.");
    // Another tenant's admin: 404 for our queue and our code.
    let globex = app.token("globex", "admin").await;
    let resp = app
        .call(
            Method::PUT,
            &path,
            &globex,
            Some(json!({ "greeting": "x", "body": "" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let code_path = format!(
        "/api/v1/dispositions/{}",
        created["id"].as_str().expect("id")
    );
    let resp = app.call(Method::DELETE, &code_path, &globex, None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app.call(Method::DELETE, &code_path, &admin, None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_directory_lists_the_tenants_queues_with_their_escalation_and_colleagues() {
    let app = spawn_app().await;
    let agent = app.token("acme", "agent1").await;
    let (status, dir) = app.get_json("/api/v1/desk/directory", &agent).await;
    assert_eq!(status, StatusCode::OK, "{dir}");
    let admin = app.token("acme", "admin").await;
    let support = app.queue_id(&admin, "support").await;
    let tier2 = app.queue_id(&admin, "tier 2").await;
    let queues = dir["queues"].as_array().expect("queues");
    let s = queues
        .iter()
        .find(|q| q["id"] == support.as_str())
        .expect("support");
    assert_eq!(s["escalate_to"], tier2.as_str());
    assert_eq!(s["mine"], true, "agent1 serves support");
    let names: Vec<&str> = dir["colleagues"]
        .as_array()
        .expect("colleagues")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"Blake Agent"), "{names:?}");
    assert!(!names.contains(&"Alex Agent"), "not themselves: {names:?}");
    assert!(!dir.to_string().contains("globex"));
}
