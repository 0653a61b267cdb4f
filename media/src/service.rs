//! The built-in call services operators use to test a line, as sans-IO state machines: the
//! *echo test* (the caller hears themselves) and the *prompt + DTMF test* (a prompt, then the
//! digits the caller pressed, read back). The driver feeds received RTP and the time, and sends
//! what [`Service::poll_transmit`] returns.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::dtmf::DtmfReceiver;
use crate::g711::{FRAME_SAMPLES, Law};
use crate::rtcp;
use crate::rtp::{RtpHeader, RtpPacket};
use crate::stats::ReceiverStats;

/// 20 ms: one G.711 frame.
pub const PTIME: Duration = Duration::from_millis(20);
/// How long the prompt test waits after the last digit before reading the digits back.
pub const DIGIT_TIMEOUT: Duration = Duration::from_secs(4);

/// Negotiated media parameters of a call.
#[derive(Debug, Clone, Copy)]
pub struct MediaParams {
    /// The G.711 law of the call's audio.
    pub law: Law,
    /// Payload type of telephone-event, if negotiated.
    pub telephone_event: Option<u8>,
    /// Our SSRC (random, from the driver).
    pub ssrc: u32,
}

/// What a service does with the call.
#[derive(Debug)]
enum Mode {
    /// Send back what arrives.
    Echo { queue: VecDeque<Vec<u8>> },
    /// The trunk side of a bridge: audio pushed by the bridge goes out as it comes (no added
    /// delay); what the caller sends is kept for the bridge to take; keys pressed by the agent
    /// go out as RFC 4733 events, one packet per 20 ms, replacing audio while they play.
    Relay {
        queue: VecDeque<Vec<u8>>,
        received: VecDeque<Vec<u8>>,
        keys: VecDeque<(bool, [u8; 4])>,
        /// The timestamp of the event being sent (all its packets carry its start).
        event_ts: Option<u32>,
    },
    /// Play `script` (8 kHz samples), collect digits, read them back with `voices`.
    Prompt {
        script: VecDeque<i16>,
        voices: DigitVoices,
        last_digit: Option<Instant>,
        read_back: bool,
    },
}

/// Recorded voices of the digits 0-9 (8 kHz samples), used to read digits back.
#[derive(Debug, Clone, Default)]
pub struct DigitVoices {
    /// One recording per digit, indexed by the digit (0-9).
    pub digits: Vec<Vec<i16>>,
    /// A short pause between read-back digits, in samples.
    pub gap: usize,
}

/// A built-in service on one call.
#[derive(Debug)]
pub struct Service {
    params: MediaParams,
    mode: Mode,
    sequence: u16,
    timestamp: u32,
    next_frame: Option<Instant>,
    dtmf: DtmfReceiver,
    digits: String,
    stats: ReceiverStats,
    sent: u64,
    sent_octets: u64,
    /// The caller's SSRC, from its RTP.
    remote_ssrc: Option<u32>,
    /// Middle bits and send time of our last SR, to compute the round trip (RFC 3550 6.4.1).
    last_sr: Option<(u32, Instant)>,
    /// Middle bits of the caller's last SR and when it arrived, for our report blocks.
    remote_sr: Option<(u32, Instant)>,
    /// How the caller hears us, from its RTCP report blocks.
    remote_view: Option<RemoteView>,
}

/// How the far end hears us, from its RTCP reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RemoteView {
    /// Fraction of our packets it lost in its last interval (0.0 - 1.0).
    pub fraction_lost: f64,
    /// Its interarrival jitter of our stream, in ms.
    pub jitter_ms: f64,
    /// Round-trip time, when it echoed one of our sender reports.
    pub rtt_ms: Option<f64>,
}

impl Service {
    /// The echo test: every audio packet the caller sends is sent back.
    pub fn echo(params: MediaParams) -> Service {
        Service::new(
            params,
            Mode::Echo {
                queue: VecDeque::new(),
            },
        )
    }

    /// The trunk side of a bridge (see [`Service::push`], [`Service::take_received`],
    /// [`Service::send_key`]).
    pub fn relay(params: MediaParams) -> Service {
        Service::new(
            params,
            Mode::Relay {
                queue: VecDeque::new(),
                received: VecDeque::new(),
                keys: VecDeque::new(),
                event_ts: None,
            },
        )
    }

    /// Relay: a frame of audio (in the call's law) to send to the caller now.
    pub fn push(&mut self, payload: &[u8]) {
        if let Mode::Relay { queue, .. } = &mut self.mode
            && queue.len() < 50
        {
            queue.push_back(payload.to_vec());
        }
    }

    /// Relay: the next frame of audio the caller sent (in the call's law).
    pub fn take_received(&mut self) -> Option<Vec<u8>> {
        match &mut self.mode {
            Mode::Relay { received, .. } => received.pop_front(),
            _ => None,
        }
    }

    /// Relay: press `key` (0-9, *, #, A-D) towards the caller as an RFC 4733 event of 100 ms.
    /// Returns false when the call negotiated no telephone-event or the key is not one.
    pub fn send_key(&mut self, now: Instant, key: char) -> bool {
        let (Some(_), Some(event)) = (self.params.telephone_event, crate::dtmf::event_of(key))
        else {
            return false;
        };
        let Mode::Relay { keys, .. } = &mut self.mode else {
            return false;
        };
        if keys.is_empty() {
            self.next_frame = Some(now);
        }
        keys.extend(crate::dtmf::key_press(event, 100, 10));
        // A pause between keys (RFC 4733 2.5.1.5: a new event gets a new timestamp).
        keys.push_back((false, [0xff; 4]));
        keys.push_back((false, [0xff; 4]));
        true
    }

    /// The prompt test: play `prompt`, collect digits, read them back.
    pub fn prompt(params: MediaParams, prompt: &[i16], voices: DigitVoices) -> Service {
        Service::new(
            params,
            Mode::Prompt {
                script: prompt.iter().copied().collect(),
                voices,
                last_digit: None,
                read_back: false,
            },
        )
    }

    fn new(params: MediaParams, mode: Mode) -> Service {
        Service {
            params,
            mode,
            // RFC 3550 5.1: initial sequence and timestamp should be random; derive them from
            // the (random) SSRC so the core needs no RNG of its own.
            sequence: (params.ssrc >> 16) as u16,
            timestamp: params.ssrc.rotate_left(7),
            next_frame: None,
            dtmf: DtmfReceiver::default(),
            digits: String::new(),
            stats: ReceiverStats::new(8000),
            sent: 0,
            sent_octets: 0,
            remote_ssrc: None,
            last_sr: None,
            remote_sr: None,
            remote_view: None,
        }
    }

    /// A compound RTCP report to send now (SR if we have sent media, else RR; with SDES CNAME).
    /// `ntp` is the wall-clock time as a 64-bit NTP timestamp.
    pub fn rtcp_report(&mut self, now: Instant, ntp: u64, cname: &str) -> Vec<u8> {
        let block = self.remote_ssrc.map(|ssrc| {
            let (lsr, dlsr) = match self.remote_sr {
                Some((middle, at)) => (middle, ((now - at).as_secs_f64() * 65536.0) as u32),
                None => (0, 0),
            };
            (ssrc, self.stats.report(), lsr, dlsr)
        });
        let blocks: Vec<_> = block.into_iter().collect();
        let sender_info = (self.sent > 0).then(|| {
            self.last_sr = Some((rtcp::ntp_middle(ntp), now));
            rtcp::SenderInfo {
                ntp_time: ntp,
                rtp_time: self.timestamp,
                packet_count: self.sent as u32,
                octet_count: self.sent_octets as u32,
            }
        });
        let mut out = Vec::with_capacity(128);
        rtcp::Report {
            ssrc: self.params.ssrc,
            sender_info,
            blocks: &blocks,
            cname,
        }
        .write(&mut out);
        out
    }

    /// A received RTCP packet: note the caller's SR and what it says about our stream.
    pub fn on_rtcp(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(compound) = rtcp::Compound::parse(bytes) else {
            return;
        };
        if let Some(info) = compound.sender_info {
            self.remote_sr = Some((rtcp::ntp_middle(info.ntp_time), now));
        }
        if let Some(block) = compound.reports.iter().find(|b| b.ssrc == self.params.ssrc) {
            // RFC 3550 6.4.1: RTT = arrival - LSR - DLSR, with LSR the SR it echoes.
            let rtt_ms = match self.last_sr {
                Some((middle, sent_at)) if block.last_sr == middle && block.last_sr != 0 => {
                    let held = f64::from(block.delay_since_last_sr) / 65536.0;
                    Some(((now - sent_at).as_secs_f64() - held).max(0.0) * 1000.0)
                }
                _ => self.remote_view.and_then(|v| v.rtt_ms),
            };
            self.remote_view = Some(RemoteView {
                fraction_lost: f64::from(block.fraction_lost) / 256.0,
                jitter_ms: f64::from(block.jitter) / 8.0,
                rtt_ms,
            });
        }
    }

    /// How the caller hears us, if it sent RTCP.
    pub fn remote_view(&self) -> Option<RemoteView> {
        self.remote_view
    }

    /// A received RTP packet.
    pub fn on_rtp(&mut self, now: Instant, packet: &RtpPacket<'_>) {
        self.remote_ssrc.get_or_insert(packet.ssrc);
        self.stats.record(now, packet.sequence, packet.timestamp);
        if Some(packet.payload_type) == self.params.telephone_event {
            if let Ok(Some(key)) = self.dtmf.receive(packet.timestamp, packet.payload) {
                self.digits.push(key);
                if let Mode::Prompt { last_digit, .. } = &mut self.mode {
                    *last_digit = Some(now);
                }
            }
            return;
        }
        if packet.payload_type != self.params.law.payload_type() {
            return;
        }
        match &mut self.mode {
            // Bound the queues: a sender faster than real time cannot make us buffer forever.
            Mode::Echo { queue }
            | Mode::Relay {
                received: queue, ..
            } if queue.len() < 50 => queue.push_back(packet.payload.to_vec()),
            _ => {}
        }
    }

    /// The next packet to send now, if any. Call until it returns `None`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        let payload = match &mut self.mode {
            Mode::Echo { queue } => queue.pop_front()?,
            Mode::Relay {
                queue,
                keys,
                event_ts,
                ..
            } => {
                if keys.is_empty() {
                    queue.pop_front()?
                } else {
                    // Audio is dropped while an event plays (RFC 4733 2.5.1.2 lets the
                    // sender suppress it).
                    queue.clear();
                    if self.next_frame.is_some_and(|t| now < t) {
                        return None;
                    }
                    self.next_frame = Some(self.next_frame.map_or(now, |t| t) + PTIME);
                    let (marker, event) = keys.pop_front()?;
                    if event == [0xff; 4] {
                        // The gap after a key: the next event starts a new timestamp.
                        if let Some(ts) = event_ts.take() {
                            self.timestamp = ts.wrapping_add(960);
                        }
                        return None;
                    }
                    let ts = *event_ts.get_or_insert(self.timestamp);
                    let header = RtpHeader {
                        marker,
                        payload_type: self.params.telephone_event.unwrap_or(101),
                        sequence: self.sequence,
                        timestamp: ts,
                        ssrc: self.params.ssrc,
                    };
                    self.sequence = self.sequence.wrapping_add(1);
                    self.sent += 1;
                    self.sent_octets += 4;
                    let mut out = Vec::with_capacity(16);
                    header.write(&event, &mut out);
                    return Some(out);
                }
            }
            Mode::Prompt {
                script,
                voices,
                last_digit,
                read_back,
            } => {
                let due = self.next_frame.is_none_or(|t| now >= t);
                if !due {
                    return None;
                }
                self.next_frame = Some(self.next_frame.map_or(now, |t| t) + PTIME);
                if !*read_back
                    && last_digit
                        .is_some_and(|t| now >= t + DIGIT_TIMEOUT || self.digits.ends_with('#'))
                {
                    *read_back = true;
                    for key in self.digits.chars() {
                        if let Some(v) =
                            key.to_digit(10).and_then(|d| voices.digits.get(d as usize))
                        {
                            script.extend(v.iter().copied());
                            script.extend(std::iter::repeat_n(0, voices.gap));
                        }
                    }
                }
                let law = self.params.law;
                (0..FRAME_SAMPLES)
                    .map(|_| law.encode(script.pop_front().unwrap_or(0)))
                    .collect()
            }
        };
        let header = RtpHeader {
            marker: self.sent == 0,
            payload_type: self.params.law.payload_type(),
            sequence: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.params.ssrc,
        };
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(payload.len() as u32);
        self.sent += 1;
        self.sent_octets += payload.len() as u64;
        let mut out = Vec::with_capacity(12 + payload.len());
        header.write(&payload, &mut out);
        Some(out)
    }

    /// When to call [`Service::poll_transmit`] next without new input.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.mode {
            Mode::Echo { .. } => None,
            Mode::Relay { keys, .. } if keys.is_empty() => None,
            Mode::Relay { .. } | Mode::Prompt { .. } => self.next_frame,
        }
    }

    /// Digits the caller pressed so far.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// Reception statistics of the caller's RTP.
    pub fn stats(&self) -> &ReceiverStats {
        &self.stats
    }

    /// RTP packets sent so far (audio and telephone events).
    pub fn packets_sent(&self) -> u64 {
        self.sent
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // A test picks an arbitrary origin for its clock.
mod tests {
    use super::*;
    use crate::dtmf::key_press;

    fn params() -> MediaParams {
        MediaParams {
            law: Law::Mu,
            telephone_event: Some(101),
            ssrc: 0xabcd_1234,
        }
    }

    fn packet(pt: u8, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        RtpHeader {
            marker: false,
            payload_type: pt,
            sequence: seq,
            timestamp: ts,
            ssrc: 7,
        }
        .write(payload, &mut b);
        b
    }

    #[test]
    fn the_echo_sends_back_what_it_hears_with_its_own_stream() {
        let t0 = Instant::now();
        let mut s = Service::echo(params());
        let mut sent = Vec::new();
        for i in 0..3u16 {
            let bytes = packet(0, 100 + i, u32::from(i) * 160, &[i as u8; 160]);
            s.on_rtp(t0, &RtpPacket::parse(&bytes).expect("rtp"));
            while let Some(out) = s.poll_transmit(t0) {
                sent.push(out);
            }
        }
        assert_eq!(sent.len(), 3);
        let parsed: Vec<RtpPacket<'_>> = sent
            .iter()
            .map(|b| RtpPacket::parse(b).expect("rtp"))
            .collect();
        assert_eq!(parsed[1].payload, &[1u8; 160]);
        assert_eq!(parsed[0].ssrc, 0xabcd_1234);
        assert_eq!(parsed[1].sequence, parsed[0].sequence.wrapping_add(1));
        assert_eq!(parsed[1].timestamp, parsed[0].timestamp.wrapping_add(160));
        assert!(parsed[0].marker && !parsed[1].marker);
        // Packets of another payload type are not echoed.
        s.on_rtp(
            t0,
            &RtpPacket::parse(&packet(8, 200, 0, &[1; 160])).expect("rtp"),
        );
        assert!(s.poll_transmit(t0).is_none());
    }

    #[test]
    fn a_relay_forwards_audio_both_ways_and_sends_keys_as_rfc4733_events() {
        let t0 = Instant::now();
        let mut s = Service::relay(params());
        s.on_rtp(
            t0,
            &RtpPacket::parse(&packet(0, 1, 0, &[7; 160])).expect("rtp"),
        );
        assert_eq!(s.take_received(), Some(vec![7; 160]));
        assert_eq!(s.take_received(), None);
        s.push(&[9; 160]);
        let out = s.poll_transmit(t0).expect("audio goes out at once");
        let audio = RtpPacket::parse(&out).expect("rtp");
        assert_eq!((audio.payload_type, audio.payload), (0, &[9u8; 160][..]));
        assert_eq!(s.poll_timeout(), None);

        assert!(s.send_key(t0, '5'));
        assert!(!s.send_key(t0, 'x'), "not a key");
        let mut t = t0;
        let mut events = Vec::new();
        // 5 steps, 3 end packets, 2 ticks of gap.
        for _ in 0..10 {
            s.push(&[1; 160]);
            while let Some(out) = s.poll_transmit(t) {
                events.push(out);
            }
            t += PTIME;
        }
        let parsed: Vec<_> = events
            .iter()
            .map(|b| RtpPacket::parse(b).expect("rtp"))
            .collect();
        assert!(
            parsed.iter().all(|p| p.payload_type == 101),
            "audio is held back"
        );
        assert_eq!(parsed.len(), 8, "5 steps of 20 ms and 3 end packets");
        assert!(parsed[0].marker);
        assert!(parsed.iter().all(|p| p.timestamp == parsed[0].timestamp));
        let mut rx = crate::dtmf::DtmfReceiver::default();
        let keys: Vec<char> = parsed
            .iter()
            .filter_map(|p| rx.receive(p.timestamp, p.payload).ok().flatten())
            .collect();
        assert_eq!(keys, ['5']);
        // Then audio again, after the event's timestamp.
        s.push(&[2; 160]);
        let after = s.poll_transmit(t).expect("audio");
        let after = RtpPacket::parse(&after).expect("rtp");
        assert_eq!(after.payload_type, 0);
        assert!(after.timestamp.wrapping_sub(parsed[0].timestamp) >= 800);
    }

    #[test]
    fn a_relay_without_telephone_event_cannot_send_keys() {
        let t0 = Instant::now();
        let mut s = Service::relay(MediaParams {
            telephone_event: None,
            ..params()
        });
        assert!(!s.send_key(t0, '1'));
    }

    #[test]
    fn rtcp_reports_carry_loss_jitter_and_the_round_trip() {
        let t0 = Instant::now();
        let mut a = Service::echo(params());
        let mut b = Service::echo(MediaParams {
            ssrc: 0x5555,
            ..params()
        });
        // b sends a few packets to a, one lost; a echoes (so both have sent media).
        for seq in [1u16, 2, 4] {
            let mut bytes = Vec::new();
            RtpHeader {
                marker: false,
                payload_type: 0,
                sequence: seq,
                timestamp: u32::from(seq) * 160,
                ssrc: 0x5555,
            }
            .write(&[0; 160], &mut bytes);
            a.on_rtp(t0, &RtpPacket::parse(&bytes).expect("rtp"));
            while let Some(out) = a.poll_transmit(t0) {
                b.on_rtp(t0, &RtpPacket::parse(&out).expect("rtp"));
            }
        }
        let ntp = 0x1111_2222_3333_4444u64;
        let sr = a.rtcp_report(t0, ntp, "a@switchboard");
        b.on_rtcp(t0 + Duration::from_millis(10), &sr);
        let reply = b.rtcp_report(t0 + Duration::from_millis(60), ntp + (1 << 32), "b@peer");
        a.on_rtcp(t0 + Duration::from_millis(80), &reply);
        let view = a.remote_view().expect("a learned how b hears it");
        assert_eq!(view.fraction_lost, 0.0);
        let rtt = view.rtt_ms.expect("rtt");
        // 80 ms after our SR, b held it 50 ms: 30 ms round trip.
        assert!((29.0..=31.0).contains(&rtt), "{rtt}");
        // Packet 3 of b never reached a.
        assert_eq!(a.stats().lost(), 1);
        // Garbage RTCP changes nothing.
        a.on_rtcp(t0, &[1, 2, 3]);
        assert_eq!(a.remote_view(), Some(view));
    }

    #[test]
    fn the_prompt_test_plays_collects_digits_and_reads_them_back() {
        let t0 = Instant::now();
        let prompt = vec![1000i16; 1600]; // 200 ms
        let voices = DigitVoices {
            digits: (0..10).map(|d| vec![100 * (d as i16 + 1); 320]).collect(),
            gap: 160,
        };
        let mut s = Service::prompt(params(), &prompt, voices);
        let mut t = t0;
        let mut frames = Vec::new();
        let step = |s: &mut Service, t: Instant, frames: &mut Vec<Vec<u8>>| {
            while let Some(out) = s.poll_transmit(t) {
                frames.push(out);
            }
        };
        // 10 frames of prompt at 20 ms.
        for _ in 0..10 {
            step(&mut s, t, &mut frames);
            t += PTIME;
        }
        assert_eq!(frames.len(), 10);
        assert!(
            frames
                .iter()
                .all(|f| RtpPacket::parse(f).expect("rtp").payload[0] == Law::Mu.encode(1000))
        );
        // The caller presses 4, 2, #.
        for (i, key) in [4u8, 2, 11].into_iter().enumerate() {
            for (_, payload) in key_press(key, 60, 10) {
                let bytes = packet(101, 500 + i as u16, 8000 * (i as u32 + 1), &payload);
                s.on_rtp(t, &RtpPacket::parse(&bytes).expect("rtp"));
            }
        }
        assert_eq!(s.digits(), "42#");
        // The read-back follows: voice of 4, gap, voice of 2, gap.
        frames.clear();
        for _ in 0..12 {
            step(&mut s, t, &mut frames);
            t += PTIME;
        }
        let first: Vec<i16> = frames
            .iter()
            .map(|f| Law::Mu.decode(RtpPacket::parse(f).expect("rtp").payload[0]))
            .collect();
        assert!((480..=520).contains(&first[0]), "{first:?}");
        assert_eq!(first[2], 0);
        assert!((290..=310).contains(&first[3]), "{first:?}");
        assert_eq!(s.poll_timeout(), Some(t));
    }
}
