use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, problem_fields, spawn_app};

fn office_hours() -> Value {
    json!({
        "time_zone": "Europe/Sofia",
        "weekly": { "mon": ["09:00-18:00"], "fri": ["09:00-17:00"] },
        "holidays": ["2026-12-24"],
        "overrides": { "2026-12-31": ["09:00-12:00"] }
    })
}

fn flow_with(schedule: &str, queue: &str) -> Value {
    json!({
        "start": "hours",
        "nodes": {
            "hours": { "type": "hours", "schedule": schedule, "open": "menu", "closed": "closed" },
            "closed": { "type": "hangup", "prompt": "closed" },
            "menu": { "type": "menu", "prompt": "menu", "options": { "2": "support" }, "fallback": "support" },
            "support": { "type": "queue", "queue": queue }
        }
    })
}

#[tokio::test]
async fn an_admin_keeps_schedules_and_flows_that_other_tenants_never_see() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let resp = app
        .call(
            Method::POST,
            "/api/v1/schedules",
            &admin,
            Some(json!({ "name": "office", "hours": office_hours() })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let schedule: Value = resp.json().await.expect("json");
    let id = schedule["id"].as_str().expect("id").to_owned();
    assert_eq!(schedule["hours"]["weekly"]["mon"][0], "09:00-18:00");
    let support = app.queue_id(&admin, "support").await;

    let resp = app
        .call(
            Method::POST,
            "/api/v1/ivr-flows",
            &admin,
            Some(json!({ "name": "hotline", "flow": flow_with(&id, &support) })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let flow: Value = resp.json().await.expect("json");
    let flow_id = flow["id"].as_str().expect("id").to_owned();
    assert_eq!(flow["flow"]["start"], "hours");

    // Supervisors read; they do not write.
    let supervisor = app.token("acme", "supervisor").await;
    let (status, list) = app.get_json("/api/v1/ivr-flows", &supervisor).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(names, ["hotline", "main menu"], "ours and the demo's");
    let resp = app
        .call(
            Method::DELETE,
            &format!("/api/v1/schedules/{id}"),
            &supervisor,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Another tenant: 404 for each, and its flows cannot name our schedule.
    let globex = app.token("globex", "admin").await;
    for path in [
        format!("/api/v1/schedules/{id}"),
        format!("/api/v1/ivr-flows/{flow_id}"),
    ] {
        let (status, _) = app.get_json(&path, &globex).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let resp = app
        .call(
            Method::POST,
            "/api/v1/ivr-flows",
            &globex,
            Some(json!({ "name": "stolen", "flow": flow_with(&id, &support) })),
        )
        .await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(
        problem_fields(&problem),
        ["flow.nodes.hours.schedule", "flow.nodes.support.queue"]
    );

    // Names are unique per tenant; replace and delete.
    let resp = app
        .call(
            Method::POST,
            "/api/v1/schedules",
            &admin,
            Some(json!({ "name": "office", "hours": office_hours() })),
        )
        .await;
    assert_problem(resp, StatusCode::CONFLICT, "name_taken").await;
    let resp = app
        .call(
            Method::PUT,
            &format!("/api/v1/schedules/{id}"),
            &admin,
            Some(json!({ "name": "office 24/7", "hours": { "time_zone": "UTC", "weekly": { "mon": ["00:00-24:00"] } } })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .call(
            Method::DELETE,
            &format!("/api/v1/ivr-flows/{flow_id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (status, _) = app
        .get_json(&format!("/api/v1/ivr-flows/{flow_id}"), &admin)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invalid_hours_and_flows_are_refused_field_by_field() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let cases = [
        (
            "/api/v1/schedules",
            json!({ "name": "x", "hours": { "time_zone": "Mars/Olympus" } }),
            vec!["hours.time_zone"],
        ),
        (
            "/api/v1/schedules",
            json!({ "name": "x", "hours": { "time_zone": "UTC", "weekly": { "mon": ["18:00-09:00"] } } }),
            vec!["hours.weekly.mon"],
        ),
        (
            "/api/v1/schedules",
            json!({ "name": "", "hours": { "time_zone": "UTC" } }),
            vec!["name"],
        ),
        (
            "/api/v1/ivr-flows",
            json!({ "name": "x", "flow": { "start": "a", "nodes": { "a": { "type": "play", "prompt": "p", "next": "nowhere" } } } }),
            vec!["flow"],
        ),
        (
            "/api/v1/ivr-flows",
            json!({ "name": "x", "flow": { "start": "a", "nodes": {
            "a": { "type": "play", "prompt": "p", "next": "b" },
            "b": { "type": "set_priority", "priority": 1, "next": "a" } } } }),
            vec!["flow"],
        ),
    ];
    for (path, body, fields) in cases {
        let resp = app
            .call(Method::POST, path, &admin, Some(body.clone()))
            .await;
        let problem =
            assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(problem_fields(&problem), fields, "{body}");
    }
    // A node type that does not exist is a body of the wrong shape.
    let resp = app
        .call(Method::POST, "/api/v1/ivr-flows", &admin, Some(json!({ "name": "x", "flow": { "start": "a", "nodes": { "a": { "type": "teleport" } } } })))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get_json("/api/v1/schedules", &admin).await;
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|s| s["name"] != "x"),
        "nothing was stored"
    );
}

#[tokio::test]
async fn a_blacklist_blocks_numbers_and_prefixes_of_its_own_tenant_until_they_expire() {
    let app = spawn_app().await;
    let supervisor = app.token("acme", "supervisor").await;
    let block = |body: Value| {
        app.call(
            Method::POST,
            "/api/v1/blocked-numbers",
            &supervisor,
            Some(body),
        )
    };
    // A national format is read in acme's plan (US); a prefix stays a prefix.
    let resp =
        block(json!({ "pattern": "(555) 010-1001", "reason": "abusive", "treatment": "silent" }))
            .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let exact: Value = resp.json().await.expect("json");
    assert_eq!(exact["pattern"], "+15550101001");
    let resp = block(json!({ "pattern": "+1900*" })).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = block(json!({ "pattern": "+1555*", "expires_at": "2020-01-01T00:00:00Z" })).await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem_fields(&problem), ["expires_at"]);
    for (bad, why) in [
        ("+19a*", "letters"),
        ("hello", "not a number"),
        ("+*", "empty prefix"),
    ] {
        let resp = block(json!({ "pattern": bad })).await;
        let problem =
            assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert_eq!(problem_fields(&problem), ["pattern"], "{why}");
    }
    let resp = block(json!({ "pattern": "+15550101001" })).await;
    assert_problem(resp, StatusCode::CONFLICT, "already_blocked").await;

    // Matching: exact, prefix, other tenants' numbers untouched.
    let acme = app.tenant_id("acme").await;
    let globex = app.tenant_id("globex").await;
    let now = chrono::Utc::now();
    let check = |tenant, number: &'static str| {
        let store = app.store.clone();
        async move {
            let mut tx = store.tenant_tx(tenant).await.expect("tx");
            switchboard::store::blocked_number::matching(&mut tx, tenant, number, now)
                .await
                .expect("query")
                .map(|b| b.pattern)
        }
    };
    assert_eq!(
        check(acme, "+15550101001").await.as_deref(),
        Some("+15550101001")
    );
    assert_eq!(check(acme, "+19005550000").await.as_deref(), Some("+1900*"));
    assert_eq!(check(acme, "+15550101002").await, None);
    assert_eq!(
        check(globex, "+15550101001").await,
        None,
        "acme's list is acme's"
    );

    let globex_admin = app.token("globex", "admin").await;
    let (_, list) = app.get_json("/api/v1/blocked-numbers", &globex_admin).await;
    assert_eq!(list, json!([]));
    let id = exact["id"].as_str().expect("id");
    let resp = app
        .call(
            Method::DELETE,
            &format!("/api/v1/blocked-numbers/{id}"),
            &globex_admin,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app
        .call(
            Method::DELETE,
            &format!("/api/v1/blocked-numbers/{id}"),
            &supervisor,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(check(acme, "+15550101001").await, None, "unblocked");
}

#[tokio::test]
async fn queues_with_skills_and_members_stay_within_their_tenant() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let post = |path: &'static str, body: Value| app.call(Method::POST, path, &admin, Some(body));
    let skill: Value = post("/api/v1/skills", json!({ "name": "collections" }))
        .await
        .json()
        .await
        .expect("json");
    let skill_id = skill["id"].as_str().expect("id").to_owned();
    let resp = post("/api/v1/skills", json!({ "name": "collections" })).await;
    assert_problem(resp, StatusCode::CONFLICT, "name_taken").await;

    let resp = post("/api/v1/queues", json!({ "name": "escalations" })).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let tier2: Value = resp.json().await.expect("json");
    assert_eq!(tier2["strategy"], "longest_idle");
    assert_eq!(tier2["ring_timeout_secs"], 20);
    let resp = post(
        "/api/v1/queues",
        json!({ "name": "vip", "strategy": "skills", "skill_id": skill_id, "min_level": 2,
                "max_wait_secs": 300, "overflow_queue_id": tier2["id"], "announce_every_secs": 45 }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let support: Value = resp.json().await.expect("json");
    let support_id = support["id"].as_str().expect("id").to_owned();

    let agent1 = app.user_id("acme", "agent1@acme.example").await;
    let agent2 = app.user_id("acme", "agent2@acme.example").await;
    let resp = app
        .call(
            Method::PUT,
            &format!("/api/v1/queues/{support_id}/members"),
            &admin,
            Some(json!({ "user_ids": [agent1, agent2, agent1] })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let with_members: Value = resp.json().await.expect("json");
    assert_eq!(with_members["members"].as_array().map(Vec::len), Some(2));
    let resp = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{agent1}/skills"),
            &admin,
            Some(json!([{ "skill_id": skill_id, "level": 4 }])),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // Bad settings, field by field.
    let cases = [
        (json!({ "name": "x", "strategy": "random" }), "strategy"),
        (json!({ "name": "x", "strategy": "skills" }), "skill_id"),
        (
            json!({ "name": "x", "ring_timeout_secs": 1 }),
            "ring_timeout_secs",
        ),
        (
            json!({ "name": "x", "service_level_target": 101 }),
            "service_level_target",
        ),
        (
            json!({ "name": "x", "skill_id": "00000000-0000-0000-0000-000000000000" }),
            "skill_id",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            post("/api/v1/queues", body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(problem_fields(&problem), [field]);
    }
    let resp = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{agent1}/skills"),
            &admin,
            Some(json!([{ "skill_id": skill_id, "level": 9 }])),
        )
        .await;
    assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    // Another tenant: its users cannot be members, our queues and skills are not there.
    let globex_agent = app.user_id("globex", "agent1@globex.example").await;
    let resp = app
        .call(
            Method::PUT,
            &format!("/api/v1/queues/{support_id}/members"),
            &admin,
            Some(json!({ "user_ids": [globex_agent] })),
        )
        .await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem_fields(&problem), ["user_ids"]);
    let globex = app.token("globex", "admin").await;
    let (status, _) = app
        .get_json(&format!("/api/v1/queues/{support_id}"), &globex)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = app
        .call(
            Method::POST,
            "/api/v1/queues",
            &globex,
            Some(json!({ "name": "steal", "overflow_queue_id": support_id })),
        )
        .await;
    let problem = assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem_fields(&problem), ["overflow_queue_id"]);
    let (_, skills) = app.get_json("/api/v1/skills", &globex).await;
    assert!(
        !skills.to_string().contains("collections"),
        "globex sees only its own skills: {skills}"
    );
    let (status, _) = app
        .get_json(&format!("/api/v1/users/{agent1}/skills"), &globex)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_starting_router_counts_on_from_todays_recorded_queue_events() {
    use switchboard::store::{call, queue_event};
    let app = spawn_app().await;
    let supervisor = app.token("acme", "supervisor").await;
    let support: uuid::Uuid = app
        .queue_id(&supervisor, "support")
        .await
        .parse()
        .expect("uuid");
    let tenant = app.tenant_id("acme").await;
    // Three calls recorded today (two answered, one within the service level, one abandoned)
    // and one two days ago.
    let now = chrono::Utc::now();
    let events = [
        (
            now,
            vec![
                queue_event::Kind::Offered,
                queue_event::Kind::Answered {
                    wait_ms: 5_000,
                    in_service_level: true,
                },
            ],
        ),
        (
            now,
            vec![
                queue_event::Kind::Offered,
                queue_event::Kind::Answered {
                    wait_ms: 45_000,
                    in_service_level: false,
                },
            ],
        ),
        (
            now,
            vec![queue_event::Kind::Offered, queue_event::Kind::Abandoned],
        ),
        (
            now - chrono::Duration::days(2),
            vec![queue_event::Kind::Offered, queue_event::Kind::Overflowed],
        ),
    ];
    let mut db = app.store.tenant_tx(tenant).await.expect("tx");
    for (at, kinds) in events {
        let id = switchboard::store::new_id();
        let record = call::NewCall {
            id,
            tenant,
            direction: "inbound",
            trunk_id: None,
            number_id: None,
            from_number: "+15550101001",
            to_number: "+15550100103",
            sip_call_id: "test",
            started_at: at,
            node: "test",
        };
        call::insert(&mut db, &record).await.expect("call");
        for kind in kinds {
            queue_event::record(&mut db, tenant, support, id, kind, at)
                .await
                .expect("event");
        }
    }
    db.commit().await.expect("commit");

    // The router starts with the first request for it, from today's records.
    let (status, live) = app
        .get_json(&format!("/api/v1/queues/{support}/live"), &supervisor)
        .await;
    assert_eq!(status, StatusCode::OK, "{live}");
    assert_eq!(
        (
            live["offered"].clone(),
            live["answered"].clone(),
            live["answered_in_service_level"].clone(),
            live["abandoned"].clone(),
            live["overflowed"].clone()
        ),
        (json!(3), json!(2), json!(1), json!(1), json!(0)),
        "{live}"
    );
    assert_eq!(live["service_level_percent"], 50.0);
    let (_, today) = app
        .get_json(&format!("/api/v1/queues/{support}/stats"), &supervisor)
        .await;
    assert_eq!(today["offered"], 3);
    assert_eq!(today["answered_wait_ms"], 50_000);
    assert_eq!(today["service_level_percent"], 50.0);
    // Another day's figures are that day's (the day's boundary is acme's, New York).
    let then = (now - chrono::Duration::days(2))
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let (_, past) = app
        .get_json(
            &format!("/api/v1/queues/{support}/stats?date={then}"),
            &supervisor,
        )
        .await;
    assert_eq!(
        (past["offered"].clone(), past["overflowed"].clone()),
        (json!(1), json!(1)),
        "{past}"
    );
    // Another tenant's supervisor: 404; a bad date: 400, like any bad query.
    let globex = app.token("globex", "supervisor").await;
    let (status, _) = app
        .get_json(&format!("/api/v1/queues/{support}/stats"), &globex)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get_json(
            &format!("/api/v1/queues/{support}/stats?date=yesterday"),
            &supervisor,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
