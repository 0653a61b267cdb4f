//! The RTP task of one call: owns the call's UDP socket, feeds the sans-IO [`Service`] with
//! received packets and the time, and sends what it produces. Symmetric RTP: media is sent to
//! where the caller's packets come from (latched on the first packet), which gets through NAT.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use switchboard_media::bridge::{Bridge, BridgeOutput, MonitorMode, Pause};
use switchboard_media::g711::Law;
use switchboard_media::liveness::Liveness;
use switchboard_media::rtp::RtpPacket;
use switchboard_media::service::Service;
use switchboard_media::webrtc::{AudioFrame, LegId, LegQuality};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};

use super::Hub;
use crate::recording::RecordingSink;

/// RTP ports handed out round-robin from the configured range (even ports, RFC 3550 11).
#[derive(Debug)]
pub struct PortPool {
    ip: IpAddr,
    min: u16,
    max: u16,
    next: AtomicU32,
}

impl PortPool {
    pub fn new(ip: IpAddr, min: u16, max: u16) -> PortPool {
        PortPool {
            ip,
            min: min + (min & 1),
            max,
            next: AtomicU32::new(0),
        }
    }

    /// Bind the next free even port and the odd one above it (RTP and RTCP), trying the whole
    /// range once.
    pub async fn bind(&self) -> std::io::Result<RtpSockets> {
        let slots = u32::from(self.max.saturating_sub(self.min) / 2 + 1);
        for _ in 0..slots {
            let n = self.next.fetch_add(1, Ordering::Relaxed) % slots;
            // n < slots, so the port stays within min..=max.
            let port = self.min + (n * 2) as u16;
            if let Ok(rtp) = UdpSocket::bind((self.ip, port)).await
                && let Ok(rtcp) = UdpSocket::bind((self.ip, port.wrapping_add(1))).await
            {
                return Ok(RtpSockets { rtp, rtcp });
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no free RTP port in the configured range",
        ))
    }
}

/// A call's RTP socket and the RTCP socket on the port above it (RFC 3550 11).
#[derive(Debug)]
pub struct RtpSockets {
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
}

impl RtpSockets {
    pub fn port(&self) -> u16 {
        self.rtp.local_addr().map(|a| a.port()).unwrap_or(0)
    }
}

/// How often we send RTCP reports (RFC 3550 6.2: 5 s minimum interval).
const RTCP_INTERVAL: Duration = Duration::from_secs(5);

/// The wall clock as a 64-bit NTP timestamp (seconds since 1900 and a binary fraction).
fn ntp_now() -> u64 {
    let since_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since_unix.as_secs() + 2_208_988_800;
    let frac = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// What the media leg reports when it ends.
#[derive(Debug, Clone, Default)]
pub struct MediaOutcome {
    pub digits: String,
    pub packets_received: u64,
    pub packets_sent: u64,
    pub packets_lost: i64,
    pub jitter_ms: f64,
    /// How the far end heard us, from its RTCP, if it sent any.
    pub remote: Option<switchboard_media::service::RemoteView>,
    /// Bridged calls: the recording's key and its paused spans.
    pub recording: Option<(String, Vec<Pause>)>,
    /// Bridged calls: the agent leg's last quality figures.
    pub agent_quality: Option<LegQuality>,
}

/// Commands to a bridged call's media task (from the agent's session and the WebRTC hub).
#[derive(Debug)]
pub enum BridgeCmd {
    /// The agent's leg (and the laws it accepts), or none while the agent reconnects.
    AgentLeg(Option<(LegId, Vec<Law>)>),
    AgentAudio(AudioFrame),
    AgentQuality(LegQuality),
    /// A supervisor's leg joins in a mode, or leaves (`None`).
    Supervisor(Option<(LegId, MonitorMode, Law)>),
    SupervisorAudio(AudioFrame),
    Hold(bool),
    Mute(bool),
    /// Keys the agent pressed, to send to the caller as RFC 4733 events.
    Keys(String),
    PauseRecording(bool),
    /// Play an announcement (8 kHz samples) to the caller on hold, in place of the music.
    Play(std::sync::Arc<[i16]>),
    StopAnnouncement,
    /// Whether hold plays music (queued) or silence (an IVR waiting for keys).
    Music(bool),
    /// Patch the call to another call's bridge, in the agent's place (a transfer to an
    /// outside number): what the agent would hear goes to that bridge as its agent's audio.
    Patch(Option<mpsc::UnboundedSender<BridgeCmd>>),
}

/// What a call's media reports: keys the caller pressed and announcements that finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaNotice {
    /// The caller pressed a key (RFC 4733).
    Key(char),
    /// The announcement played to its end.
    AnnouncementDone,
}

/// The bridge side of a call's media task: the sans-IO bridge, its commands, where its audio
/// goes, and the recording.
#[derive(Debug)]
pub struct BridgeIo {
    pub bridge: Bridge,
    pub commands: mpsc::UnboundedReceiver<BridgeCmd>,
    pub hub: Hub,
    pub recording: Option<Box<dyn RecordingSink>>,
    /// Where the caller's keys and finished announcements are reported.
    pub notices: Option<mpsc::UnboundedSender<MediaNotice>>,
}

/// Where one party's audio goes: their leg, with the RTP clock of what we send them.
struct Outlet {
    leg: Option<LegId>,
    timestamp: u32,
}

impl Outlet {
    fn new() -> Outlet {
        Outlet {
            leg: None,
            timestamp: rand::random(),
        }
    }

    fn send(&mut self, hub: &Hub, law: Law, payload: Vec<u8>) {
        if let Some(leg) = self.leg {
            let timestamp = self.timestamp;
            self.timestamp = self.timestamp.wrapping_add(payload.len() as u32);
            hub.send(
                leg,
                AudioFrame {
                    law,
                    timestamp,
                    payload,
                },
            );
        }
    }
}

/// The state of a bridge inside the media task.
struct Bridged {
    io: BridgeIo,
    agent: Outlet,
    /// The other call's bridge, in the agent's place.
    patch: Option<mpsc::UnboundedSender<BridgeCmd>>,
    supervisor: Outlet,
    agent_quality: Option<LegQuality>,
    /// False once every command sender is gone: the bridge carries on as it is.
    commands_open: bool,
}

impl Bridged {
    fn command(&mut self, service: &mut Service, cmd: BridgeCmd) {
        let now = Instant::now();
        let bridge = &mut self.io.bridge;
        match cmd {
            BridgeCmd::AgentLeg(leg) => {
                self.agent.leg = leg.as_ref().map(|(l, _)| *l);
                bridge.set_agent(leg.as_ref().map(|(_, laws)| laws.as_slice()));
            }
            BridgeCmd::AgentAudio(f) => bridge.from_agent(now, f.law, &f.payload),
            BridgeCmd::AgentQuality(q) => self.agent_quality = Some(q),
            BridgeCmd::Supervisor(s) => {
                self.supervisor.leg = s.map(|(l, _, _)| l);
                bridge.set_supervisor(s.map(|(_, m, law)| (m, law)));
            }
            BridgeCmd::SupervisorAudio(f) => bridge.from_supervisor(f.law, &f.payload),
            BridgeCmd::Hold(on) => bridge.set_hold(on),
            BridgeCmd::Mute(on) => bridge.set_mute(on),
            BridgeCmd::Keys(keys) => {
                for k in keys.chars() {
                    service.send_key(now, k);
                }
            }
            BridgeCmd::PauseRecording(p) => bridge.set_recording_paused(p),
            BridgeCmd::Play(samples) => bridge.play(samples),
            BridgeCmd::StopAnnouncement => bridge.stop_announcement(),
            BridgeCmd::Music(on) => bridge.set_music(on),
            BridgeCmd::Patch(other) => {
                self.agent.leg = None;
                bridge.set_agent(other.as_ref().map(|_| &[Law::Mu, Law::A][..]));
                self.patch = other;
            }
        }
    }

    fn notify(&self, notice: MediaNotice) {
        if let Some(tx) = &self.io.notices {
            let _ = tx.send(notice);
        }
    }

    /// Carry out the bridge's output.
    fn flush(&mut self, service: &mut Service) {
        while let Some(out) = self.io.bridge.poll_output() {
            match out {
                BridgeOutput::ToCaller(p) => service.push(&p),
                BridgeOutput::ToAgent { law, payload } => match &self.patch {
                    Some(other) => {
                        let frame = AudioFrame {
                            law,
                            timestamp: 0,
                            payload,
                        };
                        let _ = other.send(BridgeCmd::AgentAudio(frame));
                    }
                    None => self.agent.send(&self.io.hub, law, payload),
                },
                BridgeOutput::ToSupervisor { law, payload } => {
                    self.supervisor.send(&self.io.hub, law, payload);
                }
                BridgeOutput::AnnouncementDone => self.notify(MediaNotice::AnnouncementDone),
                BridgeOutput::Record(stereo) => {
                    if let Some(sink) = &mut self.io.recording
                        && let Err(e) = sink.write(&stereo)
                    {
                        tracing::error!(error = %e, key = sink.key(), "recording write failed; recording stopped");
                        self.io.recording = None;
                    }
                }
            }
        }
    }
}

async fn bridge_command(bridged: &mut Option<Bridged>) -> Option<BridgeCmd> {
    match bridged {
        Some(b) if b.commands_open => b.io.commands.recv().await,
        _ => std::future::pending().await,
    }
}

/// How a call's media judges whether its far end is still there.
#[derive(Debug)]
pub struct MediaWatch {
    /// Silence (no RTP, no RTCP) for this long means the far end is gone.
    pub timeout: Duration,
    /// Whether the stream is `sendrecv` now (a re-INVITE to hold makes it false): only then
    /// is silence judged.
    pub sendrecv: watch::Receiver<bool>,
}

/// Control of a running media leg.
#[derive(Debug)]
pub struct MediaHandle {
    stop: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<MediaOutcome>>,
    /// Fires once when the far end has been silent past its [`MediaWatch`] timeout.
    silent: Option<oneshot::Receiver<()>>,
}

/// Resolves when the call's media says its far end is gone; never without a watch.
pub async fn far_end_gone(media: &mut Option<MediaHandle>) {
    match media.as_mut().and_then(|m| m.silent.as_mut()) {
        Some(silent) => {
            if silent.await.is_err() {
                // The media task ended without a verdict: nothing more to wait for.
                std::future::pending::<()>().await;
            }
            if let Some(m) = media.as_mut() {
                m.silent = None;
            }
        }
        None => std::future::pending().await,
    }
}

impl MediaHandle {
    /// Stop the leg and collect its outcome.
    pub async fn finish(mut self) -> MediaOutcome {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.done.take() {
            Some(done) => done.await.unwrap_or_default(),
            None => MediaOutcome::default(),
        }
    }
}

/// Run `service` on the call's sockets, sending to `remote` until the caller's first packet
/// says where they really are; RTCP goes to the port above (or where the caller's RTCP comes
/// from) every 5 s.
///
/// With `bridge`, the call is bridged to an agent: the caller's audio goes through the bridge
/// (to the agent, the supervisor and the recording) and the bridge's audio to the caller.
///
/// With `watch`, a far end silent past its timeout is reported ([`far_end_gone`]).
pub fn spawn(
    sockets: RtpSockets,
    remote: Option<SocketAddr>,
    mut service: Service,
    bridge: Option<BridgeIo>,
    watch: Option<MediaWatch>,
) -> MediaHandle {
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let (done_tx, done_rx) = oneshot::channel();
    let (silent_tx, silent_rx) = oneshot::channel();
    let mut silent_tx = Some(silent_tx);
    let (mut liveness, mut sendrecv) = match watch {
        Some(w) => {
            let mut l = Liveness::new(Instant::now(), w.timeout);
            l.set_judged(Instant::now(), *w.sendrecv.borrow());
            (Some(l), Some(w.sendrecv))
        }
        None => (None, None),
    };
    let RtpSockets { rtp: socket, rtcp } = sockets;
    let cname = format!(
        "switchboard@{}",
        socket
            .local_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    );
    let mut bridged = bridge.map(|mut io| {
        io.bridge.start(Instant::now());
        Bridged {
            io,
            agent: Outlet::new(),
            patch: None,
            supervisor: Outlet::new(),
            agent_quality: None,
            commands_open: true,
        }
    });
    tokio::spawn(async move {
        let mut remote = remote;
        let mut remote_rtcp = remote.map(|r| SocketAddr::new(r.ip(), r.port().wrapping_add(1)));
        let mut latched = false;
        let mut buf = vec![0u8; 2048];
        let mut rtcp_buf = vec![0u8; 1500];
        let mut next_report = tokio::time::Instant::now() + RTCP_INTERVAL;
        // How many of the caller's keys have been reported.
        let mut keys_seen = 0;
        loop {
            let bridge_deadline = bridged.as_ref().and_then(|b| b.io.bridge.poll_timeout());
            let silence_deadline = liveness.as_ref().and_then(Liveness::poll_timeout);
            let deadline = [service.poll_timeout(), bridge_deadline, silence_deadline]
                .into_iter()
                .flatten()
                .min()
                .map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = &mut stop_rx => break,
                cmd = bridge_command(&mut bridged) => if let Some(b) = bridged.as_mut() {
                    match cmd {
                        Some(cmd) => b.command(&mut service, cmd),
                        None => b.commands_open = false,
                    }
                },
                received = socket.recv_from(&mut buf) => match received {
                    Ok((n, from)) => {
                        // Drop anything that is not RTP (e.g. garbage): never panics.
                        if let Ok(packet) = RtpPacket::parse(&buf[..n]) {
                            if !latched {
                                remote = Some(from);
                                latched = true;
                                if remote_rtcp.is_none() {
                                    remote_rtcp = Some(SocketAddr::new(from.ip(), from.port().wrapping_add(1)));
                                }
                            }
                            if Some(from) == remote {
                                let now = Instant::now();
                                service.on_rtp(now, &packet);
                                if let Some(l) = liveness.as_mut() {
                                    l.heard(now);
                                }
                            }
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "RTP receive error"),
                },
                received = rtcp.recv_from(&mut rtcp_buf) => {
                    if let Ok((n, from)) = received {
                        remote_rtcp = Some(from);
                        let now = Instant::now();
                        service.on_rtcp(now, &rtcp_buf[..n]);
                        // RFC 3550 6: RTCP is sent on hold and in silence; it counts as life.
                        if let Some(l) = liveness.as_mut() {
                            l.heard(now);
                        }
                    }
                }
                () = tokio::time::sleep_until(next_report) => {
                    if let Some(to) = remote_rtcp {
                        let report = service.rtcp_report(Instant::now(), ntp_now(), &cname);
                        let _ = rtcp.send_to(&report, to).await;
                    }
                    next_report += RTCP_INTERVAL;
                }
                () = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(d).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
            let now = Instant::now();
            // A hold or unhold since the last wake-up (an atomic load, not a select branch on
            // every packet); the RTCP timer wakes the loop at least every 5 s.
            if let (Some(rx), Some(l)) = (sendrecv.as_mut(), liveness.as_mut())
                && rx.has_changed().unwrap_or(false)
            {
                l.set_judged(now, *rx.borrow_and_update());
            }
            if liveness.as_ref().is_some_and(|l| l.is_dead(now)) {
                // Reported once; the driver hangs up and stops this task.
                liveness = None;
                if let Some(tx) = silent_tx.take() {
                    let _ = tx.send(());
                }
            }
            if let Some(b) = bridged.as_mut() {
                for key in service.digits()[keys_seen..].chars() {
                    b.notify(MediaNotice::Key(key));
                }
                keys_seen = service.digits().len();
                b.io.bridge.handle_timeout(now);
                while let Some(frame) = service.take_received() {
                    b.io.bridge.from_caller(now, &frame);
                }
                b.flush(&mut service);
            }
            while let Some(out) = service.poll_transmit(now) {
                if let Some(to) = remote
                    && let Err(e) = socket.send_to(&out, to).await
                {
                    tracing::debug!(error = %e, "RTP send error");
                }
            }
        }
        let stats = service.stats();
        let (recording, agent_quality) = match bridged.as_mut() {
            Some(b) => {
                let recording = b.io.recording.as_mut().map(|sink| {
                    if let Err(e) = sink.finish() {
                        tracing::error!(error = %e, key = sink.key(), "finishing a recording failed");
                    }
                    (sink.key().to_owned(), b.io.bridge.pauses().to_vec())
                });
                (recording, b.agent_quality)
            }
            None => (None, None),
        };
        let _ = done_tx.send(MediaOutcome {
            recording,
            agent_quality,
            digits: service.digits().to_owned(),
            packets_received: stats.received(),
            packets_sent: service.packets_sent(),
            packets_lost: stats.lost(),
            jitter_ms: stats.jitter_ms(),
            remote: service.remote_view(),
        });
    });
    MediaHandle {
        stop: Some(stop_tx),
        done: Some(done_rx),
        silent: Some(silent_rx),
    }
}
