//! A simulated browser for tests and benchmarks: a plain str0m peer (full ICE, the offerer)
//! wired to an [`Endpoint`] over an in-memory link.

#![allow(dead_code, clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use switchboard_media::webrtc::{self, Endpoint, LegEvent, LegId};

/// The endpoint's announced address in tests.
pub(crate) const SERVER: &str = "10.0.0.1:3478";

/// A browser: a str0m peer offering audio (PCMU and PCMA).
pub(crate) struct Browser {
    pub(crate) rtc: Rtc,
    pub(crate) addr: SocketAddr,
    pub(crate) mid: Mid,
    pub(crate) leg: Option<LegId>,
    pub(crate) received: u64,
    pub(crate) connected: bool,
    pub(crate) deadline: Instant,
    ts: u32,
    /// Prefers Opus (encodes what it sends with this).
    opus: Option<switchboard_media::opus::Transcoder>,
    /// Codecs of the media it received.
    pub(crate) codecs: Vec<Codec>,
}

impl Browser {
    /// A browser at `addr` that has sent its offer to `endpoint`.
    pub(crate) fn connect(endpoint: &mut Endpoint, now: Instant, addr: SocketAddr) -> Browser {
        let (mut browser, offer, pending) = Browser::offer(now, addr);
        let (leg, answer) = endpoint
            .accept_offer(now, None, &offer)
            .expect("the endpoint accepts the offer");
        browser.accept(leg, &answer, pending);
        browser
    }

    /// A browser at `addr` with its offer, not yet sent.
    pub(crate) fn offer(now: Instant, addr: SocketAddr) -> (Browser, String, SdpPendingOffer) {
        Browser::offer_with(now, addr, false)
    }

    /// A browser at `addr` with its offer; with `opus`, it prefers Opus (G.711 after it).
    pub(crate) fn offer_with(
        now: Instant,
        addr: SocketAddr,
        opus: bool,
    ) -> (Browser, String, SdpPendingOffer) {
        let mut config = Rtc::builder().clear_codecs();
        if opus {
            config = config.enable_opus(true, false);
        }
        let mut rtc = config
            .enable_pcmu(true, false)
            .enable_pcma(true, false)
            .build(now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").expect("candidate"));
        let mut change = rtc.sdp_api();
        let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = change.apply().expect("offer");
        let browser = Browser {
            rtc,
            addr,
            mid,
            leg: None,
            received: 0,
            connected: false,
            deadline: now,
            ts: 0,
            opus: opus.then(|| switchboard_media::opus::Transcoder::new().expect("opus")),
            codecs: Vec::new(),
        };
        (browser, offer.to_sdp_string(), pending)
    }

    /// The endpoint's answer arrived.
    pub(crate) fn accept(&mut self, leg: LegId, answer: &str, pending: SdpPendingOffer) {
        let answer = SdpAnswer::from_sdp_string(answer).expect("answer parses");
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .expect("answer accepted");
        self.leg = Some(leg);
    }

    /// Send one 20 ms frame: PCMU, or Opus (encoded from the PCMU) when it prefers Opus.
    pub(crate) fn send_frame(&mut self, now: Instant, payload: &[u8]) {
        let Some(writer) = self.rtc.writer(self.mid) else {
            return;
        };
        let codec = if self.opus.is_some() {
            Codec::Opus
        } else {
            Codec::PCMU
        };
        let Some(pt) = writer
            .payload_params()
            .find(|p| p.spec().codec == codec)
            .map(str0m::format::PayloadParams::pt)
        else {
            return;
        };
        let (time, data) = match &mut self.opus {
            Some(t) => (
                MediaTime::new(u64::from(self.ts) * 6, Frequency::FORTY_EIGHT_KHZ),
                t.encode(switchboard_media::g711::Law::Mu, payload)
                    .expect("encode"),
            ),
            None => (
                MediaTime::new(u64::from(self.ts), Frequency::EIGHT_KHZ),
                payload.to_vec(),
            ),
        };
        self.ts = self.ts.wrapping_add(160);
        let _ = writer.write(pt, now, time, data);
    }

    /// Drain the browser's output: datagrams to the endpoint, events counted.
    pub(crate) fn drain(&mut self, now: Instant, endpoint: &mut Endpoint) {
        for datagram in self.drain_datagrams() {
            endpoint.receive(now, self.addr, &datagram);
        }
    }

    /// Drain the browser's output, returning the datagrams it sends.
    pub(crate) fn drain_datagrams(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            match self.rtc.poll_output().expect("browser output") {
                Output::Timeout(t) => {
                    self.deadline = t;
                    return out;
                }
                Output::Transmit(t) => out.push(t.contents.to_vec()),
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::MediaData(d)) => {
                    self.received += 1;
                    let codec = d.params.spec().codec;
                    if !self.codecs.contains(&codec) {
                        self.codecs.push(codec);
                    }
                }
                Output::Event(_) => {}
            }
        }
    }

    /// A datagram from the endpoint.
    pub(crate) fn receive(&mut self, now: Instant, data: &[u8]) {
        let server: SocketAddr = SERVER.parse().expect("addr");
        if let Ok(r) = Receive::new(Protocol::Udp, server, self.addr, data) {
            let _ = self.rtc.handle_input(Input::Receive(now, r));
        }
    }
}

/// Deliver the endpoint's output to the browsers (by address); returns its events.
pub(crate) fn pump(
    endpoint: &mut Endpoint,
    browsers: &mut [Browser],
    now: Instant,
) -> Vec<(LegId, LegEvent)> {
    let mut events = Vec::new();
    for _ in 0..100 {
        let mut moved = false;
        while let Some(out) = endpoint.poll_output() {
            moved = true;
            match out {
                webrtc::Output::Transmit { to, data } => {
                    if let Some(b) = browsers.iter_mut().find(|b| b.addr == to) {
                        b.receive(now, &data);
                    }
                }
                webrtc::Output::Event(leg, e) => events.push((leg, e)),
            }
        }
        for b in browsers.iter_mut() {
            b.drain(now, endpoint);
        }
        if !moved {
            break;
        }
    }
    events
}

/// Run the clock from `from` for `span` in 1 ms steps, feeding timeouts; returns events.
pub(crate) fn run(
    endpoint: &mut Endpoint,
    browsers: &mut [Browser],
    from: Instant,
    span: Duration,
) -> Vec<(LegId, LegEvent)> {
    let mut events = Vec::new();
    let mut t = from;
    while t <= from + span {
        for b in browsers.iter_mut() {
            if b.deadline <= t {
                let _ = b.rtc.handle_input(Input::Timeout(t));
            }
            b.drain(t, endpoint);
        }
        endpoint.handle_timeout(t);
        events.extend(pump(endpoint, browsers, t));
        t += Duration::from_millis(1);
    }
    events
}
