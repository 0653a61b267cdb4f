//! Load: many bridged calls through a real Switchboard server process, over real sockets.
//!
//! The server runs as its own process (pinned to one core by `bench/webrtc.sh`). This program
//! simulates the browsers (one str0m peer per agent, each with its own UDP socket, signed in
//! over the WebSocket, answering every call) and the carrier's media (one UDP socket per
//! call), while sipp places the calls. Every audio frame carries a sequence number, so loss
//! and the one-way delay through the server are measured per frame, both ways.
//!
//!     bench/webrtc.sh [calls] [seconds]
//!
//! Prints figures; never fails on time.
#![allow(clippy::disallowed_methods)] // A benchmark reads the clock.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use str0m::change::SdpAnswer;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use switchboard_media::rtp::{RtpHeader, RtpPacket};
use tokio::net::UdpSocket;
use tokio_tungstenite::tungstenite::Message;

const HTTP: &str = "127.0.0.1:18080";
const SIP: &str = "127.0.0.1:15060";
const PASSWORD: &str = "load-test-password";
/// Frames per second per direction per call.
const FPS: u64 = 50;

/// Send times and receipts of frames, by sequence number.
struct Ledger {
    start: Instant,
    sent_at: Vec<AtomicU64>,
    received: Vec<AtomicBool>,
    next: AtomicU64,
    /// One-way delays (µs) of frames received inside the measurement window.
    delays: std::sync::Mutex<Vec<u32>>,
    window: std::sync::Mutex<Option<(Instant, Instant)>>,
}

impl Ledger {
    fn new(capacity: usize) -> Ledger {
        Ledger {
            start: Instant::now(),
            sent_at: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            received: (0..capacity).map(|_| AtomicBool::new(false)).collect(),
            next: AtomicU64::new(1),
            delays: std::sync::Mutex::default(),
            window: std::sync::Mutex::default(),
        }
    }

    /// A frame's payload: 160 bytes of μ-law tone, the sequence number in the first four.
    fn frame(&self) -> Vec<u8> {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let mut payload = vec![0x55u8; 160];
        if let Some(slot) = self.sent_at.get(seq as usize) {
            payload[..4].copy_from_slice(&(seq as u32).to_be_bytes());
            slot.store(self.start.elapsed().as_micros() as u64, Ordering::Relaxed);
        }
        payload
    }

    fn receive(&self, payload: &[u8]) {
        let Some(seq) = payload
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        else {
            return;
        };
        let (Some(sent), Some(flag)) = (
            self.sent_at.get(seq as usize),
            self.received.get(seq as usize),
        ) else {
            return;
        };
        flag.store(true, Ordering::Relaxed);
        let now = Instant::now();
        if let Some((from, to)) = *self.window.lock().expect("lock")
            && now >= from
            && now < to
        {
            let sent = sent.load(Ordering::Relaxed);
            let delay = (self.start.elapsed().as_micros() as u64).saturating_sub(sent);
            self.delays.lock().expect("lock").push(delay as u32);
        }
    }

    /// Frames sent inside `[from, to)` and how many of them arrived.
    fn loss(&self, from: Instant, to: Instant) -> (u64, u64) {
        let (from, to) = (
            from.duration_since(self.start).as_micros() as u64,
            to.duration_since(self.start).as_micros() as u64,
        );
        let mut sent = 0;
        let mut arrived = 0;
        for (at, got) in self.sent_at.iter().zip(&self.received) {
            let at = at.load(Ordering::Relaxed);
            if at >= from && at < to {
                sent += 1;
                arrived += u64::from(got.load(Ordering::Relaxed));
            }
        }
        (sent, arrived)
    }

    fn percentiles(&self) -> (f64, f64, f64) {
        let mut d = self.delays.lock().expect("lock").clone();
        if d.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        d.sort_unstable();
        let at = |q: f64| f64::from(d[((d.len() - 1) as f64 * q) as usize]) / 1000.0;
        (at(0.5), at(0.99), at(1.0))
    }
}

/// The server process's CPU time (user + system) and resident memory.
fn server_usage(pid: u32) -> (Duration, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the file (11 and 12 after the command name).
    let cpu = Duration::from_millis((ticks(11) + ticks(12)) * 10);
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    let rss = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096;
    (cpu, rss)
}

async fn api(
    client: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    let mut req = client
        .request(method, format!("http://{HTTP}{path}"))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let value: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

async fn login(
    client: &reqwest::Client,
    tenant: Option<&str>,
    email: &str,
    password: &str,
) -> String {
    let mut body = json!({ "email": email, "password": password });
    if let Some(t) = tenant {
        body["tenant"] = json!(t);
    }
    api(
        client,
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        body,
    )
    .await["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// Counters shared by all simulated parties.
#[derive(Default)]
struct Counters {
    connected_legs: AtomicUsize,
    calls_live: AtomicUsize,
}

/// One simulated browser: signs in, keeps a media session, answers every call, talks.
async fn agent(
    token: String,
    to_agents: Arc<Ledger>,
    to_callers: Arc<Ledger>,
    counters: Arc<Counters>,
) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{HTTP}/api/v1/ws"))
        .await
        .expect("ws");
    ws.send(Message::text(
        json!({ "type": "auth", "token": token }).to_string(),
    ))
    .await
    .expect("auth");
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let local = socket.local_addr().expect("addr");
    let mut rtc = Rtc::builder()
        .clear_codecs()
        .enable_pcmu(true, false)
        .enable_pcma(true, false)
        .build(Instant::now());
    rtc.add_local_candidate(Candidate::host(local, "udp").expect("candidate"));
    let mut change = rtc.sdp_api();
    let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
    let (offer, pending) = change.apply().expect("offer");
    let mut pending = Some(pending);
    let mut sent_offer = false;
    let mut in_call = false;
    let mut connected = false;
    let mut buf = vec![0u8; 2048];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut ts: u32 = 0;
    loop {
        // Drain str0m.
        let deadline = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => break t,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(Event::Connected)) => {
                    connected = true;
                    counters.connected_legs.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Output::Event(Event::MediaData(d))) => to_agents.receive(&d.data),
                Ok(Output::Event(_)) => {}
                Err(e) => panic!("browser: {e}"),
            }
        };
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline));
        tokio::select! {
            msg = ws.next() => {
                let Some(Ok(Message::Text(text))) = msg else { return };
                let m: Value = serde_json::from_str(&text).expect("json");
                match m["type"].as_str() {
                    Some("ready") if !sent_offer => {
                        sent_offer = true;
                        ws.send(Message::text(json!({ "type": "offer", "sdp": offer.to_sdp_string() }).to_string()))
                            .await
                            .expect("offer");
                    }
                    Some("answer") => {
                        let answer = SdpAnswer::from_sdp_string(m["sdp"].as_str().expect("sdp")).expect("answer");
                        if let Some(p) = pending.take() {
                            rtc.sdp_api().accept_answer(p, answer).expect("accepted");
                        }
                    }
                    Some("incoming") => {
                        let accept = json!({ "type": "accept", "call_id": m["call_id"] });
                        ws.send(Message::text(accept.to_string())).await.expect("accept");
                    }
                    Some("call") if m["state"] == "connected" => {
                        in_call = true;
                        counters.calls_live.fetch_add(1, Ordering::Relaxed);
                    }
                    Some("call") if m["state"] == "ended" => {
                        if in_call {
                            counters.calls_live.fetch_sub(1, Ordering::Relaxed);
                        }
                        in_call = false;
                    }
                    _ => {}
                }
            }
            r = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { continue };
                if let Ok(receive) = Receive::new(Protocol::Udp, from, local, &buf[..n]) {
                    let _ = rtc.handle_input(Input::Receive(Instant::now(), receive));
                }
            }
            _ = tick.tick() => {
                if connected && in_call && let Some(writer) = rtc.writer(mid) {
                    let pt = writer.payload_params().find(|p| p.spec().codec == Codec::PCMU).map(str0m::format::PayloadParams::pt);
                    if let Some(pt) = pt {
                        let time = MediaTime::new(u64::from(ts), Frequency::EIGHT_KHZ);
                        ts = ts.wrapping_add(160);
                        let _ = writer.write(pt, Instant::now(), time, to_callers.frame());
                    }
                }
            }
            () = sleep => {
                let _ = rtc.handle_input(Input::Timeout(Instant::now()));
            }
        }
    }
}

/// One call's carrier media: sends frames to wherever the server's RTP comes from.
async fn caller(socket: UdpSocket, to_agents: Arc<Ledger>, to_callers: Arc<Ledger>) {
    let mut server: Option<SocketAddr> = None;
    let mut buf = [0u8; 2048];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut n: u32 = 0;
    loop {
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                let Ok((len, from)) = r else { continue };
                if let Ok(p) = RtpPacket::parse(&buf[..len]) {
                    server = Some(from);
                    if p.payload_type == 0 {
                        to_callers.receive(p.payload);
                    }
                }
            }
            _ = tick.tick() => {
                let Some(to) = server else { continue };
                let mut packet = Vec::with_capacity(172);
                RtpHeader { marker: n == 0, payload_type: 0, sequence: n as u16, timestamp: n * 160, ssrc: 0x10ad }
                    .write(&to_agents.frame(), &mut packet);
                let _ = socket.send_to(&packet, to).await;
                n += 1;
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let server_cpu = std::env::var("SERVER_CPU").unwrap_or_else(|_| "0".into());

    // A fresh database on the local PostgreSQL.
    let pg = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = format!("sb_load_{}", std::process::id());
    let status = std::process::Command::new("psql")
        .args([pg.as_str(), "-qc", &format!("create database {db}")])
        .status()
        .expect("psql");
    assert!(status.success(), "creating the database");
    let db_url = pg
        .rsplit_once('/')
        .map(|(s, _)| format!("{s}/{db}"))
        .expect("url");
    let data_dir = std::env::temp_dir().join(&db);

    let mut server = std::process::Command::new("taskset")
        .args([
            "-c",
            &server_cpu,
            env!("CARGO_BIN_EXE_switchboard"),
            "serve",
            "--demo",
        ])
        .env("DATABASE_URL", &db_url)
        .env("SWITCHBOARD_DATA_DIR", &data_dir)
        .env("SWITCHBOARD_HTTP__LISTEN", HTTP)
        .env("SWITCHBOARD_SIP__LISTEN", SIP)
        .env("SWITCHBOARD_SIP__RTP_PORT_MIN", "30000")
        .env("SWITCHBOARD_SIP__RTP_PORT_MAX", "39999")
        .env("SWITCHBOARD_SIP__REQUESTS_PER_SOURCE_PER_SEC", "100000")
        .env("SWITCHBOARD_MEDIA__WEBRTC_LISTEN", "127.0.0.1:13478")
        .env("SWITCHBOARD_AUTH__LOGIN_ATTEMPTS_PER_ADDRESS", "100000")
        .env("SWITCHBOARD_LOG__FILTER", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("server starts");
    let pid = server.id();
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("http://{HTTP}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, rss_idle) = server_usage(pid);

    // N agents with a direct line each.
    let platform = login(
        &client,
        None,
        "platform@switchboard.local",
        "switchboard-demo",
    )
    .await;
    let admin = login(
        &client,
        Some("acme"),
        "admin@acme.example",
        "switchboard-demo",
    )
    .await;
    let tenants = api(
        &client,
        reqwest::Method::GET,
        "/api/v1/tenants",
        Some(&platform),
        json!(null),
    )
    .await;
    let acme = tenants["items"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["slug"] == "acme")
        .expect("acme")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let limits = json!({ "max_concurrent_calls": 100_000, "max_agents": 100_000 });
    api(
        &client,
        reqwest::Method::PATCH,
        &format!("/api/v1/tenants/{acme}"),
        Some(&platform),
        limits,
    )
    .await;
    let mut csv = String::from("SEQUENTIAL\n");
    let mut tokens = Vec::new();
    let mut caller_sockets = Vec::new();
    for i in 0..calls {
        let email = format!("load{i}@acme.example");
        let user = json!({ "email": email, "display_name": format!("Load {i}"), "role": "agent", "password": PASSWORD });
        let user = api(
            &client,
            reqwest::Method::POST,
            "/api/v1/users",
            Some(&admin),
            user,
        )
        .await;
        let number = format!("+1555030{i:04}");
        let line = json!({ "tenant_id": acme, "number": number, "destination": format!("agent:{}", user["id"].as_str().expect("id")) });
        api(
            &client,
            reqwest::Method::POST,
            "/api/v1/numbers",
            Some(&platform),
            line,
        )
        .await;
        tokens.push(login(&client, Some("acme"), &email, PASSWORD).await);
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        csv.push_str(&format!(
            "{};{number}\n",
            socket.local_addr().expect("addr").port()
        ));
        caller_sockets.push(socket);
    }
    let capacity = calls * FPS as usize * (seconds as usize + 60);
    let to_agents = Arc::new(Ledger::new(capacity));
    let to_callers = Arc::new(Ledger::new(capacity));
    let counters = Arc::new(Counters::default());
    for token in tokens {
        tokio::spawn(agent(
            token,
            to_agents.clone(),
            to_callers.clone(),
            counters.clone(),
        ));
    }
    while counters.connected_legs.load(Ordering::Relaxed) < calls {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, rss_agents) = server_usage(pid);
    for socket in caller_sockets {
        tokio::spawn(caller(socket, to_agents.clone(), to_callers.clone()));
    }

    // sipp places the calls: 20 a second, each lasting the whole run.
    let csv_path = data_dir.join("calls.csv");
    std::fs::write(&csv_path, csv).expect("csv");
    let ramp = calls as u64 / 20 + 3;
    let hold_ms = (ramp + seconds + 4) * 1000;
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/../e2e/webrtc/load-caller.xml");
    let mut sipp = tokio::process::Command::new("sipp")
        .args(["-sf", scenario, "-inf"])
        .arg(&csv_path)
        .args([
            "-key",
            "from",
            "+15550101001",
            "-r",
            "20",
            "-m",
            &calls.to_string(),
            "-l",
            &calls.to_string(),
        ])
        .args([
            "-d",
            &hold_ms.to_string(),
            "-nostdin",
            "-i",
            "127.0.0.1",
            "-p",
            "15090",
            "-mp",
            "16000",
            SIP,
        ])
        .current_dir(&data_dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("sipp runs");
    let waiting = Instant::now();
    while counters.calls_live.load(Ordering::Relaxed) < calls
        && waiting.elapsed() < Duration::from_secs(ramp + 20)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let live = counters.calls_live.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let from = Instant::now();
    let to = from + Duration::from_secs(seconds);
    *to_agents.window.lock().expect("lock") = Some((from, to));
    *to_callers.window.lock().expect("lock") = Some((from, to));
    let (cpu0, rss_calls) = server_usage(pid);
    let (own0, _) = server_usage(std::process::id());
    tokio::time::sleep_until(tokio::time::Instant::from_std(to)).await;
    let (cpu1, _) = server_usage(pid);
    let (own1, _) = server_usage(std::process::id());
    // Frames sent up to a second before the end have had time to arrive.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loss = |l: &Ledger| {
        let (sent, arrived) = l.loss(from, to - Duration::from_secs(1));
        (
            sent,
            100.0 * sent.saturating_sub(arrived) as f64 / sent.max(1) as f64,
        )
    };
    let (sent_in, loss_in) = loss(&to_agents);
    let (sent_out, loss_out) = loss(&to_callers);
    let (p50_in, p99_in, max_in) = to_agents.percentiles();
    let (p50_out, p99_out, max_out) = to_callers.percentiles();
    let cpu = (cpu1 - cpu0).as_secs_f64();
    let per_call = cpu * 1e6 / (live as f64 * seconds as f64 * FPS as f64);

    println!(
        "bridged calls through the server process (pinned to CPU {server_cpu}), {seconds} s measured:"
    );
    println!(
        "  {live} of {calls} calls live: carrier RTP (G.711) <-> server <-> browsers' SRTP, pass-through, recorded"
    );
    println!(
        "  server CPU: {:.1}% of one core -> {per_call:.1} µs per call per 20 ms",
        100.0 * cpu / seconds as f64
    );
    let generator = (own1 - own0).as_secs_f64() / seconds as f64;
    println!(
        "  load generator (browsers, carrier media): {:.1}% of its core{}",
        100.0 * generator,
        if generator > 0.9 {
            ": saturated, so loss and delay below are partly its own"
        } else {
            ""
        }
    );
    println!(
        "  caller -> agent: {sent_in} frames, {loss_in:.3}% lost, one-way delay p50 {p50_in:.2} ms, p99 {p99_in:.2} ms, max {max_in:.2} ms"
    );
    println!(
        "  agent -> caller: {sent_out} frames, {loss_out:.3}% lost, one-way delay p50 {p50_out:.2} ms, p99 {p99_out:.2} ms, max {max_out:.2} ms"
    );
    println!(
        "  server memory: {:.1} MiB idle, +{:.1} KiB per signed-in agent (media session), +{:.1} KiB per live call",
        rss_idle as f64 / 1048576.0,
        rss_agents.saturating_sub(rss_idle) as f64 / 1024.0 / calls as f64,
        rss_calls.saturating_sub(rss_agents) as f64 / 1024.0 / live.max(1) as f64
    );
    let _ = sipp.kill().await;
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::process::Command::new("psql")
        .args([pg.as_str(), "-qc", &format!("drop database {db}")])
        .status();
    let _ = std::fs::remove_dir_all(&data_dir);
}
