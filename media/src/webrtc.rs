//! The WebRTC endpoint: many browser legs on one UDP socket, sans-IO, on str0m.
//!
//! One [`Endpoint`] per media node. Each browser (an agent's or supervisor's persistent media
//! session) is one *leg*: one str0m [`Rtc`] in ICE-lite mode, audio only, DTLS-SRTP. Datagrams
//! are demultiplexed to legs by remote address, and a datagram from an address not seen yet by
//! the STUN USERNAME of its binding request (`<our ufrag>:<their ufrag>`, RFC 8445 7.2.2): two
//! hash lookups, never a scan over the legs.
//!
//! Audio is G.711 both ways (μ-law or A-law, whichever the browser accepted; both are usually
//! negotiated, so a frame can go out in the law the trunk uses and pass through untouched).
//! A browser that prefers Opus (an agent on a poor network) gets Opus: the leg transcodes at
//! its edge ([`crate::opus`]), so the rest of the media path still sees G.711.
//!
//! str0m treats its own bugs as panics. Each call into a leg's `Rtc` is isolated with
//! `catch_unwind`: a panic closes that leg ([`CloseReason::Panicked`]) and nothing else.
//!
//! No I/O and no clock: the driver feeds datagrams and the time, and sends what
//! [`Endpoint::poll_output`] returns.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer};
use str0m::config::DtlsCert;
use str0m::format::Codec;
use str0m::ice::{IceCreds, StunMessage};
use str0m::media::{Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output as RtcOutput, Rtc, RtcConfig};

use crate::g711::Law;
use crate::opus::Transcoder;

/// A browser leg on the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

impl std::fmt::Display for LegId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "leg-{}", self.0)
    }
}

/// Why a call into the endpoint failed.
#[derive(Debug, thiserror::Error)]
pub enum WebRtcError {
    /// The browser's SDP does not parse.
    #[error("the SDP offer does not parse: {0}")]
    BadSdp(String),
    /// The offer parses but cannot be accepted (no audio, no G.711, bad fingerprint...).
    #[error("the SDP offer was refused: {0}")]
    Refused(String),
    /// The leg named does not exist (closed, or never was).
    #[error("no such leg")]
    UnknownLeg,
    /// The endpoint was built without a local address to announce.
    #[error("no local candidate address")]
    NoCandidate,
    /// The crypto backend could not make a DTLS certificate.
    #[error("no DTLS certificate: {0}")]
    Crypto(String),
}

/// Why a leg was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// ICE consent expired or connectivity was lost (RFC 7675).
    Disconnected,
    /// Closed on request.
    Requested,
    /// str0m reported an error on this leg (e.g. DTLS failure).
    Failed(String),
    /// str0m panicked on this leg; the leg is dropped, the process goes on.
    Panicked,
}

/// Audio received from or sent to a browser: one RTP payload of G.711.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioFrame {
    /// The G.711 law of `payload`.
    pub law: Law,
    /// RTP timestamp (8 kHz) of the first sample.
    pub timestamp: u32,
    /// The G.711 bytes, one per sample.
    pub payload: Vec<u8>,
}

/// Reception and round-trip figures of a leg, from str0m's RTCP statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LegQuality {
    /// Packets received from the browser.
    pub packets_received: u64,
    /// Packets sent to the browser.
    pub packets_sent: u64,
    /// Interarrival jitter of the browser's stream, in ms.
    pub jitter_ms: f64,
    /// Fraction of the browser's packets lost (0.0-1.0).
    pub loss: f64,
    /// Fraction of our packets the browser lost, from its receiver reports.
    pub remote_loss: Option<f64>,
    /// Round-trip time, from RTCP.
    pub rtt_ms: Option<f64>,
    /// The codec on the browser side: `PCMU`, `PCMA` or `opus`.
    pub codec: &'static str,
}

/// What happened on a leg.
#[derive(Debug, Clone, PartialEq)]
pub enum LegEvent {
    /// ICE and DTLS are up; audio can flow.
    Connected,
    /// The browser sent audio.
    Audio(AudioFrame),
    /// New statistics.
    Quality(LegQuality),
    /// The leg is gone.
    Closed(CloseReason),
}

/// What the driver must do.
#[derive(Debug)]
pub enum Output {
    /// Send `data` from the socket to `to`.
    Transmit {
        /// The browser's address.
        to: SocketAddr,
        /// The datagram to send.
        data: Vec<u8>,
    },
    /// Something happened on a leg.
    Event(LegId, LegEvent),
}

struct Leg {
    rtc: Rtc,
    mid: Option<Mid>,
    ufrag: String,
    addrs: Vec<SocketAddr>,
    /// When str0m next wants a timeout.
    deadline: Instant,
    /// The leg's entry in the endpoint's timer set (the deadline when it was last filed).
    timer: Instant,
    quality: LegQuality,
    /// Set when the browser prefers Opus: transcodes at the leg's edge.
    opus: Option<Transcoder>,
    /// The law of the last frame sent to the leg; Opus from the browser is decoded to it.
    law: Law,
}

/// Many browser legs on one UDP socket.
pub struct Endpoint {
    /// The socket's address as announced (the host candidate, possibly a public address).
    announced: Vec<SocketAddr>,
    /// One DTLS certificate for all legs: generating one per leg costs milliseconds.
    cert: DtlsCert,
    legs: HashMap<LegId, Leg>,
    by_addr: HashMap<SocketAddr, LegId>,
    by_ufrag: HashMap<String, LegId>,
    timers: BTreeSet<(Instant, LegId)>,
    out: VecDeque<Output>,
    next_id: u64,
    /// Seed of the ICE credentials (a small xorshift stream; the driver seeds it randomly).
    rng: u64,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("announced", &self.announced)
            .field("legs", &self.legs.len())
            .finish()
    }
}

impl Endpoint {
    /// An endpoint announcing `announced` as its host candidates (the socket's address, or the
    /// public address a NAT maps to it). `seed` seeds the ICE credentials.
    pub fn new(announced: Vec<SocketAddr>, seed: u64) -> Result<Endpoint, WebRtcError> {
        if announced.is_empty() {
            return Err(WebRtcError::NoCandidate);
        }
        let provider = str0m::crypto::from_feature_flags();
        let cert = provider
            .dtls_provider
            .generate_certificate()
            .ok_or_else(|| WebRtcError::Crypto("the backend made none".into()))?;
        Ok(Endpoint {
            announced,
            cert,
            legs: HashMap::new(),
            by_addr: HashMap::new(),
            by_ufrag: HashMap::new(),
            timers: BTreeSet::new(),
            out: VecDeque::new(),
            next_id: 1,
            rng: seed | 1,
        })
    }

    /// Number of live legs.
    pub fn len(&self) -> usize {
        self.legs.len()
    }

    /// Whether there are no live legs.
    pub fn is_empty(&self) -> bool {
        self.legs.is_empty()
    }

    fn random_string(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len)
            .map(|_| {
                // xorshift64
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 7;
                self.rng ^= self.rng << 17;
                ALPHABET[(self.rng % ALPHABET.len() as u64) as usize] as char
            })
            .collect()
    }

    /// Accept a browser's SDP offer: a new leg when `leg` is `None` (or no longer exists),
    /// else a renegotiation of that leg (an ICE restart after a network change). Returns the
    /// leg and the SDP answer.
    pub fn accept_offer(
        &mut self,
        now: Instant,
        leg: Option<LegId>,
        offer: &str,
    ) -> Result<(LegId, String), WebRtcError> {
        // str0m answers in the order of its own codec list: put the browser's first choice
        // first, so the browser sends what it prefers (Opus on a poor network, else G.711).
        let opus_first = preferred_codec(offer) == Some("opus");
        let offer =
            SdpOffer::from_sdp_string(offer).map_err(|e| WebRtcError::BadSdp(e.to_string()))?;
        if !offer.to_sdp_string().contains("m=audio") {
            return Err(WebRtcError::Refused("the offer has no audio".into()));
        }
        let id = match leg.filter(|l| self.legs.contains_key(l)) {
            Some(id) => id,
            None => self.create_leg(now, opus_first),
        };
        let result = self.with_leg(id, |leg| {
            leg.rtc
                .sdp_api()
                .accept_offer(offer)
                .map_err(|e| WebRtcError::Refused(e.to_string()))
        });
        let answer: SdpAnswer = match result {
            Some(Ok(answer)) => answer,
            Some(Err(e)) => {
                if leg != Some(id) {
                    self.remove(id);
                }
                return Err(e);
            }
            None => return Err(WebRtcError::UnknownLeg),
        };
        let answer = answer.to_sdp_string();
        let codec = preferred_codec(&answer);
        if !matches!(codec, Some("PCMU" | "PCMA" | "opus")) {
            self.close(now, id);
            return Err(WebRtcError::Refused(
                "the browser accepts neither G.711 nor Opus".into(),
            ));
        }
        if let Some(leg) = self.legs.get_mut(&id) {
            leg.quality.codec = match codec {
                Some("PCMA") => "PCMA",
                Some("opus") => "opus",
                _ => "PCMU",
            };
            leg.opus = match (codec, leg.opus.take()) {
                (Some("opus"), Some(t)) => Some(t),
                (Some("opus"), None) => match Transcoder::new() {
                    Ok(t) => Some(t),
                    Err(e) => {
                        self.close(now, id);
                        return Err(WebRtcError::Refused(e.to_string()));
                    }
                },
                _ => None,
            };
        }
        // An ICE restart changes our credentials: route the new username to the leg.
        if let Some(ufrag) = sdp_attribute(&answer, "ice-ufrag")
            && let Some(l) = self.legs.get_mut(&id)
            && l.ufrag != ufrag
        {
            let old = std::mem::replace(&mut l.ufrag, ufrag.to_owned());
            self.by_ufrag.remove(&old);
            self.by_ufrag.insert(ufrag.to_owned(), id);
        }
        Ok((id, answer))
    }

    fn create_leg(&mut self, now: Instant, opus_first: bool) -> LegId {
        let id = LegId(self.next_id);
        self.next_id += 1;
        let ufrag = self.random_string(8);
        let pass = self.random_string(24);
        let mut config = RtcConfig::new()
            .set_ice_lite(true)
            .set_dtls_cert(self.cert.clone())
            .set_local_ice_credentials(IceCreds {
                ufrag: ufrag.clone(),
                pass,
            })
            .clear_codecs();
        if opus_first {
            config = config.enable_opus(true, false);
        }
        config = config.enable_pcmu(true, false).enable_pcma(true, false);
        if !opus_first {
            config = config.enable_opus(true, false);
        }
        let mut rtc = config
            .set_stats_interval(Some(Duration::from_secs(2)))
            .build(now);
        for addr in &self.announced {
            if let Ok(c) = Candidate::host(*addr, "udp") {
                rtc.add_local_candidate(c);
            }
        }
        self.by_ufrag.insert(ufrag.clone(), id);
        self.legs.insert(
            id,
            Leg {
                rtc,
                mid: None,
                ufrag,
                addrs: Vec::new(),
                deadline: now,
                timer: now,
                quality: LegQuality::default(),
                opus: None,
                law: Law::Mu,
            },
        );
        self.timers.insert((now, id));
        id
    }

    /// Run `f` on a leg's `Rtc` and drain its output, isolating panics. `None` if the leg does
    /// not exist or panicked (it is then closed).
    fn with_leg<T>(&mut self, id: LegId, f: impl FnOnce(&mut Leg) -> T) -> Option<T> {
        let leg = self.legs.get_mut(&id)?;
        let out = &mut self.out;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let value = f(leg);
            let closed = drain(id, leg, out);
            (value, closed)
        }));
        match result {
            Ok((value, closed)) => {
                if let Some(reason) = closed {
                    self.remove(id);
                    self.out
                        .push_back(Output::Event(id, LegEvent::Closed(reason)));
                } else if let Some(leg) = self.legs.get_mut(&id)
                    && leg.timer != leg.deadline
                {
                    // Move the leg's one entry in the timer set: O(log n), no scan.
                    self.timers.remove(&(leg.timer, id));
                    leg.timer = leg.deadline;
                    self.timers.insert((leg.timer, id));
                }
                Some(value)
            }
            Err(_) => {
                // A panic inside str0m is a bug there. The panic hook has printed it; the
                // driver logs the `Panicked` close.
                self.remove(id);
                self.out
                    .push_back(Output::Event(id, LegEvent::Closed(CloseReason::Panicked)));
                None
            }
        }
    }

    fn remove(&mut self, id: LegId) {
        if let Some(leg) = self.legs.remove(&id) {
            self.by_ufrag.remove(&leg.ufrag);
            self.timers.remove(&(leg.timer, id));
            for a in leg.addrs {
                self.by_addr.remove(&a);
            }
        }
    }

    /// The leg a datagram from `from` belongs to.
    fn route(&mut self, from: SocketAddr, data: &[u8]) -> Option<LegId> {
        if let Some(id) = self.by_addr.get(&from) {
            return Some(*id);
        }
        // A new address: only a STUN binding request may introduce it (RFC 8445 7.3).
        let stun = StunMessage::parse(data).ok()?;
        let (ours, _) = stun.split_username()?;
        let id = *self.by_ufrag.get(ours)?;
        if let Some(leg) = self.legs.get_mut(&id) {
            leg.addrs.push(from);
            self.by_addr.insert(from, id);
        }
        Some(id)
    }

    /// A datagram arrived on the socket from `from`. Datagrams that belong to no leg are
    /// dropped; returns whether one was taken.
    pub fn receive(&mut self, now: Instant, from: SocketAddr, data: &[u8]) -> bool {
        let Some(id) = self.route(from, data) else {
            return false;
        };
        let destination = self
            .announced
            .iter()
            .find(|a| a.is_ipv4() == from.is_ipv4())
            .copied()
            .unwrap_or(self.announced[0]);
        let Ok(receive) = Receive::new(Protocol::Udp, from, destination, data) else {
            return false;
        };
        self.with_leg(id, |leg| {
            if let Err(e) = leg.rtc.handle_input(Input::Receive(now, receive)) {
                return Err(e.to_string());
            }
            Ok(())
        })
        .is_some_and(|r| r.is_ok())
    }

    /// Send a frame of audio to a leg's browser. Frames for a leg that is not connected yet
    /// are dropped.
    pub fn send_audio(
        &mut self,
        now: Instant,
        id: LegId,
        frame: &AudioFrame,
    ) -> Result<(), WebRtcError> {
        let result = self.with_leg(id, |leg| {
            let Some(mid) = leg.mid else { return Ok(()) };
            let Some(writer) = leg.rtc.writer(mid) else {
                return Ok(());
            };
            let wanted = match (&leg.opus, frame.law) {
                (Some(_), _) => Codec::Opus,
                (None, Law::Mu) => Codec::PCMU,
                (None, Law::A) => Codec::PCMA,
            };
            // No allocation on this per-frame path: the payload type is looked up in place.
            let pt: Option<Pt> = writer
                .payload_params()
                .find(|p| p.spec().codec == wanted)
                .map(str0m::format::PayloadParams::pt);
            let Some(pt) = pt else {
                return Err(WebRtcError::Refused(format!(
                    "{wanted} is not negotiated with this leg"
                )));
            };
            let (time, payload) = match &mut leg.opus {
                Some(t) => {
                    leg.law = frame.law;
                    let packet = t
                        .encode(frame.law, &frame.payload)
                        .map_err(|e| WebRtcError::Refused(e.to_string()))?;
                    // RFC 7587 4.1: Opus's RTP clock is 48 kHz whatever is coded.
                    let ts = u64::from(frame.timestamp) * 6;
                    (MediaTime::new(ts, Frequency::FORTY_EIGHT_KHZ), packet)
                }
                None => (
                    MediaTime::new(u64::from(frame.timestamp), Frequency::EIGHT_KHZ),
                    frame.payload.clone(),
                ),
            };
            if writer.write(pt, now, time, payload).is_ok() {
                leg.quality.packets_sent += 1;
            }
            Ok(())
        });
        result.unwrap_or(Err(WebRtcError::UnknownLeg))
    }

    /// The laws the browser accepted on a leg, preferred first.
    pub fn laws(&mut self, id: LegId) -> Vec<Law> {
        let Some(leg) = self.legs.get_mut(&id) else {
            return Vec::new();
        };
        if leg.opus.is_some() {
            // Transcoded at the leg's edge from and to either law.
            return vec![Law::Mu, Law::A];
        }
        let Some(mid) = leg.mid else {
            return Vec::new();
        };
        let Some(writer) = leg.rtc.writer(mid) else {
            return Vec::new();
        };
        writer
            .payload_params()
            .filter_map(|p| match p.spec().codec {
                Codec::PCMU => Some(Law::Mu),
                Codec::PCMA => Some(Law::A),
                _ => None,
            })
            .collect()
    }

    /// Close a leg (the agent signed out).
    pub fn close(&mut self, _now: Instant, id: LegId) {
        if self.legs.contains_key(&id) {
            self.with_leg(id, |leg| leg.rtc.disconnect());
            self.remove(id);
            self.out
                .push_back(Output::Event(id, LegEvent::Closed(CloseReason::Requested)));
        }
    }

    /// Let time pass to `now`: drive every leg whose timer is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Each due leg once: a leg that asks for `now` again is driven at the next call.
        let due: Vec<LegId> = self
            .timers
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, id)| *id)
            .collect();
        for id in due {
            self.with_leg(id, |leg| {
                let _ = leg.rtc.handle_input(Input::Timeout(now));
            });
        }
    }

    /// When [`Endpoint::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first().map(|(at, _)| *at)
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }
}

/// Drain a leg's output into `out` until its next timeout; returns a reason when the leg must
/// close.
fn drain(id: LegId, leg: &mut Leg, out: &mut VecDeque<Output>) -> Option<CloseReason> {
    loop {
        let output = match leg.rtc.poll_output() {
            Ok(o) => o,
            Err(e) => return Some(CloseReason::Failed(e.to_string())),
        };
        match output {
            RtcOutput::Timeout(at) => {
                leg.deadline = at;
                return None;
            }
            RtcOutput::Transmit(t) => out.push_back(Output::Transmit {
                to: t.destination,
                data: t.contents.to_vec(),
            }),
            RtcOutput::Event(event) => match event {
                Event::Connected => out.push_back(Output::Event(id, LegEvent::Connected)),
                Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                    return Some(CloseReason::Disconnected);
                }
                Event::MediaAdded(m) if m.kind == MediaKind::Audio => leg.mid = Some(m.mid),
                Event::MediaData(data) => {
                    let time = data.time.numer();
                    let (law, timestamp, payload) = match (data.params.spec().codec, &mut leg.opus)
                    {
                        (Codec::PCMU, _) => (Law::Mu, time as u32, data.data.to_vec()),
                        (Codec::PCMA, _) => (Law::A, time as u32, data.data.to_vec()),
                        (Codec::Opus, Some(t)) => match t.decode(leg.law, &data.data) {
                            Ok(g711) => (leg.law, (time / 6) as u32, g711),
                            // A packet libopus cannot decode is dropped, like a lost one.
                            Err(_) => continue,
                        },
                        _ => continue,
                    };
                    leg.quality.packets_received += 1;
                    out.push_back(Output::Event(
                        id,
                        LegEvent::Audio(AudioFrame {
                            law,
                            timestamp,
                            payload,
                        }),
                    ));
                }
                Event::MediaIngressStats(s) => {
                    leg.quality.jitter_ms = f64::from(s.jitter) / 8.0;
                    leg.quality.loss = s.loss.map(f64::from).unwrap_or(0.0);
                    if let Some(rtt) = s.rtt {
                        leg.quality.rtt_ms = Some(rtt.as_secs_f64() * 1000.0);
                    }
                    out.push_back(Output::Event(id, LegEvent::Quality(leg.quality)));
                }
                Event::MediaEgressStats(s) => {
                    leg.quality.remote_loss = s.loss.map(f64::from);
                    if let Some(rtt) = s.rtt {
                        leg.quality.rtt_ms = Some(rtt.as_secs_f64() * 1000.0);
                    }
                }
                _ => {}
            },
        }
    }
}

/// The encoding name of the first payload type of the first audio section: the codec the
/// browser will send (RFC 3264 6.1: the answer lists formats in preference order).
fn preferred_codec(sdp: &str) -> Option<&str> {
    let mut lines = sdp.lines().skip_while(|l| !l.starts_with("m=audio"));
    let pt = lines.next()?.split_whitespace().nth(3)?;
    let prefix = format!("a=rtpmap:{pt} ");
    lines
        .take_while(|l| !l.starts_with("m="))
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|rest| rest.split('/').next())
}

/// The value of the first `a=<name>:` line of an SDP.
fn sdp_attribute<'a>(sdp: &'a str, name: &str) -> Option<&'a str> {
    sdp.lines().find_map(|l| {
        l.strip_prefix("a=")
            .and_then(|a| a.strip_prefix(name))
            .and_then(|a| a.strip_prefix(':'))
            .map(str::trim)
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // A test picks an arbitrary origin for its clock.
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_one_leg_closes_that_leg_only() {
        let now = Instant::now();
        let mut ep = Endpoint::new(vec!["10.0.0.1:3478".parse().expect("addr")], 3).expect("ep");
        let doomed = ep.create_leg(now, false);
        let survivor = ep.create_leg(now, false);
        // Keep the test's output clean: the default hook would print the panic.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let result = ep.with_leg(doomed, |_| -> () { panic!("a bug inside str0m") });
        std::panic::set_hook(hook);
        assert!(result.is_none());
        let events: Vec<_> = std::iter::from_fn(|| ep.poll_output()).collect();
        assert!(events.iter().any(|o| matches!(
            o,
            Output::Event(id, LegEvent::Closed(CloseReason::Panicked)) if *id == doomed
        )));
        assert_eq!(ep.len(), 1);
        assert!(ep.legs.contains_key(&survivor));
        assert!(ep.timers.iter().all(|(_, id)| *id == survivor));
        assert!(!ep.by_ufrag.values().any(|id| *id == doomed));
    }

    #[test]
    fn the_preferred_codec_is_the_first_of_the_audio_section() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\na=rtpmap:0 PCMU/8000\r\n\
                   a=rtpmap:111 opus/48000/2\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n";
        assert_eq!(preferred_codec(sdp), Some("opus"));
        assert_eq!(
            preferred_codec("v=0\r\nm=audio 9 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"),
            Some("PCMA")
        );
        assert_eq!(preferred_codec("v=0\r\n"), None);
        assert_eq!(
            preferred_codec("m=audio 9 RTP/AVP 0\r\n"),
            None,
            "no rtpmap"
        );
    }
}
