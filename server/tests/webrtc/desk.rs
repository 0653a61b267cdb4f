//! The agent desktop (`web/`, served at `/`) end to end: a headless Chromium agent works the
//! real page by roles and labels, as a person would, while sipp places the carrier's calls.
//! Needs the bundle: `scripts/test` runs `scripts/build-web` first.

use super::*;

impl Agent {
    async fn click(&mut self, role: &str, name: &str) {
        self.command(json!({ "op": "click", "role": role, "name": name }))
            .await;
    }

    async fn fill(&mut self, label: &str, value: &str) {
        self.command(json!({ "op": "fill", "label": label, "value": value }))
            .await;
    }

    async fn select(&mut self, label: &str, value: &str) {
        self.command(json!({ "op": "select", "label": label, "value": value }))
            .await;
    }

    async fn wait_text(&mut self, text: &str) {
        self.command(json!({ "op": "wait", "text": text })).await;
    }

    async fn wait_button(&mut self, name: &str) {
        self.command(json!({ "op": "wait", "role": "button", "name": name }))
            .await;
    }

    async fn page_text(&mut self) -> String {
        self.command(json!({ "op": "text" }))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Open the desk, sign in and wait until the media session is up.
    async fn desk_sign_in(&mut self, tenant: &str, who: &str) {
        self.fill("Company", tenant).await;
        self.fill("Email", &format!("{who}@{tenant}.example")).await;
        self.fill("Password", PASSWORD).await;
        self.click("button", "Sign in").await;
        self.wait_text("Audio: connected").await;
    }
}

/// With `DESK_SCREENSHOTS=<dir>`, the test saves the desk's screens there (the pictures of
/// `docs/agent-desktop.md`).
async fn screenshot(agent: &mut Agent, name: &str) {
    if let Ok(dir) = std::env::var("DESK_SCREENSHOTS") {
        let path = std::path::Path::new(&dir).join(format!("desk-{name}.png"));
        agent
            .command(json!({ "op": "screenshot", "path": path }))
            .await;
    }
}

/// A browser on the desk, signed in (in English) as `who` of `tenant`, optionally available.
async fn open_desk(app: &TestApp, tone: f64, tenant: &str, who: &str, available: bool) -> Agent {
    let mut agent = Agent::launch_at(app, tone, "/").await;
    agent.select("Language", "en").await;
    agent.desk_sign_in(tenant, who).await;
    if available {
        agent.click("button", "Available").await;
        agent.wait_text("Available").await;
    }
    agent
}

/// Alice calls the support line and stays `pause_ms` after the answer: her media, and whether
/// sipp's call succeeded.
async fn support_call(app: &TestApp, pause_ms: u64) -> (Caller, tokio::task::JoinHandle<bool>) {
    let caller = Caller::start(CALLER_TONE).await;
    let call = sipp_to(
        app,
        "+15550100103",
        "webrtc/caller.xml",
        &[("rtp_port", caller.port.to_string())],
        pause_ms,
    );
    (caller, call)
}

/// Wait (up to 5 s) until the router has `agent` in `state` in the support queue.
async fn wait_support_state(app: &TestApp, agent: &str, state: &str) {
    let mut seen = Value::Null;
    for _ in 0..50 {
        seen = support_state(app, agent).await;
        if seen == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{agent} is {seen}, not {state}");
}

fn desk_ready() -> bool {
    e2e_dir().join("../web/dist/index.html").exists()
}

#[tokio::test]
async fn the_first_real_call_on_the_desk_from_ring_to_history() {
    assert!(desk_ready(), "build the desk first: scripts/build-web");
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    switchboard::demo::seed_history(&app.store)
        .await
        .expect("earlier calls");
    configure_support(&app, json!({ "name": "support", "wrap_up_secs": 60 })).await;

    // 1. The agent signs in in English and goes available.
    let mut agent = open_desk(&app, AGENT_TONE, "acme", "agent1", true).await;
    let text = agent.page_text().await;
    assert!(text.contains("Available"), "{text}");
    assert!(
        text.contains("Queues: support, tier 2"),
        "the queues agent1 serves: {text}"
    );
    screenshot(&mut agent, "idle").await;

    // A globex agent is signed in and available too: acme's calls and contacts never reach
    // them.
    let mut other = open_desk(&app, SUPERVISOR_TONE, "globex", "agent1", true).await;

    // 2-3. Alice calls the support line; before answering, the page rings and shows her name
    // and her earlier call.
    // The page notes when the Answer button appears; it notes when the offer arrived.
    agent
        .eval(
            "new MutationObserver((_, o) => { \
               if ([...document.querySelectorAll('button')].some(b => b.textContent === 'Answer')) { \
                 window.switchboardRangAt = performance.now(); o.disconnect(); } \
             }).observe(document.body, { childList: true, subtree: true, characterData: true }), 1",
        )
        .await;
    let (caller, call) = support_call(&app, 6_000).await;
    let t_invite = std::time::Instant::now();
    agent.wait_button("Answer").await;
    let invite_ms = t_invite.elapsed().as_millis();
    let offer_ms = agent
        .eval("window.switchboardRangAt - window.switchboardOfferAt")
        .await;
    assert!(
        offer_ms.as_f64().is_some_and(|ms| ms >= 0.0),
        "the page measured the offer: {offer_ms}"
    );
    agent
        .wait_text("Asked about an invoice; explained the charges.")
        .await;
    let text = agent.page_text().await;
    assert!(text.contains("Alice Johnson"), "{text}");
    assert!(text.contains("+15550101001"), "{text}");
    assert!(text.contains("support"), "the queue: {text}");
    let theirs = other.page_text().await;
    assert!(
        !theirs.contains("Alice") && !theirs.contains("Incoming call"),
        "{theirs}"
    );
    screenshot(&mut agent, "ringing").await;

    // 4. The agent answers; audio flows both ways.
    agent.click("button", "Answer").await;
    agent.wait_button("Hang up").await;
    let heard = caller.listen(1500).await;
    assert!(
        tone_level(&heard, AGENT_TONE) > 1000.0,
        "the caller hears the agent: {}",
        tone_level(&heard, AGENT_TONE)
    );
    let stats = agent.eval("window.switchboardStats()").await;
    let stats: Value = serde_json::from_str(stats.as_str().expect("json")).expect("stats");
    assert!(stats["totalAudioEnergy"].as_f64() > Some(0.0), "{stats}");

    // 5. The queue's script, with her name filled in.
    agent
        .wait_text("Thank you for calling, Alice Johnson. This is Alex Agent from support.")
        .await;
    screenshot(&mut agent, "on-call").await;

    // A reload mid-call: the page comes back to the same call, with her card.
    agent.command(json!({ "op": "reload" })).await;
    agent.wait_button("Hang up").await;
    agent
        .wait_text("Asked about an invoice; explained the charges.")
        .await;
    let heard = caller.listen(1200).await;
    assert!(
        tone_level(&heard, AGENT_TONE) > 1000.0,
        "audio is back after the reload: {}",
        tone_level(&heard, AGENT_TONE)
    );

    // 6. The caller hangs up; the agent picks a disposition, writes a note and finishes.
    assert!(call.await.expect("join"), "sipp's call succeeded");
    agent.wait_text("Wrap-up").await;
    screenshot(&mut agent, "wrap-up").await;
    agent.select("Disposition", "resolved").await;
    agent
        .fill(
            "Notes on this call",
            "Solved the login problem on the call.",
        )
        .await;
    agent.click("button", "Save and finish").await;

    // 7. The history shows this call with its disposition and note; the record has them
    // and a recording the supervisor can play.
    agent
        .wait_text("Solved the login problem on the call.")
        .await;
    let record = ended_call(&app).await;
    let id = record["id"].as_str().expect("id").to_owned();
    let supervisor = app.token("acme", "supervisor").await;
    let (_, full) = app
        .get_json(&format!("/api/v1/calls/{id}"), &supervisor)
        .await;
    assert_eq!(full["has_recording"], true, "{full}");
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/calls/{id}/recording")))
        .bearer_auth(&supervisor)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    eprintln!(
        "figure: offer to ringing UI {offer_ms} ms; sipp's INVITE to ringing UI within {invite_ms} ms"
    );

    // A second tab takes the desk over; the first says so.
    agent.command(json!({ "op": "open" })).await;
    agent.desk_sign_in("acme", "agent1").await;
    agent.command(json!({ "op": "tab", "index": 0 })).await;
    agent
        .wait_text("This desk was opened in another tab or device; this one is closed.")
        .await;
}

#[tokio::test]
async fn an_escalation_sends_the_caller_to_tier_2_with_their_card() {
    assert!(desk_ready(), "build the desk first: scripts/build-web");
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    // Tier 2 is served by agent2 here (the demo puts agent1 there).
    let admin = app.token("acme", "admin").await;
    let tier2 = app.queue_id(&admin, "tier 2").await;
    let agent2_id = app.user_id("acme", "agent2@acme.example").await;
    let resp = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/queues/{tier2}/members"),
            &admin,
            Some(json!({ "user_ids": [agent2_id] })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let mut first = open_desk(&app, SUPERVISOR_TONE, "acme", "agent1", true).await;
    let (caller, call) = support_call(&app, 12_000).await;
    first.wait_button("Answer").await;
    first.click("button", "Answer").await;
    first.wait_button("Hang up").await;

    // The second agent comes in for tier 2 while the first is on the call.
    let mut second = open_desk(&app, AGENT_TONE, "acme", "agent2", true).await;

    // Escalate: the first agent lets go (wrap-up); the caller waits in tier 2 and the
    // second agent's desk rings with Alice's card and the queue's name.
    first.click("button", "Escalate").await;
    first.wait_text("Wrap-up").await;
    second.wait_button("Answer").await;
    let text = second.page_text().await;
    assert!(text.contains("Alice Johnson"), "{text}");
    assert!(text.contains("tier 2"), "{text}");
    second.click("button", "Answer").await;
    second.wait_button("Hang up").await;
    let heard = caller.listen(1500).await;
    assert!(
        tone_level(&heard, AGENT_TONE) > 1000.0,
        "the caller hears the tier 2 agent: {}",
        tone_level(&heard, AGENT_TONE)
    );
    assert!(
        tone_level(&heard, SUPERVISOR_TONE) < 300.0,
        "and no longer the first"
    );
    assert!(call.await.expect("join"), "sipp's call succeeded");
    let record = ended_call(&app).await;
    assert_eq!(record["agent_id"], agent2_id.as_str(), "{record}");
    assert_eq!(record["queue_id"], tier2.as_str(), "{record}");
}

/// The carrier's proxy for `acme`'s outbound calls: sipp answers one call for the far end,
/// whose RTP (a `tone`) the test owns, and waits for Switchboard's BYE.
async fn far_end(
    app: &TestApp,
    tone: f64,
) -> (
    Caller,
    tokio::task::JoinHandle<std::io::Result<std::process::Output>>,
) {
    let callee = Caller::start(tone).await;
    let proxy_port = free_media_port();
    let mut cmd = tokio::process::Command::new("sipp");
    cmd.arg("-sf")
        .arg(e2e_dir().join("webrtc/callee.xml"))
        .args(["-m", "1", "-nostdin", "-i", "127.0.0.1", "-timeout", "60s"])
        .args(["-p", &proxy_port.to_string()])
        .args(["-mp", &free_media_port().to_string()])
        .args(["-key", "rtp_port", &callee.port.to_string()])
        .current_dir(std::env::temp_dir())
        // A test that fails while the far end waits for its BYE must not wait for sipp.
        .kill_on_drop(true);
    let far_end = tokio::spawn(async move { cmd.output().await });
    let platform = app.platform_token().await;
    let acme = app.tenant_id("acme").await;
    let trunk = json!({
        "name": "carrier-out", "tenant_id": acme, "outbound_proxy": format!("127.0.0.1:{proxy_port}"),
        "caller_id": "+15550100199", "options_interval_secs": 0
    });
    let resp = app
        .call(
            reqwest::Method::POST,
            "/api/v1/trunks",
            &platform,
            Some(trunk),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    (callee, far_end)
}

#[tokio::test]
async fn an_agent_dials_out_through_the_tenants_trunk_then_wraps_up() {
    assert!(desk_ready(), "build the desk first: scripts/build-web");
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let (callee, far_end) = far_end(&app, CALLER_TONE).await;

    let mut agent = open_desk(&app, AGENT_TONE, "acme", "agent1", false).await;
    agent.fill("Number to call", "(555) 010-7777").await;
    agent.click("button", "Call").await;
    agent.wait_text("Connected").await;
    agent.wait_button("Hang up").await;
    let heard = callee.listen(1500).await;
    assert!(
        tone_level(&heard, AGENT_TONE) > 1000.0,
        "the far end hears the agent: {}",
        tone_level(&heard, AGENT_TONE)
    );
    // While on it the agent is not offered queue calls.
    assert!(agent.page_text().await.contains("Not ready"));
    agent.click("button", "Hang up").await;
    agent.wait_text("Wrap-up").await;
    agent.select("Disposition", "sale").await;
    agent.click("button", "Save and finish").await;
    agent.wait_text("Available").await;
    let out = far_end.await.expect("join").expect("sipp runs");
    assert!(
        out.status.success(),
        "the far end's call went as planned: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record = ended_call(&app).await;
    assert_eq!(record["direction"], "outbound", "{record}");
    assert_eq!(
        record["from_number"], "+15550100199",
        "the trunk's caller ID"
    );
    assert_eq!(record["to_number"], "+15550107777");
    assert_eq!(record["hangup_cause"], "answered");
    assert_eq!(
        record["agent_id"],
        app.user_id("acme", "agent1@acme.example").await.as_str()
    );
}

#[tokio::test]
async fn a_blind_transfer_to_an_outside_number_joins_the_caller_to_it_and_frees_the_agent() {
    assert!(desk_ready(), "build the desk first: scripts/build-web");
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let (callee, far_end) = far_end(&app, SUPERVISOR_TONE).await;
    let mut agent = open_desk(&app, AGENT_TONE, "acme", "agent1", true).await;
    let (caller, call) = support_call(&app, 14_000).await;
    agent.wait_button("Answer").await;
    agent.click("button", "Answer").await;
    agent.wait_button("Hang up").await;

    agent.fill("Number to transfer to", "(555) 010-7777").await;
    agent.click("button", "Transfer to number").await;
    // Once the far end answers, the agent is free (wrap-up) and the two parties talk.
    agent.wait_text("Wrap-up").await;
    let agent_id = app.user_id("acme", "agent1@acme.example").await;
    wait_support_state(&app, &agent_id, "wrap_up").await;
    let heard = caller.listen(1500).await;
    assert!(
        tone_level(&heard, SUPERVISOR_TONE) > 1000.0,
        "the caller hears the far end: {}",
        tone_level(&heard, SUPERVISOR_TONE)
    );
    assert!(tone_level(&heard, AGENT_TONE) < 300.0, "and not the agent");
    let heard = callee.listen(1500).await;
    assert!(
        tone_level(&heard, CALLER_TONE) > 1000.0,
        "the far end hears the caller: {}",
        tone_level(&heard, CALLER_TONE)
    );
    // The caller hangs up; the far end's call ends with it.
    assert!(call.await.expect("join"), "sipp's call succeeded");
    let out = far_end.await.expect("join").expect("sipp runs");
    assert!(
        out.status.success(),
        "the far end was hung up: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = app.token("acme", "admin").await;
    let mut leg = Value::Null;
    for _ in 0..50 {
        let (_, calls) = app
            .get_json("/api/v1/calls?direction=outbound", &admin)
            .await;
        leg = calls["items"][0].clone();
        if leg["ended_at"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(leg["to_number"], "+15550107777", "{leg}");
    assert_eq!(leg["hangup_cause"], "answered", "{leg}");
    assert_eq!(
        leg["agent_id"],
        agent_id.as_str(),
        "the agent who transferred: {leg}"
    );
}

#[tokio::test]
async fn a_blind_transfer_to_a_colleague_comes_back_when_refused_and_goes_through_when_answered() {
    assert!(desk_ready(), "build the desk first: scripts/build-web");
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let first_id = app.user_id("acme", "agent1@acme.example").await;
    let second_id = app.user_id("acme", "agent2@acme.example").await;
    let mut first = open_desk(&app, AGENT_TONE, "acme", "agent1", true).await;
    let mut second = open_desk(&app, SUPERVISOR_TONE, "acme", "agent2", false).await;
    let (caller, call) = support_call(&app, 20_000).await;
    first.wait_button("Answer").await;
    first.click("button", "Answer").await;
    first.wait_button("Hang up").await;
    second.click("button", "Available").await;
    wait_support_state(&app, &second_id, "available").await;

    // Refused: the call is the first agent's again, and they hear why.
    first.select("Colleague", &second_id).await;
    first.click("button", "Transfer to colleague").await;
    first.wait_text("Transferring").await;
    second.wait_button("Answer").await;
    // A desk ringing with a colleague's transfer is offered no queue call.
    wait_support_state(&app, &second_id, "busy").await;
    second.click("button", "Refuse").await;
    first.wait_text("transfer_failed").await;
    first.wait_button("Transfer to colleague").await;
    let heard = caller.listen(1500).await;
    assert!(
        tone_level(&heard, AGENT_TONE) > 1000.0,
        "the caller hears the first agent again: {}",
        tone_level(&heard, AGENT_TONE)
    );
    wait_support_state(&app, &second_id, "available").await;

    // Answered: the second agent has the call and Alice's card; the first wraps up.
    first.click("button", "Transfer to colleague").await;
    second.wait_button("Answer").await;
    let text = second.page_text().await;
    assert!(text.contains("Alice Johnson"), "{text}");
    second.click("button", "Answer").await;
    second.wait_button("Hang up").await;
    first.wait_text("Wrap-up").await;
    wait_support_state(&app, &first_id, "wrap_up").await;
    wait_support_state(&app, &second_id, "on_call").await;
    let heard = caller.listen(1500).await;
    assert!(
        tone_level(&heard, SUPERVISOR_TONE) > 1000.0,
        "the caller hears the second agent: {}",
        tone_level(&heard, SUPERVISOR_TONE)
    );
    assert!(tone_level(&heard, AGENT_TONE) < 300.0, "and not the first");
    assert!(call.await.expect("join"), "sipp's call succeeded");
    second.wait_text("Wrap-up").await;
    let record = ended_call(&app).await;
    assert_eq!(record["agent_id"], second_id.as_str(), "{record}");
}

#[tokio::test]
async fn a_supervisor_listens_in_from_the_desk_and_puts_an_agent_on_a_break() {
    assert!(desk_ready(), "build the desk first: scripts/build-web");
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    // The tenant's own break reasons.
    let admin = app.token("acme", "admin").await;
    let reasons = json!([
        { "code": "lunch", "label": "Lunch" },
        { "code": "coaching", "label": "Coaching session" }
    ]);
    let resp = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/break-reasons",
            &admin,
            Some(reasons),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut agent = open_desk(&app, AGENT_TONE, "acme", "agent1", true).await;
    let mut supervisor = open_desk(&app, SUPERVISOR_TONE, "acme", "supervisor", false).await;

    let (caller, call) = support_call(&app, 8_000).await;
    agent.wait_button("Answer").await;
    agent.click("button", "Answer").await;
    agent.wait_button("Hang up").await;
    // The supervisor sees Alex on the call and listens: they hear the call, the caller does
    // not hear them.
    supervisor.wait_button("Listen").await;
    supervisor.click("button", "Listen").await;
    supervisor.wait_button("Stop").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stats = supervisor.eval("window.switchboardStats()").await;
    let stats: Value = serde_json::from_str(stats.as_str().expect("json")).expect("stats");
    assert!(stats["totalAudioEnergy"].as_f64() > Some(0.0), "{stats}");
    let heard = caller.listen(1000).await;
    assert!(
        tone_level(&heard, SUPERVISOR_TONE) < 300.0,
        "the caller does not hear the supervisor"
    );
    assert!(call.await.expect("join"), "sipp's call succeeded");

    // After the call the supervisor puts Alex on a break; Alex's desk shows it.
    agent.wait_text("Wrap-up").await;
    supervisor.click("button", "Put on break").await;
    agent.wait_text("Not ready (supervisor)").await;
    // Alex picks one of the tenant's reasons.
    agent.select("Reason", "coaching").await;
    agent.click("button", "Break").await;
    agent.wait_text("Not ready (Coaching session)").await;
}

/// A load script, not a test (run it with `cargo test -p switchboard --test webrtc -- --ignored
/// shift --nocapture`): a compressed shift of `SHIFT_CALLS` (default 60) calls answered,
/// wrapped up and finished on one page, printing the page's memory as it goes.
#[tokio::test]
#[ignore]
async fn shift() {
    assert!(desk_ready(), "build the desk first: scripts/build-web");
    let calls: usize = std::env::var("SHIFT_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    switchboard::demo::seed_history(&app.store)
        .await
        .expect("earlier calls");
    configure_support(&app, json!({ "name": "support", "wrap_up_secs": 120 })).await;
    let mut agent = open_desk(&app, AGENT_TONE, "acme", "agent1", true).await;
    let memory = "JSON.stringify({ js: performance.memory.usedJSHeapSize, \
        wasm: window.switchboardWasm.memory.buffer.byteLength, \
        held: window.switchboardWasm.heapBytes(), \
        nodes: document.getElementsByTagName('*').length })";
    let started = std::time::Instant::now();
    eprintln!("figure: shift start {}", agent.eval(memory).await);
    for n in 1..=calls {
        let caller = Caller::start(CALLER_TONE).await;
        // Every caller is a new one, so the page holds no more history at the end than at
        // the start: whatever grew would be the page's own.
        let call = sipp_to(
            &app,
            "+15550100103",
            "webrtc/caller.xml",
            &[
                ("rtp_port", caller.port.to_string()),
                ("from", format!("+1555020{n:04}")),
            ],
            1_500,
        );
        agent.wait_button("Answer").await;
        agent.click("button", "Answer").await;
        assert!(call.await.expect("join"), "call {n}");
        agent.wait_text("Notes on this call").await;
        agent.select("Disposition", "resolved").await;
        agent
            .fill("Notes on this call", &format!("Call {n} of the shift."))
            .await;
        agent.click("button", "Save and finish").await;
        agent.wait_text("No call").await;
        agent.wait_text("Available").await;
        if n % 10 == 0 {
            eprintln!(
                "figure: after {n} calls ({:.0} s) {}",
                started.elapsed().as_secs_f64(),
                agent.eval(memory).await
            );
        }
    }
}

/// A load script, not a test: the page's memory while it sits signed in and idle for
/// `IDLE_SECS` (default 60), sampled every 10 s; with `shift`, it tells growth by time from
/// growth by call.
#[tokio::test]
#[ignore]
async fn idle_page() {
    assert!(desk_ready(), "build the desk first: scripts/build-web");
    let secs: u64 = std::env::var("IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let mut agent = open_desk(&app, AGENT_TONE, "acme", "agent1", false).await;
    let memory = "JSON.stringify({ js: performance.memory.usedJSHeapSize, \
        wasm: window.switchboardWasm.memory.buffer.byteLength })";
    for t in (0..=secs).step_by(10) {
        eprintln!("figure: idle {t} s {}", agent.eval(memory).await);
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}
