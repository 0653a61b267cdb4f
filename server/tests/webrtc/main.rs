//! Browser audio end to end: headless Chromium agents (Playwright, `e2e/webrtc/agent.mjs`)
//! answer carrier calls that `sipp` places to a direct line, over WebRTC to the server, which
//! bridges them to the trunk leg. The caller's audio is either sipp's pcap, or, where the test
//! must hear what the caller hears, RTP the test itself sends and receives.
//!
//! Needs `node`, `e2e/node_modules` (`npm ci` in `e2e/`), Debian's `chromium` and `sipp`;
//! `scripts/test` installs them.

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod desk;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_media::dtmf::DtmfReceiver;
use switchboard_media::g711::Law;
use switchboard_media::rtp::{RtpHeader, RtpPacket};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::UdpSocket;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio_tungstenite::tungstenite::Message;

/// Chromium and sipp are heavy on two cores: one browser scenario at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const DIRECT_LINE: &str = "+15550100102";
const AGENT_TONE: f64 = 1000.0;
const SUPERVISOR_TONE: f64 = 600.0;
const CALLER_TONE: f64 = 440.0;

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../e2e")
}

/// A 10 s sine at `freq`, amplitude 0.5, 48 kHz: the fake microphone of a browser.
fn tone_wav(freq: f64) -> PathBuf {
    let path = std::env::temp_dir().join(format!("sb-tone-{freq}.wav"));
    if !path.exists() {
        let samples: Vec<i16> = (0..480_000)
            .map(|i| ((i as f64 * freq * std::f64::consts::TAU / 48_000.0).sin() * 16_000.0) as i16)
            .collect();
        let tmp = path.with_extension(format!("{}.tmp", uuid::Uuid::new_v4().simple()));
        std::fs::write(
            &tmp,
            switchboard_media::wav::write_pcm16(&samples, 1, 48_000),
        )
        .expect("tone");
        std::fs::rename(&tmp, &path).expect("tone");
    }
    path
}

/// The amplitude of `freq` in 8 kHz `samples` (Goertzel): about the sine's peak value.
fn tone_level(samples: &[i16], freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = std::f64::consts::TAU * freq / 8000.0;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for x in samples {
        let s = f64::from(*x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / samples.len() as f64
}

fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
}

/// A headless Chromium running the test softphone.
struct Agent {
    _child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Agent {
    async fn launch(app: &TestApp, freq: f64) -> Agent {
        Agent::launch_at(app, freq, "/softphone.html").await
    }

    /// A browser whose microphone plays `freq`, on the page at `path`.
    async fn launch_at(app: &TestApp, freq: f64, path: &str) -> Agent {
        let mut child = Command::new("node")
            .arg(e2e_dir().join("webrtc/agent.mjs"))
            .arg(&app.base)
            .arg(tone_wav(freq))
            .arg(path)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs e2e/webrtc/agent.mjs (run npm ci in e2e/)");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the browser starts in time")
            .expect("read")
            .expect("a line");
        assert!(first.contains("started"), "{first}");
        Agent {
            _child: child,
            stdin,
            lines,
        }
    }

    async fn command(&mut self, cmd: Value) -> Value {
        let mut line = cmd.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.expect("write");
        let reply = tokio::time::timeout(Duration::from_secs(40), self.lines.next_line())
            .await
            .expect("the browser answers in time")
            .expect("read")
            .expect("a line");
        let reply: Value = serde_json::from_str(&reply).expect("json");
        assert_eq!(reply["ok"], true, "{cmd} failed: {reply}");
        reply["value"].clone()
    }

    async fn eval(&mut self, js: &str) -> Value {
        self.command(json!({ "op": "eval", "js": js })).await
    }

    /// Sign in and wait until the media session is connected.
    async fn sign_in(&mut self, tenant: &str, who: &str) {
        self.sign_in_with(tenant, who, "g711").await;
    }

    /// Sign in preferring `codec` (`g711` or `opus`).
    async fn sign_in_with(&mut self, tenant: &str, who: &str, codec: &str) {
        self.eval(&format!(
            "softphone.start({{tenant: '{tenant}', email: '{who}@{tenant}.example', password: '{PASSWORD}', codec: '{codec}'}})"
        ))
        .await;
        self.eval("softphone.until(() => softphone.media === 'connected')")
            .await;
    }

    /// Wait for a call to be offered, accept it, wait until it is connected; its id.
    async fn answer(&mut self) -> String {
        let id = self
            .eval("softphone.until(() => softphone.incoming && softphone.incoming.call_id)")
            .await;
        let id = id.as_str().expect("call id").to_owned();
        self.eval(&format!("softphone.accept('{id}')")).await;
        self.eval(&format!(
            "softphone.until(() => softphone.calls['{id}'] === 'connected')"
        ))
        .await;
        id
    }

    /// Set the agent available and wait until the router says so.
    async fn go_available(&mut self) {
        self.eval("softphone.setState('available')").await;
        self.eval("softphone.until(() => softphone.agentState === 'available')")
            .await;
    }

    /// Wait until the page shows call `id` in `state`.
    async fn until_call(&mut self, id: &str, state: &str) {
        self.eval(&format!(
            "softphone.until(() => softphone.calls['{id}'] === '{state}')"
        ))
        .await;
    }

    async fn stats(&mut self) -> Value {
        self.eval("softphone.stats()").await
    }
}

/// What the caller (the test, as the carrier's media) received: (when, payload type,
/// timestamp, payload).
type Heard = Arc<Mutex<Vec<(Duration, u8, u32, Vec<u8>)>>>;

/// The caller's media: sends a PCMU tone to wherever the server's RTP comes from, keeps
/// everything it receives.
struct Caller {
    port: u16,
    start: Instant,
    heard: Heard,
    /// Keys to press (RFC 4733), in place of the tone while they play.
    keys: Arc<Mutex<std::collections::VecDeque<char>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Caller {
    async fn start(freq: f64) -> Caller {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let port = socket.local_addr().expect("addr").port();
        let heard: Heard = Arc::default();
        let keys: Arc<Mutex<std::collections::VecDeque<char>>> = Arc::default();
        let start = Instant::now();
        let log = heard.clone();
        let pressed = keys.clone();
        let task = tokio::spawn(async move {
            let mut server: Option<SocketAddr> = None;
            let mut buf = [0u8; 2048];
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let mut n: u32 = 0;
            // The key press being sent: its packets and its start timestamp.
            let mut event: (std::collections::VecDeque<(bool, [u8; 4])>, u32) = Default::default();
            loop {
                tokio::select! {
                    r = socket.recv_from(&mut buf) => {
                        let Ok((len, from)) = r else { continue };
                        if let Ok(p) = RtpPacket::parse(&buf[..len]) {
                            server = Some(from);
                            log.lock().expect("lock").push((start.elapsed(), p.payload_type, p.timestamp, p.payload.to_vec()));
                        }
                    }
                    _ = tick.tick() => {
                        let Some(to) = server else { continue };
                        if event.0.is_empty()
                            && let Some(key) = pressed.lock().expect("lock").pop_front()
                            && let Some(code) = switchboard_media::dtmf::event_of(key)
                        {
                            event = (switchboard_media::dtmf::key_press(code, 100, 10).into(), n * 160);
                        }
                        if let Some((marker, payload)) = event.0.pop_front() {
                            let mut packet = Vec::new();
                            RtpHeader { marker, payload_type: 101, sequence: n as u16, timestamp: event.1, ssrc: 0x5eed }
                                .write(&payload, &mut packet);
                            let _ = socket.send_to(&packet, to).await;
                            n += 1;
                            continue;
                        }
                        let payload: Vec<u8> = (0..160u32)
                            .map(|i| {
                                let t = f64::from(n * 160 + i) / 8000.0;
                                Law::Mu.encode(((t * freq * std::f64::consts::TAU).sin() * 8000.0) as i16)
                            })
                            .collect();
                        let mut packet = Vec::new();
                        RtpHeader { marker: n == 0, payload_type: 0, sequence: n as u16, timestamp: n * 160, ssrc: 0x5eed }
                            .write(&payload, &mut packet);
                        let _ = socket.send_to(&packet, to).await;
                        n += 1;
                    }
                }
            }
        });
        Caller {
            port,
            start,
            heard,
            keys,
            task,
        }
    }

    /// What the caller hears over the next `ms` (the first 300 ms left out, while the path
    /// settles).
    async fn listen(&self, ms: u64) -> Vec<i16> {
        let t0 = self.now();
        tokio::time::sleep(Duration::from_millis(ms)).await;
        self.audio(t0 + Duration::from_millis(300), self.now())
    }

    /// Press `key` on the phone's keypad.
    fn press(&self, key: char) {
        self.keys.lock().expect("lock").push_back(key);
    }

    /// Whether the caller heard the built-in English prompt `name`: two of its loud frames,
    /// sample for sample, among what arrived.
    fn heard_prompt(&self, name: &str) -> bool {
        let path = e2e_dir().join(format!("../prompts/en/{name}.wav"));
        let wav = std::fs::read(&path).expect("the prompt exists");
        let prompt = switchboard_media::wav::read(&wav).expect("a wav").samples;
        let loud: Vec<&[i16]> = prompt
            .chunks_exact(160)
            .filter(|f| rms(f) > 1500.0)
            .take(2)
            .collect();
        assert_eq!(loud.len(), 2, "{name} has loud frames");
        let heard = self.heard.lock().expect("lock");
        let frames: Vec<Vec<i16>> = heard
            .iter()
            .filter(|(_, pt, _, _)| *pt == 0)
            .map(|(_, _, _, p)| p.iter().map(|b| Law::Mu.decode(*b)).collect())
            .collect();
        loud.iter()
            .all(|l| frames.iter().any(|f| f.as_slice() == *l))
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// The decoded audio the caller heard between `from` and `to`.
    fn audio(&self, from: Duration, to: Duration) -> Vec<i16> {
        self.heard
            .lock()
            .expect("lock")
            .iter()
            .filter(|(at, pt, _, _)| *pt == 0 && *at >= from && *at < to)
            .flat_map(|(_, _, _, p)| p.iter().map(|b| Law::Mu.decode(*b)).collect::<Vec<_>>())
            .collect()
    }

    /// Keys received as RFC 4733 events.
    fn keys(&self) -> String {
        let mut rx = DtmfReceiver::default();
        let heard = self.heard.lock().expect("lock");
        heard
            .iter()
            .filter(|(_, pt, _, _)| *pt == 101)
            .filter_map(|(_, _, ts, p)| rx.receive(*ts, p).ok().flatten())
            .collect()
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Agent 1 of acme, signed in preferring `codec` (`g711` or `opus`), answers a call from a
/// caller whose audio the test sends and hears; the call lasts `hold_ms` after the answer.
async fn answered_call(
    app: &TestApp,
    codec: &str,
    hold_ms: u64,
) -> (Agent, Caller, tokio::task::JoinHandle<bool>, String) {
    let mut agent = Agent::launch(app, AGENT_TONE).await;
    agent.sign_in_with("acme", "agent1", codec).await;
    let caller = Caller::start(CALLER_TONE).await;
    let call = sipp(
        app,
        "webrtc/caller.xml",
        &[("rtp_port", caller.port.to_string())],
        hold_ms,
    );
    let id = agent.answer().await;
    (agent, caller, call, id)
}

/// Place a call with sipp to the direct line in the background; resolves to whether sipp
/// succeeded.
fn sipp(
    app: &TestApp,
    scenario: &str,
    keys: &[(&str, String)],
    pause_ms: u64,
) -> tokio::task::JoinHandle<bool> {
    sipp_to(app, DIRECT_LINE, scenario, keys, pause_ms)
}

/// Place a call with sipp to `number` in the background.
fn sipp_to(
    app: &TestApp,
    number: &str,
    scenario: &str,
    keys: &[(&str, String)],
    pause_ms: u64,
) -> tokio::task::JoinHandle<bool> {
    let mut cmd = tokio::process::Command::new("sipp");
    cmd.arg("-sf")
        .arg(e2e_dir().join(scenario))
        .args(["-s", number, "-m", "1", "-nostdin", "-i", "127.0.0.1"])
        .args(["-timeout", "60s", "-p", &free_media_port().to_string()])
        .args(["-mp", &free_media_port().to_string()])
        .args(["-d", &pause_ms.to_string()])
        .arg(app.sip.to_string())
        .current_dir(std::env::temp_dir())
        // A test that fails mid-call must not wait for sipp.
        .kill_on_drop(true);
    // The caller is the demo's Alice unless the test says otherwise (sipp keeps the first
    // value of a key).
    if !keys.iter().any(|(k, _)| *k == "from") {
        cmd.args(["-key", "from", "+15550101001"]);
    }
    for (k, v) in keys {
        cmd.args(["-key", k, v]);
    }
    tokio::spawn(async move {
        let out = cmd
            .output()
            .await
            .expect("sipp runs (install Debian's sip-tester)");
        if !out.status.success() {
            eprintln!("sipp failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        out.status.success()
    })
}

/// A free even UDP port with the next one free too (sipp's ports, media and RTCP), from
/// 30000-32767: above the server's RTP range and below the ephemeral ports, which browsers
/// and WebRTC legs take at any moment (a port of that range, found free, could be gone by
/// the time sipp binds it).
fn free_media_port() -> u16 {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let start = (std::process::id() % 1000) as u16 * 2;
    loop {
        let step = NEXT.fetch_add(2, std::sync::atomic::Ordering::Relaxed);
        let p = 30000 + (start + step) % 2766;
        if std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return p;
        }
    }
}

/// The record of the test's one call of acme, once it has ended.
async fn ended_call(app: &TestApp) -> Value {
    let token = app.token("acme", "admin").await;
    for _ in 0..100 {
        let (_, page) = app.get_json("/api/v1/calls", &token).await;
        // The demo's earlier calls (when seeded) are not the test's.
        if let Some(c) = page["items"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["sip_call_id"] != "demo"))
            && c["ended_at"].is_string()
        {
            return c.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the call never ended");
}

/// The call's recording, as (left, right) channels.
async fn recording(app: &TestApp, id: &str) -> (Vec<i16>, Vec<i16>) {
    let token = app.token("acme", "supervisor").await;
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/calls/{id}/recording")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("body");
    switchboard_media::wav::read_stereo(&bytes).expect("a stereo WAV")
}

#[tokio::test]
async fn a_browser_agent_answers_a_carrier_call_and_both_sides_are_heard_and_recorded() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let mut agent = Agent::launch(&app, AGENT_TONE).await;
    agent.sign_in("acme", "agent1").await;
    // sipp plays 3 s of its bundled G.711 speech, then hangs up.
    let call = sipp(&app, "sip/call-audio.xml", &[], 0);
    let id = agent.answer().await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let stats = agent.stats().await;
    assert!(call.await.expect("join"), "sipp's call succeeded");
    assert!(
        stats["packetsReceived"].as_u64().unwrap_or(0) > 50,
        "{stats}"
    );
    assert!(
        stats["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "the browser heard the caller: {stats}"
    );
    agent.until_call(&id, "ended").await;

    let record = ended_call(&app).await;
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["hangup_cause"], "answered");
    assert_eq!(record["hangup_side"], "caller");
    assert!(record["agent_id"].is_string(), "{record}");
    assert_eq!(record["has_recording"], true);
    assert!(
        record["quality"]["agent"]["packets_received"]
            .as_u64()
            .unwrap_or(0)
            > 50,
        "{record}"
    );
    let (left, right) = recording(&app, &id).await;
    assert!(left.len() > 16_000, "at least 2 s recorded: {}", left.len());
    assert!(
        rms(&left) > 300.0,
        "the caller is on the left: {}",
        rms(&left)
    );
    assert!(
        tone_level(&right, AGENT_TONE) > 2000.0,
        "the agent's tone is on the right: {}",
        tone_level(&right, AGENT_TONE)
    );
    assert!(tone_level(&left, AGENT_TONE) < 500.0, "and not on the left");

    // Another tenant's supervisor cannot have it.
    let globex = app.token("globex", "supervisor").await;
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/calls/{id}/recording")))
        .bearer_auth(&globex)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // Range requests seek.
    let token = app.token("acme", "supervisor").await;
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/calls/{id}/recording")))
        .bearer_auth(&token)
        .header("Range", "bytes=0-43")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.bytes().await.expect("body").len(), 44);
}

#[tokio::test]
async fn hold_mute_keys_and_a_recording_pause_reach_the_caller_as_they_should() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let (mut agent, caller, call, id) = answered_call(&app, "g711", 11_000).await;
    let step = Duration::from_millis(1500);
    let t0 = caller.now();
    tokio::time::sleep(step).await;
    let t_hold = caller.now();
    agent.eval(&format!("softphone.hold('{id}', true)")).await;
    tokio::time::sleep(step).await;
    let t_mute = caller.now();
    agent
        .eval(&format!(
            "softphone.hold('{id}', false); softphone.mute('{id}', true)"
        ))
        .await;
    tokio::time::sleep(step).await;
    let t_keys = caller.now();
    agent
        .eval(&format!(
            "softphone.mute('{id}', false); softphone.dtmf('{id}', '159')"
        ))
        .await;
    tokio::time::sleep(step).await;
    agent.eval(&format!("softphone.record('{id}', true)")).await;
    tokio::time::sleep(step).await;
    agent
        .eval(&format!("softphone.record('{id}', false)"))
        .await;
    // Bad requests on the live call are refused and change nothing.
    agent
        .eval("softphone.send('{\"type\":\"hold\",\"call_id\":42}')")
        .await;
    agent
        .eval(&format!("softphone.dtmf('{id}', 'x; drop table')"))
        .await;
    agent
        .eval("softphone.accept('00000000-0000-0000-0000-000000000000')")
        .await;
    let errors = agent
        .eval("softphone.until(() => softphone.errors.length >= 3 && softphone.errors.map(e => e.code))")
        .await;
    assert_eq!(errors, json!(["bad_message", "bad_digits", "no_such_call"]));
    let t_after = caller.now();
    tokio::time::sleep(step).await;
    let t_end = caller.now();
    // The page was told its leg's quality along the way.
    let quality = agent.eval("softphone.quality").await;
    assert!(quality["mos"].as_f64().unwrap_or(0.0) > 4.0, "{quality}");
    assert!(
        quality["loss"].as_f64().is_some_and(|l| l < 0.01),
        "{quality}"
    );
    assert!(call.await.expect("join"), "sipp's call succeeded");

    let margin = Duration::from_millis(300);
    let talk = caller.audio(t0 + margin, t_hold);
    assert!(
        tone_level(&talk, AGENT_TONE) > 2000.0,
        "the caller hears the agent: {}",
        tone_level(&talk, AGENT_TONE)
    );
    let hold = caller.audio(t_hold + margin, t_mute);
    assert!(tone_level(&hold, AGENT_TONE) < 300.0, "no agent on hold");
    assert!(rms(&hold) > 1000.0, "music on hold: {}", rms(&hold));
    let muted = caller.audio(t_mute + margin, t_keys);
    assert!(
        rms(&muted) < 50.0,
        "a muted agent is silent: {}",
        rms(&muted)
    );
    assert_eq!(
        caller.keys(),
        "159",
        "the keypad reached the caller as RFC 4733"
    );
    let after = caller.audio(t_after, t_end);
    assert!(
        tone_level(&after, AGENT_TONE) > 2000.0,
        "the call went on after the bad requests"
    );

    let record = ended_call(&app).await;
    let pause = &record["recording_pauses"][0];
    let (from, to) = (
        pause["from_ms"].as_u64().expect("pause start"),
        pause["to_ms"].as_u64().expect("pause end"),
    );
    assert!((1000..2500).contains(&(to - from)), "{record}");
    let (left, right) = recording(&app, &id).await;
    let span = |a: u64, b: u64| ((a * 8) as usize, ((b * 8) as usize).min(left.len()));
    let (a, b) = span(from + 40, to - 40);
    assert!(
        left[a..b].iter().chain(&right[a..b]).all(|s| *s == 0),
        "the paused span is silent"
    );
    let (a, b) = span(to + 200, to + 1200);
    assert!(
        tone_level(&left[a..b], CALLER_TONE) > 2000.0,
        "the caller is recorded after the pause"
    );
    assert!(
        tone_level(&right[a..b], AGENT_TONE) > 2000.0,
        "so is the agent"
    );
}

/// A raw WebSocket client: signs in with `token`, returns the socket after `ready`.
async fn desk_socket(
    app: &TestApp,
    token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = app.base.replace("http://", "ws://") + "/api/v1/ws";
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    ws.send(Message::text(
        json!({ "type": "auth", "token": token }).to_string(),
    ))
    .await
    .expect("send");
    let ready = next_json(&mut ws).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    ws
}

/// Agent 1 of acme's desk socket, set available with no media session; and the router's
/// answer.
async fn available_desk_socket(
    app: &TestApp,
) -> (
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Value,
) {
    let token = app.token("acme", "agent1").await;
    let mut ws = desk_socket(app, &token).await;
    ws.send(Message::text(
        json!({ "type": "state", "state": "available" }).to_string(),
    ))
    .await
    .expect("send");
    let changed = next_json(&mut ws).await;
    (ws, changed)
}

async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("ok");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).expect("json");
        }
    }
}

#[tokio::test]
async fn a_supervisor_listens_and_whispers_unheard_by_the_caller_then_barges_in() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let (_agent, caller, call, id) = answered_call(&app, "g711", 9_000).await;
    let mut supervisor = Agent::launch(&app, SUPERVISOR_TONE).await;
    supervisor.sign_in("acme", "supervisor").await;
    let step = Duration::from_millis(2000);
    let margin = Duration::from_millis(400);

    supervisor
        .eval(&format!("softphone.monitor('{id}', 'listen')"))
        .await;
    let before = supervisor.stats().await["packetsReceived"]
        .as_u64()
        .unwrap_or(0);
    let t_listen = caller.now();
    tokio::time::sleep(step).await;
    let heard = supervisor.stats().await;
    assert!(
        heard["packetsReceived"].as_u64().unwrap_or(0) > before + 50,
        "the supervisor hears the call: {heard}"
    );
    assert!(
        heard["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "{heard}"
    );

    let t_whisper = caller.now();
    supervisor
        .eval(&format!("softphone.monitor('{id}', 'whisper')"))
        .await;
    tokio::time::sleep(step).await;
    let t_barge = caller.now();
    supervisor
        .eval(&format!("softphone.monitor('{id}', 'barge')"))
        .await;
    tokio::time::sleep(step).await;
    let t_end = caller.now();

    // Requests the desk must refuse, the call going on meanwhile.
    let globex = app.token("globex", "supervisor").await;
    let mut ws = desk_socket(&app, &globex).await;
    ws.send(Message::text(
        json!({ "type": "monitor", "call_id": id, "mode": "listen" }).to_string(),
    ))
    .await
    .expect("send");
    let refused = next_json(&mut ws).await;
    assert_eq!(
        refused["code"], "no_such_call",
        "another tenant's call does not exist: {refused}"
    );
    ws.send(Message::text(
        json!({ "type": "offer", "sdp": "v=0\r\nm=audio 9 nonsense" }).to_string(),
    ))
    .await
    .expect("send");
    let refused = next_json(&mut ws).await;
    assert_eq!(refused["type"], "error");
    assert!(
        matches!(refused["code"].as_str(), Some("bad_sdp" | "offer_refused")),
        "{refused}"
    );
    ws.send(Message::text("{\"type\":\"teleport\"}"))
        .await
        .expect("send");
    assert_eq!(next_json(&mut ws).await["code"], "bad_message");
    let acme_agent2 = app.token("acme", "agent2").await;
    let mut ws2 = desk_socket(&app, &acme_agent2).await;
    ws2.send(Message::text(
        json!({ "type": "monitor", "call_id": id, "mode": "barge" }).to_string(),
    ))
    .await
    .expect("send");
    assert_eq!(
        next_json(&mut ws2).await["code"],
        "forbidden",
        "agents do not monitor"
    );
    assert!(call.await.expect("join"), "sipp's call succeeded");

    let listen = caller.audio(t_listen + margin, t_whisper);
    let whisper = caller.audio(t_whisper + margin, t_barge);
    let barge = caller.audio(t_barge + margin, t_end);
    for (name, audio) in [("listen", &listen), ("whisper", &whisper)] {
        assert!(
            tone_level(audio, AGENT_TONE) > 2000.0,
            "{name}: the caller hears the agent"
        );
        assert!(
            tone_level(audio, SUPERVISOR_TONE) < 300.0,
            "{name}: the caller does not hear the supervisor: {}",
            tone_level(audio, SUPERVISOR_TONE)
        );
    }
    assert!(
        tone_level(&barge, SUPERVISOR_TONE) > 1500.0,
        "barge: the caller hears the supervisor: {}",
        tone_level(&barge, SUPERVISOR_TONE)
    );
    assert!(
        tone_level(&barge, AGENT_TONE) > 1500.0,
        "and still the agent"
    );
}

#[tokio::test]
async fn an_ice_restart_and_a_page_reload_during_a_call_keep_the_call_and_its_audio() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let (mut agent, caller, call, id) = answered_call(&app, "g711", 9_000).await;
    // A network change: the same peer connection restarts ICE on the same leg.
    agent.eval("softphone.negotiate(true)").await;
    let t_restart = caller.now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let restarted = caller.audio(t_restart + Duration::from_millis(500), caller.now());
    assert!(
        tone_level(&restarted, AGENT_TONE) > 2000.0,
        "audio flows after an ICE restart: {}",
        tone_level(&restarted, AGENT_TONE)
    );
    agent.command(json!({ "op": "reload" })).await;
    agent.sign_in("acme", "agent1").await;
    let state = agent
        .eval(&format!("softphone.until(() => softphone.calls['{id}'])"))
        .await;
    assert_eq!(state, "connected", "the reloaded page learns its live call");
    let t_back = caller.now();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let stats = agent.stats().await;
    let t_end = caller.now();
    assert!(
        stats["packetsReceived"].as_u64().unwrap_or(0) > 50,
        "the new session receives: {stats}"
    );
    assert!(
        stats["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "{stats}"
    );
    let resumed = caller.audio(t_back + Duration::from_millis(500), t_end);
    assert!(
        tone_level(&resumed, AGENT_TONE) > 2000.0,
        "the caller hears the agent again: {}",
        tone_level(&resumed, AGENT_TONE)
    );
    assert!(
        call.await.expect("join"),
        "the call lasted through the reload"
    );
    let record = ended_call(&app).await;
    assert_eq!(record["hangup_cause"], "answered");
    assert_eq!(record["hangup_side"], "caller");
}

#[tokio::test]
async fn an_attended_transfer_consults_confers_then_hands_the_caller_over() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let second = app.user_id("acme", "agent2@acme.example").await;
    let (mut first_agent, caller, call, id) = answered_call(&app, "g711", 12_000).await;
    let mut second_agent = Agent::launch(&app, SUPERVISOR_TONE).await;
    second_agent.sign_in("acme", "agent2").await;
    let step = Duration::from_millis(2000);
    let margin = Duration::from_millis(400);

    first_agent
        .eval(&format!("softphone.consult('{id}', '{second}')"))
        .await;
    let from = second_agent
        .eval("softphone.until(() => softphone.incoming && softphone.incoming.transfer_from)")
        .await;
    assert!(
        from.is_string(),
        "the consulted agent sees who asks: {from}"
    );
    // The card goes along: the caller is the demo's Alice.
    let card = second_agent.eval("softphone.incoming.contact.name").await;
    assert_eq!(card, "Alice Johnson");
    second_agent
        .eval(&format!("softphone.accept('{id}')"))
        .await;
    for a in [&mut first_agent, &mut second_agent] {
        a.eval(&format!(
            "softphone.until(() => softphone.calls['{id}'] === 'consulting')"
        ))
        .await;
    }
    let t_consult = caller.now();
    tokio::time::sleep(step).await;
    let t_conference = caller.now();
    first_agent
        .eval(&format!("softphone.conference('{id}')"))
        .await;
    first_agent.until_call(&id, "conference").await;
    tokio::time::sleep(step).await;
    let t_transfer = caller.now();
    first_agent
        .eval(&format!("softphone.transfer('{id}')"))
        .await;
    first_agent.until_call(&id, "ended").await;
    second_agent.until_call(&id, "connected").await;
    tokio::time::sleep(step).await;
    let t_end = caller.now();
    assert!(call.await.expect("join"), "sipp's call succeeded");

    let consult = caller.audio(t_consult + margin, t_conference);
    assert!(
        tone_level(&consult, AGENT_TONE) < 300.0,
        "the caller does not hear the consultation"
    );
    assert!(
        tone_level(&consult, SUPERVISOR_TONE) < 300.0,
        "nor the consulted agent"
    );
    assert!(rms(&consult) > 1000.0, "but music: {}", rms(&consult));
    let conference = caller.audio(t_conference + margin, t_transfer);
    assert!(
        tone_level(&conference, AGENT_TONE) > 1500.0,
        "conference: the first agent"
    );
    assert!(
        tone_level(&conference, SUPERVISOR_TONE) > 1500.0,
        "conference: the second agent"
    );
    let after = caller.audio(t_transfer + margin, t_end);
    assert!(
        tone_level(&after, SUPERVISOR_TONE) > 2000.0,
        "the second agent has the caller: {}",
        tone_level(&after, SUPERVISOR_TONE)
    );
    assert!(
        tone_level(&after, AGENT_TONE) < 300.0,
        "the first agent is gone"
    );
    second_agent.until_call(&id, "ended").await;
}

#[tokio::test]
async fn an_agent_on_opus_is_transcoded_to_the_carriers_g711_both_ways() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let (mut agent, caller, call, _id) = answered_call(&app, "opus", 5_000).await;
    let t0 = caller.now();
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let stats = agent.stats().await;
    let heard = caller.audio(t0 + Duration::from_millis(500), caller.now());
    assert!(call.await.expect("join"), "sipp's call succeeded");
    assert_eq!(stats["inboundCodec"], "audio/opus", "{stats}");
    assert_eq!(stats["outboundCodec"], "audio/opus", "{stats}");
    assert!(
        stats["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "{stats}"
    );
    assert!(
        tone_level(&heard, AGENT_TONE) > 2000.0,
        "the caller hears the agent through Opus: {}",
        tone_level(&heard, AGENT_TONE)
    );
    let record = ended_call(&app).await;
    assert_eq!(record["quality"]["agent"]["codec"], "opus", "{record}");
}

#[tokio::test]
async fn a_queued_caller_hears_music_until_an_available_member_answers_then_wrap_up() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    // The demo's queue "support" on +15550100103, with a short wrap-up for the test.
    let support = configure_support(&app, json!({ "name": "support", "wrap_up_secs": 2 })).await;
    let agent1 = app.user_id("acme", "agent1@acme.example").await;

    let mut agent = Agent::launch(&app, AGENT_TONE).await;
    agent.sign_in("acme", "agent1").await;
    agent.go_available().await;
    let caller = Caller::start(CALLER_TONE).await;
    let call = sipp_to(
        &app,
        "+15550100103",
        "webrtc/caller.xml",
        &[("rtp_port", caller.port.to_string())],
        8_000,
    );
    // The call is answered at once: the caller hears music while the agent's desk rings.
    let id = agent
        .eval("softphone.until(() => softphone.incoming && softphone.incoming.call_id)")
        .await;
    let id = id.as_str().expect("call id").to_owned();
    let t_ring = caller.now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = caller.audio(t_ring + Duration::from_millis(200), caller.now());
    assert!(
        rms(&waiting) > 1000.0,
        "music while waiting: {}",
        rms(&waiting)
    );
    assert!(tone_level(&waiting, AGENT_TONE) < 300.0, "no agent yet");
    // The supervisors' live view of the queue agrees.
    let supervisor = app.token("acme", "supervisor").await;
    let (status, live) = app
        .get_json(&format!("/api/v1/queues/{support}/live"), &supervisor)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live["offered"], 1, "{live}");
    let ringing = live["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["user_id"] == agent1.as_str())
        .map(|a| a["state"].clone());
    assert_eq!(ringing, Some(json!("offered")), "{live}");
    let globex = app.token("globex", "supervisor").await;
    let (status, _) = app
        .get_json(&format!("/api/v1/queues/{support}/live"), &globex)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    agent.eval(&format!("softphone.accept('{id}')")).await;
    agent.until_call(&id, "connected").await;
    agent
        .eval("softphone.until(() => softphone.agentState === 'on_call')")
        .await;
    let heard = caller.listen(2000).await;
    assert!(
        tone_level(&heard, AGENT_TONE) > 2000.0,
        "the caller hears the agent: {}",
        tone_level(&heard, AGENT_TONE)
    );
    assert!(call.await.expect("join"), "sipp's call succeeded");
    // The caller hung up: wrap-up for the queue's 2 s, which the agent extends to 4 s from
    // now; then available again.
    agent
        .eval("softphone.until(() => softphone.agentState === 'wrap_up')")
        .await;
    agent
        .eval("softphone.send({ type: 'extend_wrap_up', secs: 4 })")
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        agent.eval("softphone.agentState").await,
        "wrap_up",
        "extended"
    );
    agent
        .eval("softphone.until(() => softphone.agentState === 'available', 5000)")
        .await;
    let record = ended_call(&app).await;
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["hangup_cause"], "answered");
    assert_eq!(record["agent_id"], agent1.as_str());
    // Every state change is on the agent's record, in order.
    let (status, states) = app
        .get_json(&format!("/api/v1/users/{agent1}/states"), &supervisor)
        .await;
    assert_eq!(status, StatusCode::OK, "{states}");
    let names: Vec<&str> = states
        .as_array()
        .expect("states")
        .iter()
        .filter_map(|s| s["state"].as_str())
        .collect();
    assert_eq!(
        names,
        ["available", "offered", "on_call", "wrap_up", "available"],
        "{states}"
    );
}

#[tokio::test]
async fn an_agent_available_before_their_media_connects_is_offered_the_waiting_call_once_it_does() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    configure_support(&app, json!({ "name": "support", "wrap_up_secs": 2 })).await;
    let agent1 = app.user_id("acme", "agent1@acme.example").await;
    // Signed in and available, but no media session yet (the browser is still connecting).
    let (mut ws, changed) = available_desk_socket(&app).await;
    assert_eq!(changed["state"], "available", "{changed}");
    let caller = Caller::start(CALLER_TONE).await;
    let call = sipp_to(
        &app,
        "+15550100103",
        "webrtc/caller-until-bye.xml",
        &[("rtp_port", caller.port.to_string())],
        0,
    );
    // The call waits for the agent: nothing rings a desk whose phone cannot ring, and the
    // agent refused nothing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(support_state(&app, &agent1).await, "available");
    let next = tokio::time::timeout(Duration::from_millis(300), next_json(&mut ws)).await;
    assert!(next.is_err(), "no offer without media: {next:?}");
    // The browser's media session connects (the same user, a page that takes over): the
    // waiting call rings there at once.
    let mut agent = Agent::launch(&app, AGENT_TONE).await;
    agent.sign_in("acme", "agent1").await;
    let id = agent.answer().await;
    agent.eval(&format!("softphone.hangup('{id}')")).await;
    assert!(call.await.expect("join"), "sipp's call succeeded");
    let record = ended_call(&app).await;
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["agent_id"], agent1.as_str());
    let supervisor = app.token("acme", "supervisor").await;
    let (_, states) = app
        .get_json(&format!("/api/v1/users/{agent1}/states"), &supervisor)
        .await;
    let names: Vec<&str> = states
        .as_array()
        .expect("states")
        .iter()
        .filter_map(|s| s["state"].as_str())
        .collect();
    assert_eq!(names[..3], ["available", "offered", "on_call"], "{states}");
}

#[tokio::test]
async fn a_call_to_an_agent_who_is_not_signed_in_is_refused_at_once() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    let caller = Caller::start(CALLER_TONE).await;
    let call = sipp(
        &app,
        "webrtc/caller.xml",
        &[("rtp_port", caller.port.to_string())],
        1000,
    );
    assert!(!call.await.expect("join"), "the call is not answered");
    let record = ended_call(&app).await;
    assert_eq!(record["hangup_cause"], "no_answer", "{record}");
    assert_eq!(record["sip_code"], 480);
}

/// The state of `agent` in the live view of acme's queue `support`.
async fn support_state(app: &TestApp, agent: &str) -> Value {
    let supervisor = app.token("acme", "supervisor").await;
    let (_, queues) = app.get_json("/api/v1/queues", &supervisor).await;
    let support = queues
        .as_array()
        .and_then(|q| q.iter().find(|q| q["name"] == "support"))
        .and_then(|q| q["id"].as_str())
        .expect("the demo's support queue")
        .to_owned();
    let (_, live) = app
        .get_json(&format!("/api/v1/queues/{support}/live"), &supervisor)
        .await;
    live["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["user_id"] == agent))
        .map(|a| a["state"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn an_agent_whose_desk_stays_gone_past_the_grace_is_made_not_ready() {
    let app = spawn_app_with(|s| s.media.desk_grace_secs = 1).await;
    let agent = app.user_id("acme", "agent1@acme.example").await;
    let (mut ws, changed) = available_desk_socket(&app).await;
    assert_eq!(
        (changed["type"].as_str(), changed["state"].as_str()),
        (Some("agent_state"), Some("available"))
    );
    assert_eq!(support_state(&app, &agent).await, "available");
    ws.send(Message::text(
        json!({ "type": "state", "state": "break" }).to_string(),
    ))
    .await
    .expect("send");
    assert_eq!(
        next_json(&mut ws).await["code"],
        "bad_state",
        "a break needs a reason"
    );
    drop(ws);
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(support_state(&app, &agent).await, "not_ready");
}

#[tokio::test]
async fn a_break_takes_one_of_the_tenants_reasons() {
    let app = spawn_app().await;
    let admin = app.token("acme", "admin").await;
    let token = app.token("acme", "agent1").await;
    let (status, seeded) = app.get_json("/api/v1/break-reasons", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        seeded[0]["code"], "lunch",
        "the built-in ones first: {seeded}"
    );
    assert_eq!(
        seeded[3]["code"], "coaching",
        "then the demo's own: {seeded}"
    );
    let mut ws = desk_socket(&app, &token).await;
    let send = |state: &str, reason: &str| {
        Message::text(json!({ "type": "state", "state": state, "reason": reason }).to_string())
    };
    ws.send(send("break", "retraining")).await.expect("send");
    let refused = next_json(&mut ws).await;
    assert_eq!(refused["code"], "bad_state", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("lunch"),
        "the error lists the codes: {refused}"
    );

    // The admin sets the tenant's own list; agents can only read it.
    let reasons = json!([
        { "code": "retraining", "label": "Retraining" },
        { "code": "lunch", "label": "Lunch" }
    ]);
    for (who, status) in [(&token, StatusCode::FORBIDDEN), (&admin, StatusCode::OK)] {
        let resp = app
            .call(
                reqwest::Method::PUT,
                "/api/v1/break-reasons",
                who,
                Some(reasons.clone()),
            )
            .await;
        assert_eq!(resp.status(), status);
    }
    let bad = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/break-reasons",
            &admin,
            Some(json!([{ "code": "a b", "label": "" }, { "code": "x", "label": "X" }, { "code": "x", "label": "Y" }])),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get_json("/api/v1/break-reasons", &token).await;
    assert_eq!(list, reasons, "a refused list changed nothing");
    let (_, other) = app
        .get_json(
            "/api/v1/break-reasons",
            &app.token("globex", "agent1").await,
        )
        .await;
    assert_eq!(
        other[0]["code"], "lunch",
        "another tenant keeps its own: {other}"
    );

    ws.send(send("break", "retraining")).await.expect("send");
    let changed = next_json(&mut ws).await;
    assert_eq!(
        (changed["type"].as_str(), changed["reason"].as_str()),
        (Some("agent_state"), Some("retraining")),
        "{changed}"
    );
}

#[tokio::test]
async fn transfers_of_a_call_the_desk_does_not_have_are_refused_and_dial_nothing() {
    let app = spawn_app().await;
    let token = app.token("acme", "agent1").await;
    let other = app.user_id("acme", "agent2@acme.example").await;
    let mut ws = desk_socket(&app, &token).await;
    let call = uuid::Uuid::now_v7().to_string();
    for (msg, code) in [
        (
            json!({ "type": "transfer_to_number", "call_id": call, "to": "not a number" }),
            "bad_number",
        ),
        (
            json!({ "type": "transfer_to_number", "call_id": call, "to": "+15550107777" }),
            "no_such_call",
        ),
        (
            json!({ "type": "transfer_to_agent", "call_id": call, "agent_id": other }),
            "no_such_call",
        ),
        (
            json!({ "type": "transfer_to_agent", "call_id": call }),
            "bad_message",
        ),
        (
            json!({ "type": "cancel_consult", "call_id": call }),
            "no_such_call",
        ),
    ] {
        ws.send(Message::text(msg.to_string())).await.expect("send");
        let reply = next_json(&mut ws).await;
        assert_eq!(reply["code"], code, "{msg} -> {reply}");
    }
    let admin = app.token("acme", "admin").await;
    let (_, calls) = app
        .get_json("/api/v1/calls?direction=outbound", &admin)
        .await;
    assert_eq!(calls["items"], json!([]), "nothing was dialled: {calls}");
}

#[tokio::test]
async fn a_forged_token_gets_no_desk() {
    let app = spawn_app().await;
    let url = app.base.replace("http://", "ws://") + "/api/v1/ws";
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    ws.send(Message::text(
        json!({ "type": "auth", "token": "eyJhbGciOiJub25lIn0.e30." }).to_string(),
    ))
    .await
    .expect("send");
    let refused = next_json(&mut ws).await;
    assert_eq!(refused["code"], "unauthorized");
}

/// Replace the settings of acme's demo queue `support` with `settings`; returns its id.
async fn configure_support(app: &TestApp, settings: Value) -> String {
    let admin = app.token("acme", "admin").await;
    let support = app.queue_id(&admin, "support").await;
    let resp = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/queues/{support}"),
            &admin,
            Some(settings),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    support
}

/// The demo's IVR number of acme: hours check, welcome, menu (1 sales, 2 support).
const IVR_LINE: &str = "+15550100104";

/// Make the demo's `office hours` of acme open all week (`open`) or closed all week.
async fn set_office_hours(app: &TestApp, open: bool) {
    let admin = app.token("acme", "admin").await;
    let (_, schedules) = app.get_json("/api/v1/schedules", &admin).await;
    let id = schedules
        .as_array()
        .expect("schedules")
        .iter()
        .find(|s| s["name"] == "office hours")
        .and_then(|s| s["id"].as_str())
        .expect("the demo's schedule")
        .to_owned();
    let day = if open {
        json!(["00:00-24:00"])
    } else {
        json!([])
    };
    let weekly: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| ((*d).to_owned(), day.clone()))
        .collect();
    let resp = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/schedules/{id}"),
            &admin,
            Some(json!({ "name": "office hours", "hours": { "time_zone": "America/New_York", "weekly": weekly } })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// The caller presses `key` every 700 ms (the first presses fall in the welcome, which does
/// not listen) until the agent's desk rings; returns the offer.
async fn press_until_offered(agent: &mut Agent, caller: &Caller, key: char) -> Value {
    for _ in 0..30 {
        caller.press(key);
        tokio::time::sleep(Duration::from_millis(700)).await;
        let offer = agent.eval("softphone.incoming").await;
        if offer["call_id"].is_string() {
            return offer;
        }
    }
    panic!("the desk never rang");
}

#[tokio::test]
async fn an_ivr_caller_picks_support_and_a_second_caller_waits_hearing_announcements() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    set_office_hours(&app, true).await;
    let support = configure_support(
        &app,
        json!({ "name": "support", "wrap_up_secs": 2, "announce_every_secs": 10 }),
    )
    .await;

    let mut agent = Agent::launch(&app, AGENT_TONE).await;
    agent.sign_in("acme", "agent1").await;
    agent.go_available().await;

    // The first caller hears the welcome and the menu, presses 2 and reaches the agent.
    let first = Caller::start(CALLER_TONE).await;
    let first_call = sipp_to(
        &app,
        IVR_LINE,
        "webrtc/caller.xml",
        &[("rtp_port", first.port.to_string())],
        20_000,
    );
    let offer = press_until_offered(&mut agent, &first, '2').await;
    assert_eq!(offer["queue_id"], support.as_str(), "{offer}");
    assert_eq!(
        offer["ivr"],
        json!({ "choices": [{ "node": "menu", "key": "2" }], "variables": { "topic": "support" } })
    );
    // The caller's number is the demo contact Alice's: the offer carries her card.
    assert_eq!(offer["contact"]["name"], "Alice Johnson", "{offer}");
    assert!(first.heard_prompt("welcome"), "the welcome was played");
    assert!(
        first.heard_prompt("menu-sales-support"),
        "the menu was played"
    );
    let first_id = offer["call_id"].as_str().expect("id").to_owned();
    agent.eval(&format!("softphone.accept('{first_id}')")).await;
    agent
        .eval("softphone.until(() => softphone.agentState === 'on_call')")
        .await;
    let heard = first.listen(1500).await;
    assert!(
        tone_level(&heard, AGENT_TONE) > 2000.0,
        "the first caller hears the agent: {}",
        tone_level(&heard, AGENT_TONE)
    );

    // A second caller, while the agent is busy: into the queue, with music and, every 10 s,
    // their position.
    let second = Caller::start(CALLER_TONE).await;
    let second_call = sipp_to(
        &app,
        IVR_LINE,
        "webrtc/caller.xml",
        &[("rtp_port", second.port.to_string())],
        30_000,
    );
    // The supervisors' stream of the queue shows the caller waiting.
    let supervisor = app.token("acme", "supervisor").await;
    let mut wallboard = desk_socket(&app, &supervisor).await;
    wallboard
        .send(Message::text(
            json!({ "type": "watch", "queue_ids": [support] }).to_string(),
        ))
        .await
        .expect("send");
    let mut queued = Value::Null;
    for _ in 0..30 {
        second.press('2');
        let msg = next_json(&mut wallboard).await;
        assert_eq!(msg["type"], "queue_live", "{msg}");
        assert_eq!(msg["queue_id"], support.as_str());
        if msg["live"]["waiting"]
            .as_array()
            .is_some_and(|w| w.len() == 1)
        {
            queued = msg["live"].clone();
            break;
        }
    }
    assert_eq!(queued["waiting"][0]["from"], "+15550101001", "{queued}");
    assert_eq!(queued["answered"], 1, "{queued}");
    // Agents do not watch queues; another tenant's supervisor cannot watch ours.
    for (token, code) in [
        (app.token("acme", "agent2").await, "forbidden"),
        (app.token("globex", "supervisor").await, "no_such_queue"),
    ] {
        let mut ws = desk_socket(&app, &token).await;
        ws.send(Message::text(
            json!({ "type": "watch", "queue_ids": [support] }).to_string(),
        ))
        .await
        .expect("send");
        let reply = next_json(&mut ws).await;
        assert_eq!(reply["code"], code, "{reply}");
    }
    let mut announced = false;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if second.heard_prompt("position") {
            announced = true;
            break;
        }
    }
    assert!(announced, "the position was announced");

    // The first call ends; after the 2 s wrap-up the agent gets the second caller.
    assert!(first_call.await.expect("join"), "the first call succeeded");
    agent
        .eval("softphone.until(() => softphone.agentState === 'wrap_up')")
        .await;
    let second_id = agent
        .eval(&format!(
            "softphone.until(() => softphone.incoming && softphone.incoming.call_id !== '{first_id}' && softphone.incoming.call_id, 8000)"
        ))
        .await;
    let second_id = second_id.as_str().expect("second call id").to_owned();
    agent
        .eval(&format!("softphone.accept('{second_id}')"))
        .await;
    agent.until_call(&second_id, "connected").await;
    let heard = second.listen(1500).await;
    assert!(
        tone_level(&heard, AGENT_TONE) > 2000.0,
        "the second caller hears the agent: {}",
        tone_level(&heard, AGENT_TONE)
    );
    assert!(
        second_call.await.expect("join"),
        "the second call succeeded"
    );

    // The live counters are the recorded ones: today's figures agree.
    let mut agreed = (Value::Null, Value::Null);
    for _ in 0..20 {
        let (_, live) = app
            .get_json(&format!("/api/v1/queues/{support}/live"), &supervisor)
            .await;
        let (status, day) = app
            .get_json(&format!("/api/v1/queues/{support}/stats"), &supervisor)
            .await;
        assert_eq!(status, StatusCode::OK, "{day}");
        let pick = |v: &Value| {
            json!([
                v["offered"],
                v["answered"],
                v["answered_in_service_level"],
                v["abandoned"],
                v["overflowed"]
            ])
        };
        agreed = (pick(&live), pick(&day));
        if agreed.0 == agreed.1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(agreed.0, agreed.1, "live vs recorded");
    assert_eq!(agreed.0[0], 2, "two calls offered: {}", agreed.0);
    assert_eq!(agreed.0[1], 2, "two answered: {}", agreed.0);

    // Both records keep the queue and what the caller chose.
    let token = app.token("acme", "admin").await;
    for id in [&first_id, &second_id] {
        let (_, record) = app.get_json(&format!("/api/v1/calls/{id}"), &token).await;
        assert_eq!(record["queue_id"], support.as_str(), "{record}");
        assert_eq!(record["ivr"]["choices"][0]["key"], "2", "{record}");
        assert_eq!(
            record["agent_id"],
            app.user_id("acme", "agent1@acme.example").await.as_str()
        );
    }
}

/// Call `number` and stay on the line until the server hangs up (sipp succeeds only then);
/// returns what the caller heard.
async fn call_until_hung_up(app: &TestApp, number: &str) -> Caller {
    let caller = Caller::start(CALLER_TONE).await;
    let call = sipp_to(
        app,
        number,
        "webrtc/caller-until-bye.xml",
        &[("rtp_port", caller.port.to_string())],
        0,
    );
    assert!(call.await.expect("join"), "the server hung up");
    caller
}

#[tokio::test]
async fn a_call_at_a_closed_hour_hears_the_closed_prompt_and_a_blocked_caller_the_blocked_one() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    set_office_hours(&app, false).await;
    let caller = call_until_hung_up(&app, IVR_LINE).await;
    assert!(
        caller.heard_prompt("closed"),
        "the closed prompt was played"
    );
    assert!(!caller.heard_prompt("welcome"), "no welcome when closed");
    let record = ended_call(&app).await;
    assert_eq!(record["hangup_side"], "callee", "{record}");
    assert!(record["ivr"].is_null(), "never reached a queue: {record}");

    // A blocked caller whose treatment is a prompt hears it, and the call ends as blocked.
    let supervisor = app.token("acme", "supervisor").await;
    let resp = app
        .call(
            reqwest::Method::POST,
            "/api/v1/blocked-numbers",
            &supervisor,
            Some(json!({ "pattern": "+15550101001", "treatment": "prompt" })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let blocked = call_until_hung_up(&app, IVR_LINE).await;
    assert!(
        blocked.heard_prompt("blocked"),
        "the blocked prompt was played"
    );
    assert!(!blocked.heard_prompt("closed"), "and nothing of the flow");
    let token = app.token("acme", "admin").await;
    let (_, page) = app.get_json("/api/v1/calls", &token).await;
    let causes: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["hangup_cause"].as_str())
        .collect();
    assert!(causes.contains(&"blocked"), "{page}");
}

#[tokio::test]
async fn a_ring_all_queue_rings_every_free_desk_and_the_first_to_answer_takes_the_call() {
    let _serial = SERIAL.lock().await;
    let app = spawn_app().await;
    configure_support(
        &app,
        json!({ "name": "support", "strategy": "ring_all", "wrap_up_secs": 0 }),
    )
    .await;
    let mut first = Agent::launch(&app, SUPERVISOR_TONE).await;
    first.sign_in("acme", "agent1").await;
    let mut second = Agent::launch(&app, AGENT_TONE).await;
    second.sign_in("acme", "agent2").await;
    for agent in [&mut first, &mut second] {
        agent.go_available().await;
    }
    let caller = Caller::start(CALLER_TONE).await;
    let call = sipp_to(
        &app,
        "+15550100103",
        "webrtc/caller.xml",
        &[("rtp_port", caller.port.to_string())],
        6_000,
    );
    // Both desks ring with the one call.
    let mut ids = Vec::new();
    for agent in [&mut first, &mut second] {
        let id = agent
            .eval("softphone.until(() => softphone.incoming && softphone.incoming.call_id)")
            .await;
        ids.push(id.as_str().expect("call id").to_owned());
    }
    assert_eq!(ids[0], ids[1], "the same call");
    let id = ids.remove(0);
    // The second agent answers; the first desk stops ringing and stays available.
    second.eval(&format!("softphone.accept('{id}')")).await;
    second.until_call(&id, "connected").await;
    first.until_call(&id, "ended").await;
    let heard = caller.listen(1500).await;
    assert!(
        tone_level(&heard, AGENT_TONE) > 2000.0,
        "the caller hears the agent who answered: {}",
        tone_level(&heard, AGENT_TONE)
    );
    assert!(
        tone_level(&heard, SUPERVISOR_TONE) < 300.0,
        "and not the other one"
    );
    assert_eq!(first.eval("softphone.agentState").await, "available");
    // Too late: the first agent's accept is refused.
    first.eval(&format!("softphone.accept('{id}')")).await;
    let error = first
        .eval("softphone.until(() => softphone.errors.length && softphone.errors[0].code)")
        .await;
    assert_eq!(error, "no_such_call");
    assert!(call.await.expect("join"), "sipp's call succeeded");
    let record = ended_call(&app).await;
    assert_eq!(
        record["agent_id"],
        app.user_id("acme", "agent2@acme.example").await.as_str()
    );
}
