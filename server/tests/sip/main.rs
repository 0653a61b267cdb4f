//! SIP end-to-end tests with a real peer: `sipp` (Debian `sip-tester`) plays the carrier against
//! a Switchboard server on a fresh database. Scenarios live in `e2e/sip/`.

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use helpers::{TestApp, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../e2e/sip")
        .join(name)
}

/// A free UDP port on loopback (even, with the next one free too, for sipp's media).
fn free_port() -> u16 {
    loop {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let p = s.local_addr().expect("addr").port();
        if p.is_multiple_of(2) && p < 65000 && UdpSocket::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

/// Run sipp once with `scenario` calling `number`; returns whether every call succeeded.
/// `keys`: `code` is substituted into the scenario, `au`/`ap` are digest credentials, anything
/// else is a `-key`.
async fn sipp(app: &TestApp, scenario_file: &str, number: &str, keys: &[(&str, &str)]) -> bool {
    let mut path = scenario(scenario_file);
    if let Some((_, code)) = keys.iter().find(|(k, _)| *k == "code") {
        let text = std::fs::read_to_string(&path)
            .expect("scenario")
            .replace("[code]", code);
        path = std::env::temp_dir().join(format!(
            "sb-refused-{code}-{}.xml",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(&path, text).expect("write scenario");
    }
    let mut cmd = Command::new("sipp");
    cmd.arg("-sf")
        .arg(&path)
        .args([
            "-s",
            number,
            "-m",
            "1",
            "-nostdin",
            "-i",
            "127.0.0.1",
            "-timeout",
            "30s",
        ])
        .args([
            "-p",
            &free_port().to_string(),
            "-mp",
            &free_port().to_string(),
        ])
        .arg(app.sip.to_string())
        .current_dir(std::env::temp_dir());
    for (k, v) in keys {
        match *k {
            "code" => {}
            // Digest credentials sipp answers challenges with.
            "au" | "ap" => {
                cmd.args([&format!("-{k}"), *v]);
            }
            // sipp's own options (`-d` the pause).
            k if k.starts_with('-') => {
                cmd.args([k, *v]);
            }
            _ => {
                cmd.args(["-key", k, v]);
            }
        }
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("sipp runs (install Debian's sip-tester)");
    if !out.status.success() {
        eprintln!("sipp failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    out.status.success()
}

/// Narrow the demo's loopback trunk to 127.0.0.2, so calls from 127.0.0.1 are unknown sources.
async fn restrict_loopback_trunk(app: &TestApp, platform: &str) {
    let (_, trunks) = app.get_json("/api/v1/trunks", platform).await;
    let trunk = trunks["items"][0]["id"]
        .as_str()
        .expect("loopback trunk")
        .to_owned();
    let patch = json!({ "inbound_cidrs": ["127.0.0.2/32"] });
    let resp = app
        .call(
            Method::PATCH,
            &format!("/api/v1/trunks/{trunk}"),
            platform,
            Some(patch),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// The tenant's calls, waiting until `n` of them have ended.
async fn ended_calls(app: &TestApp, tenant: &str, n: usize) -> Vec<Value> {
    let token = app.token(tenant, "admin").await;
    for _ in 0..100 {
        let (_, page) = app.get_json("/api/v1/calls", &token).await;
        let calls: Vec<Value> = page["items"].as_array().cloned().unwrap_or_default();
        if calls.iter().filter(|c| c["ended_at"].is_string()).count() >= n {
            return calls;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{n} ended calls never appeared");
}

#[tokio::test]
async fn a_carrier_call_to_the_echo_test_gets_its_audio_back_and_one_complete_record() {
    let app = spawn_app().await;
    assert!(
        sipp(
            &app,
            "call-audio.xml",
            "+15550100100",
            &[("from", "+15550101001")]
        )
        .await
    );
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls.len(), 1, "exactly one record: {calls:?}");
    let call = &calls[0];
    assert_eq!(call["direction"], "inbound");
    assert_eq!(call["from_number"], "+15550101001");
    assert_eq!(call["to_number"], "+15550100100");
    assert_eq!(call["hangup_cause"], "answered");
    assert_eq!(call["hangup_side"], "caller");
    assert_eq!(call["codec"], "PCMA");
    let duration = call["duration_ms"].as_i64().expect("duration");
    assert!(
        (2500..6000).contains(&duration),
        "duration {duration} ms for a 3 s call"
    );
    let q = &call["quality"];
    let received = q["packets_received"].as_u64().expect("received");
    let sent = q["packets_sent"].as_u64().expect("sent");
    assert!(received >= 50, "{q}");
    assert_eq!(sent, received, "every packet heard is echoed: {q}");
    // globex sees none of it.
    let globex = app.token("globex", "admin").await;
    let (_, page) = app.get_json("/api/v1/calls", &globex).await;
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn dtmf_sent_to_the_prompt_test_lands_on_the_call_record() {
    let app = spawn_app().await;
    assert!(
        sipp(
            &app,
            "call-dtmf.xml",
            "+15550100101",
            &[("from", "+15550101002")]
        )
        .await
    );
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls[0]["dtmf_digits"], "12#");
    // The prompt was played to the caller while the digits came in.
    assert!(calls[0]["quality"]["packets_sent"].as_u64().expect("sent") > 50);
}

#[tokio::test]
async fn a_blocked_caller_is_refused_with_the_tenants_treatment_and_still_recorded() {
    let app = spawn_app().await;
    let supervisor = app.token("acme", "supervisor").await;
    // refused.xml calls from +15550109999.
    let resp = app
        .call(
            Method::POST,
            "/api/v1/blocked-numbers",
            &supervisor,
            Some(json!({ "pattern": "+15550109999", "reason": "abusive" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let entry: Value = resp.json().await.expect("json");
    assert!(
        sipp(&app, "refused.xml", "+15550100100", &[("code", "486")]).await,
        "busy: 486"
    );
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(
        (
            calls[0]["hangup_cause"].as_str(),
            calls[0]["sip_code"].as_i64()
        ),
        (Some("blocked"), Some(486))
    );
    // A prefix with the silent treatment; the exact entry gone.
    let id = entry["id"].as_str().expect("id");
    app.call(
        Method::DELETE,
        &format!("/api/v1/blocked-numbers/{id}"),
        &supervisor,
        None,
    )
    .await;
    app.call(
        Method::POST,
        "/api/v1/blocked-numbers",
        &supervisor,
        Some(json!({ "pattern": "+1555010*", "treatment": "silent" })),
    )
    .await;
    assert!(
        sipp(&app, "refused.xml", "+15550100100", &[("code", "603")]).await,
        "silent: 603"
    );
    // Another tenant's number is not affected by acme's list.
    assert!(
        sipp(
            &app,
            "call-audio.xml",
            "+35924900100",
            &[("from", "+15550109999")]
        )
        .await,
        "globex takes the call"
    );
}

#[tokio::test]
async fn unknown_numbers_unknown_sources_and_a_full_quota_are_refused() {
    let app = spawn_app().await;
    assert!(
        sipp(&app, "refused.xml", "+19995550000", &[("code", "404")]).await,
        "unknown number: 404"
    );

    let platform = app.platform_token().await;
    let acme = app.tenant_id("acme").await;
    let resp = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tenants/{acme}"),
            &platform,
            Some(json!({ "max_concurrent_calls": 0 })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        sipp(&app, "refused.xml", "+15550100100", &[("code", "503")]).await,
        "quota full: 503"
    );
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(
        (
            calls[0]["hangup_cause"].as_str(),
            calls[0]["sip_code"].as_i64()
        ),
        (Some("rejected"), Some(503))
    );

    restrict_loopback_trunk(&app, &platform).await;
    // The edge reloads its routing table when trunks change.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        sipp(&app, "refused.xml", "+15550100101", &[("code", "403")]).await,
        "unknown source: 403"
    );
}

#[tokio::test]
async fn switchboard_hangs_up_a_call_that_reaches_the_maximum_duration() {
    let app = spawn_app_with(|s| s.sip.max_call_secs = 1).await;
    assert!(sipp(&app, "wait-bye.xml", "+15550100100", &[]).await);
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls[0]["hangup_cause"], "max_duration");
    assert_eq!(calls[0]["hangup_side"], "system");
    assert_eq!(calls[0]["codec"], "PCMU");
}

#[tokio::test]
async fn a_call_whose_far_end_goes_silent_and_never_hangs_up_is_ended_as_a_media_timeout() {
    let app = spawn_app_with(|s| s.sip.media_timeout_secs = 1).await;
    // The caller sends no RTP and waits for our BYE, as a carrier whose BYE was lost.
    assert!(sipp(&app, "wait-bye.xml", "+15550100100", &[]).await);
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls[0]["hangup_cause"], "media_timeout", "{}", calls[0]);
    assert_eq!(calls[0]["hangup_side"], "system");
    assert!(calls[0]["answered_at"].is_string(), "it was answered");
}

#[tokio::test]
async fn a_silent_call_on_hold_outlives_the_media_timeout() {
    let app = spawn_app_with(|s| s.sip.media_timeout_secs = 1).await;
    assert!(sipp(&app, "hold-silent.xml", "+15550100100", &[("-d", "2500")]).await);
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls[0]["hangup_cause"], "answered", "{}", calls[0]);
    assert_eq!(calls[0]["hangup_side"], "caller");
}

#[tokio::test]
async fn switchboard_refreshes_a_session_it_is_the_refresher_of() {
    let app = spawn_app_with(|s| s.sip.min_session_expires_secs = 1).await;
    // A 2 s session: our UPDATE must reach the caller after about 1 s.
    let refreshed = sipp(
        &app,
        "session-refresh.xml",
        "+15550100100",
        &[("se", "2;refresher=uas")],
    )
    .await;
    assert!(refreshed, "the caller got our refresh");
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls[0]["hangup_cause"], "answered", "{}", calls[0]);
    assert_eq!(calls[0]["hangup_side"], "caller");
}

#[tokio::test]
async fn a_session_the_caller_never_refreshes_is_ended_as_expired() {
    let app = spawn_app_with(|s| s.sip.min_session_expires_secs = 1).await;
    assert!(
        sipp(
            &app,
            "session-lapse.xml",
            "+15550100100",
            &[("se", "3;refresher=uac")]
        )
        .await
    );
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls[0]["hangup_cause"], "session_expired", "{}", calls[0]);
    assert_eq!(calls[0]["hangup_side"], "system");
}

#[tokio::test]
async fn a_session_interval_below_the_minimum_is_refused_with_422_and_no_record() {
    let app = spawn_app().await;
    assert!(
        sipp(
            &app,
            "session-too-small.xml",
            "+15550100100",
            &[("se", "30")]
        )
        .await
    );
    let token = app.token("acme", "admin").await;
    let (_, page) = app.get_json("/api/v1/calls", &token).await;
    let calls = page["items"].as_array().cloned().unwrap_or_default();
    assert!(
        calls.iter().all(|c| c["sip_call_id"] == "demo"),
        "a refused negotiation is not a call: {page}"
    );
}

/// Send `bytes` and return the first line of the answer, if one comes within a second.
fn exchange(socket: &UdpSocket, to: std::net::SocketAddr, bytes: &[u8]) -> Option<String> {
    socket.send_to(bytes, to).ok()?;
    let mut buf = [0u8; 4096];
    let (n, _) = socket.recv_from(&mut buf).ok()?;
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .map(str::to_owned)
}

fn options(n: usize, port: u16) -> Vec<u8> {
    format!(
        "OPTIONS sip:switchboard@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-ping-{n}\r\n\
         From: <sip:probe@127.0.0.1>;tag=probe{n}\r\nTo: <sip:switchboard@127.0.0.1>\r\nCall-ID: ping-{n}@probe\r\n\
         CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn the_edge_survives_every_rfc_4475_and_rfc_5118_torture_message_and_still_answers_options() {
    let app = spawn_app().await;
    let to = app.sip;
    let sip_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../e2e/sip");
    let result = tokio::task::spawn_blocking(move || {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let port = socket.local_addr().expect("addr").port();
        let mut files: Vec<PathBuf> = ["rfc4475", "rfc5118"]
            .iter()
            .flat_map(|d| {
                std::fs::read_dir(sip_dir.join(d))
                    .expect("torture directory")
                    .flatten()
            })
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "sip"))
            .collect();
        files.sort();
        let mut checked = 0;
        let mut answers: Vec<(String, Option<String>)> = Vec::new();
        for (i, file) in files.iter().enumerate() {
            let message = std::fs::read(file).expect("read");
            socket.send_to(&message, to).expect("send");
            // Collect the first answer the torture message provoked, then ping.
            socket
                .set_read_timeout(Some(Duration::from_millis(300)))
                .expect("timeout");
            let mut buf = [0u8; 8192];
            let mut first: Option<String> = None;
            while let Ok((n, _)) = socket.recv_from(&mut buf) {
                let line = String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if first.is_none() && !line.starts_with("SIP/2.0 100") {
                    first = Some(line);
                }
            }
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            answers.push((name, first));
            socket
                .set_read_timeout(Some(Duration::from_secs(2)))
                .expect("timeout");
            let answer = exchange(&socket, to, &options(i, port));
            assert_eq!(
                answer.as_deref(),
                Some("SIP/2.0 200 OK"),
                "no OPTIONS answer after {}",
                file.display()
            );
            checked += 1;
        }
        // Datagrams that are not SIP at all.
        for junk in [
            &b"\x00\x01\x02"[..],
            b"INVITE",
            &[0xffu8; 3000],
            b"SIP/2.0 200 OK\r\n\r\n",
        ] {
            socket.send_to(junk, to).expect("send");
        }
        assert_eq!(
            exchange(&socket, to, &options(999, port)).as_deref(),
            Some("SIP/2.0 200 OK")
        );
        let answer = |name: &str| {
            answers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, a)| a.clone())
                .unwrap_or_else(|| panic!("{name} was not sent"))
        };
        // Valid requests the stack parses are answered (RFC 4475 3.1.1).
        for name in [
            "esc01",
            "escnull",
            "lwsdisp",
            "longreq",
            "dblreq",
            "semiuri",
            "transports",
            "mpart01",
        ] {
            assert!(
                answer(&format!("{name}.sip")).is_some(),
                "{name}.sip went unanswered"
            );
        }
        // Invalid ones are dropped or refused, never accepted (RFC 4475 3.1.2).
        for name in [
            "badvers",
            "mismatch01",
            "mismatch02",
            "clerr",
            "ncl",
            "scalar02",
            "scalarlg",
            "bigcode",
            "lwsruri",
            "lwsstart",
            "baddn",
        ] {
            if let Some(line) = answer(&format!("{name}.sip")) {
                assert!(
                    line.starts_with("SIP/2.0 4") || line.starts_with("SIP/2.0 5"),
                    "{name}.sip was accepted: {line}"
                );
            }
        }
        checked
    })
    .await
    .expect("join");
    assert!(result >= 49 + 12, "only {result} torture messages checked");
}

#[tokio::test]
async fn a_re_invite_puts_the_call_on_hold_and_back() {
    let app = spawn_app().await;
    assert!(sipp(&app, "hold.xml", "+15550100100", &[]).await);
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls[0]["hangup_cause"], "answered");
    assert_eq!(calls.len(), 1, "a re-INVITE is not a new call");
}

#[tokio::test]
async fn scanners_get_no_answer_and_floods_are_throttled() {
    let app = spawn_app_with(|s| s.sip.requests_per_source_per_sec = 20).await;
    let to = app.sip;
    let answered = tokio::task::spawn_blocking(move || {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_millis(700)))
            .expect("timeout");
        let port = socket.local_addr().expect("addr").port();
        let scanner = String::from_utf8(options(1, port)).expect("utf8").replace(
            "Max-Forwards: 70\r\n",
            "Max-Forwards: 70\r\nUser-Agent: friendly-scanner\r\n",
        );
        assert_eq!(
            exchange(&socket, to, scanner.as_bytes()),
            None,
            "a scanner is answered"
        );
        // 40 requests at once from one source: the limit lets about 20 through.
        for i in 0..40 {
            socket.send_to(&options(100 + i, port), to).expect("send");
        }
        let mut answered = 0;
        let mut buf = [0u8; 4096];
        while socket.recv_from(&mut buf).is_ok() {
            answered += 1;
        }
        // A second later the source is served again.
        std::thread::sleep(Duration::from_millis(1100));
        socket
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        assert_eq!(
            exchange(&socket, to, &options(999, port)).as_deref(),
            Some("SIP/2.0 200 OK")
        );
        answered
    })
    .await
    .expect("join");
    assert!(
        (15..=25).contains(&answered),
        "{answered} of 40 flood requests answered"
    );
}

#[tokio::test]
async fn a_call_cancelled_while_ringing_gets_487_and_a_cancelled_record() {
    let app = spawn_app_with(|s| s.sip.answer_delay_ms = 3000).await;
    assert!(sipp(&app, "cancel.xml", "+15550100100", &[]).await);
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls[0]["hangup_cause"], "cancelled");
    assert_eq!(calls[0]["hangup_side"], "caller");
    assert_eq!(calls[0]["sip_code"], 487);
    assert!(calls[0]["answered_at"].is_null());
    assert_eq!(calls[0]["duration_ms"], 0);
}

#[tokio::test]
async fn an_outbound_call_authenticates_to_the_carrier_and_connects_with_audio() {
    let app = spawn_app().await;
    let carrier_port = free_port();
    let media_port = free_port();
    let mut cmd = Command::new("sipp");
    cmd.arg("-sf")
        .arg(scenario("carrier-uas.xml"))
        .args(["-m", "1", "-nostdin", "-i", "127.0.0.1", "-timeout", "30s"])
        .args([
            "-p",
            &carrier_port.to_string(),
            "-mp",
            &media_port.to_string(),
        ])
        .current_dir(std::env::temp_dir());
    let carrier = tokio::task::spawn_blocking(move || cmd.output());
    tokio::time::sleep(Duration::from_millis(500)).await;

    let platform = app.platform_token().await;
    let acme = app.tenant_id("acme").await;
    let trunk = json!({
        "name": "carrier-b", "tenant_id": acme, "outbound_proxy": format!("127.0.0.1:{carrier_port}"),
        "outbound_username": "acct", "outbound_password": "s3cret", "caller_id": "+15550100199",
        "options_interval_secs": 0
    });
    let resp = app
        .call(Method::POST, "/api/v1/trunks", &platform, Some(trunk))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let sup = app.token("acme", "supervisor").await;
    let resp = app
        .call(
            Method::POST,
            "/api/v1/calls",
            &sup,
            Some(json!({ "to": "(555) 010-9876", "service": "echo" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let started: Value = resp.json().await.expect("json");

    let out = carrier.await.expect("join").expect("sipp runs");
    assert!(
        out.status.success(),
        "carrier scenario failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = ended_calls(&app, "acme", 1).await;
    let call = &calls[0];
    assert_eq!(call["id"], started["id"]);
    assert_eq!(call["direction"], "outbound");
    assert_eq!(call["to_number"], "+15550109876");
    assert_eq!(call["from_number"], "+15550100199");
    assert_eq!(call["hangup_cause"], "answered");
    assert_eq!(call["hangup_side"], "callee");
    assert_eq!(call["codec"], "PCMA");
    assert!(
        call["quality"]["packets_received"]
            .as_u64()
            .expect("received")
            > 20,
        "{call}"
    );

    // Bad input is refused before anything is dialled.
    let resp = app
        .call(
            Method::POST,
            "/api/v1/calls",
            &sup,
            Some(json!({ "to": "nobody", "service": "fax" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let globex = app.token("globex", "admin").await;
    let resp = app
        .call(
            Method::POST,
            "/api/v1/calls",
            &globex,
            Some(json!({ "to": "+15550109876", "service": "echo" })),
        )
        .await;
    // globex has no trunk of its own and the shared loopback trunk points at the demo port.
    assert!(resp.status() == StatusCode::ACCEPTED || resp.status() == StatusCode::CONFLICT);
}

/// Run a sipp UAS scenario in the background on a fresh port; returns the port and the run.
fn carrier(
    scenario_file: &str,
    calls: &str,
) -> (
    u16,
    tokio::task::JoinHandle<std::io::Result<std::process::Output>>,
) {
    let port = free_port();
    let mut cmd = Command::new("sipp");
    cmd.arg("-sf")
        .arg(scenario(scenario_file))
        .args([
            "-m",
            calls,
            "-nostdin",
            "-i",
            "127.0.0.1",
            "-timeout",
            "30s",
        ])
        .args(["-p", &port.to_string(), "-mp", &free_port().to_string()])
        .current_dir(std::env::temp_dir());
    (port, tokio::task::spawn_blocking(move || cmd.output()))
}

#[tokio::test]
async fn switchboard_registers_to_the_carrier_with_digest_auth_and_refreshes() {
    let app = spawn_app().await;
    let (port, registrar) = carrier("registrar.xml", "1");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let platform = app.platform_token().await;
    let trunk = json!({
        "name": "carrier-r", "outbound_proxy": format!("127.0.0.1:{port}"), "outbound_username": "acct",
        "outbound_password": "s3cret", "register": true, "register_expires_secs": 60, "options_interval_secs": 0
    });
    let resp = app
        .call(Method::POST, "/api/v1/trunks", &platform, Some(trunk))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let out = registrar.await.expect("join").expect("sipp runs");
    assert!(
        out.status.success(),
        "registrar scenario failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_options_keepalive_marks_a_trunk_up() {
    let app = spawn_app().await;
    let (port, proxy) = carrier("options-uas.xml", "1");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let platform = app.platform_token().await;
    let trunk = json!({ "name": "carrier-k", "outbound_proxy": format!("127.0.0.1:{port}"), "options_interval_secs": 1 });
    let resp = app
        .call(Method::POST, "/api/v1/trunks", &platform, Some(trunk))
        .await;
    let created: Value = resp.json().await.expect("json");
    assert_eq!(created["status"], "unknown");
    let out = proxy.await.expect("join").expect("sipp runs");
    assert!(
        out.status.success(),
        "keep-alive scenario failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = format!("/api/v1/trunks/{}", created["id"].as_str().expect("id"));
    let mut status = Value::Null;
    for _ in 0..50 {
        status = app.get_json(&path, &platform).await.1["status"].clone();
        if status == "up" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "up");
}

#[tokio::test]
async fn the_edge_answers_over_tls_with_the_configured_certificate() {
    let dir = std::env::temp_dir().join(format!("sb-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let (c, k) = (cert.clone(), key.clone());
    let app = spawn_app_with(move |s| {
        s.sip.tls_cert = Some(c);
        s.sip.tls_key = Some(k);
        s.sip.tls_listen = format!("127.0.0.1:{port}").parse().expect("addr");
    })
    .await;
    let request = format!(
        "OPTIONS sip:switchboard@127.0.0.1:{port};transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-tls-1\r\n\
         From: <sip:probe@127.0.0.1>;tag=tls1\r\nTo: <sip:switchboard@127.0.0.1>\r\nCall-ID: tls-1@probe\r\n\
         CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    let request_file = dir.join("options.txt");
    std::fs::write(&request_file, request).expect("write");
    let mut cmd = Command::new("timeout");
    cmd.args([
        "3",
        "openssl",
        "s_client",
        "-quiet",
        "-ign_eof",
        "-verify_return_error",
        "-CAfile",
    ])
    .arg(&cert)
    .args(["-connect", &format!("127.0.0.1:{port}")])
    .stdin(std::fs::File::open(&request_file).expect("open"));
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("openssl runs");
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(
        answer.starts_with("SIP/2.0 200 OK"),
        "over TLS: {answer:?} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(app);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_carrier_identified_by_credentials_is_challenged_and_admitted() {
    let app = spawn_app().await;
    let platform = app.platform_token().await;
    // Take loopback off the address list, so only credentials identify the carrier.
    restrict_loopback_trunk(&app, &platform).await;
    let trunk = json!({ "name": "carrier-d", "inbound_username": "carrier", "inbound_password": "in-secret", "options_interval_secs": 0 });
    let resp = app
        .call(Method::POST, "/api/v1/trunks", &platform, Some(trunk))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let with = |user: &'static str, pass: &'static str| [("au", user), ("ap", pass)];
    assert!(
        sipp_auth(&app, "call-auth.xml", &with("carrier", "in-secret")).await,
        "right credentials"
    );
    assert!(
        sipp_auth(&app, "call-auth-refused.xml", &with("carrier", "wrong")).await,
        "wrong password: 403"
    );
    assert!(
        sipp_auth(&app, "call-auth-refused.xml", &with("nobody", "in-secret")).await,
        "unknown user: the same 403"
    );
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls.len(), 1, "only the admitted call has a record");
    assert_eq!(calls[0]["hangup_cause"], "answered");
}

async fn sipp_auth(app: &TestApp, scenario_file: &str, creds: &[(&str, &str)]) -> bool {
    sipp(app, scenario_file, "+15550100100", creds).await
}

#[tokio::test]
async fn baresip_calls_the_prompt_test_and_hears_the_prompt() {
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!("sb-baresip-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    // What baresip says into the call: 8 s of a 440 Hz tone at 8 kHz.
    let tone: Vec<i16> = (0..64_000)
        .map(|i| ((i as f32 * 440.0 * std::f32::consts::TAU / 8000.0).sin() * 8000.0) as i16)
        .collect();
    std::fs::write(
        dir.join("in.wav"),
        switchboard_media::wav::write_pcm16(&tone, 1, 8000),
    )
    .expect("tone");
    let config = format!(
        "poll_method epoll\nsip_listen 127.0.0.1:0\naudio_source aufile,{in_wav}\naudio_player aufile,{out}\n\
         audio_alert aufile,{out}\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\n\
         module sndfile.so\nmodule menu.so\nmodule account.so\nsnd_path {snd}\n",
        in_wav = dir.join("in.wav").display(),
        out = dir.join("played.wav").display(),
        snd = dir.display(),
    );
    std::fs::write(dir.join("config"), config).expect("config");
    std::fs::write(dir.join("accounts"), "<sip:baresip@127.0.0.1>;regint=0\n").expect("accounts");
    let target = format!("/dial sip:+15550100101@{}", app.sip);
    let mut cmd = Command::new("timeout");
    cmd.arg("30")
        .arg("baresip")
        .arg("-f")
        .arg(&dir)
        .args(["-e", &target, "-t", "6"])
        .current_dir(&dir);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("baresip runs");
    let log = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(log.contains("Call established"), "{log}");
    // sndfile dumps what baresip decoded from the call: the prompt.
    let heard = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .expect("baresip's recording of the call");
    let audio =
        switchboard_media::wav::read(&std::fs::read(&heard).expect("read")).expect("a WAV file");
    let loud = audio
        .samples
        .iter()
        .filter(|s| s.unsigned_abs() > 2000)
        .count();
    assert!(
        audio.duration_ms() > 3000,
        "{} ms heard",
        audio.duration_ms()
    );
    assert!(
        loud > 4000,
        "only {loud} loud samples: the prompt was not heard"
    );
    let calls = ended_calls(&app, "acme", 1).await;
    assert_eq!(calls[0]["hangup_cause"], "answered");
    assert_eq!(calls[0]["hangup_side"], "caller");
    std::fs::remove_dir_all(&dir).ok();
}
