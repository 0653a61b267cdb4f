//! The bridge of one call, sans-IO: connects the caller (the trunk leg) with the agent (a
//! browser leg), taps the audio for the recording, and mixes in a supervisor who listens,
//! whispers or barges in.
//!
//! The plain path is pass-through: a caller frame goes to the agent as it arrives, byte for
//! byte, when the agent's leg speaks the trunk's G.711 law (else the law is converted by table,
//! still without touching the samples), and the agent's frames go to the caller the same way.
//! Only hold, mute, whisper and barge replace a direction with frames made on the 20 ms tick.
//!
//! The tick also writes the recording: one stereo frame (caller left, agent right) every
//! 20 ms, from the frames each side sent since the last tick (a side that sent nothing is
//! silent). While the recording is paused the frames are silence, so the file keeps its
//! timeline and the paused span is provably empty.
//!
//! While the caller is on hold (queued, or in an IVR) the bridge can play them an
//! announcement (an IVR prompt, their position in the queue) in place of the music; it reports
//! [`BridgeOutput::AnnouncementDone`] when the announcement has played.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::g711::{FRAME_SAMPLES, Law, transcode};

/// One tick: one G.711 frame.
pub const TICK: Duration = Duration::from_millis(20);
/// A side's backlog is capped at this many frames (200 ms); older frames are dropped, so
/// clock drift between the parties never grows the delay.
const MAX_BACKLOG: usize = 10;
/// Ticks without a frame from the agent before the caller gets comfort silence (60 ms).
const GAP_TICKS: u32 = 3;

/// What a supervisor on the call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorMode {
    /// Hears both sides; nobody hears them.
    Listen,
    /// Hears both sides; only the agent hears them.
    Whisper,
    /// Hears both sides; both hear them (three-way). Also the conference of an attended
    /// transfer, with a second agent as the third party.
    Barge,
    /// An attended transfer's consultation: the caller is on hold (music), the agent and the
    /// third party (the agent being transferred to) hear each other.
    Consult,
}

impl MonitorMode {
    /// The mode named `s` (`listen`, `whisper`, `barge` or `consult`); `None` for any other.
    pub fn parse(s: &str) -> Option<MonitorMode> {
        match s {
            "listen" => Some(MonitorMode::Listen),
            "whisper" => Some(MonitorMode::Whisper),
            "barge" => Some(MonitorMode::Barge),
            "consult" => Some(MonitorMode::Consult),
            _ => None,
        }
    }

    /// The mode's name, as [`MonitorMode::parse`] reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorMode::Listen => "listen",
            MonitorMode::Whisper => "whisper",
            MonitorMode::Barge => "barge",
            MonitorMode::Consult => "consult",
        }
    }
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeOutput {
    /// A frame for the caller, in the trunk's law.
    ToCaller(Vec<u8>),
    /// A frame for the agent, in `law`.
    ToAgent {
        /// The G.711 law of the agent's leg.
        law: Law,
        /// The encoded frame.
        payload: Vec<u8>,
    },
    /// A frame for the supervisor, in `law`.
    ToSupervisor {
        /// The G.711 law of the supervisor's leg.
        law: Law,
        /// The encoded frame.
        payload: Vec<u8>,
    },
    /// 20 ms of the recording: interleaved stereo samples (caller, agent).
    Record(Vec<i16>),
    /// The announcement has played to its end (not sent when it was stopped).
    AnnouncementDone,
}

/// A span of the recording that was paused, in ms from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// When the pause began, in ms from the start of the recording.
    pub from_ms: u64,
    /// When the recording resumed, in ms from its start; `None` while still paused.
    pub to_ms: Option<u64>,
}

#[derive(Debug, Default)]
struct Side {
    frames: VecDeque<Vec<i16>>,
}

impl Side {
    fn push(&mut self, law: Law, payload: &[u8]) {
        if self.frames.len() >= MAX_BACKLOG {
            self.frames.pop_front();
        }
        self.frames
            .push_back(payload.iter().map(|b| law.decode(*b)).collect());
    }

    /// The next 20 ms of this side, silence if it sent nothing.
    fn take(&mut self) -> Vec<i16> {
        let mut f = self.frames.pop_front().unwrap_or_default();
        f.resize(FRAME_SAMPLES, 0);
        f
    }
}

/// One call's bridge.
#[derive(Debug)]
pub struct Bridge {
    caller_law: Law,
    agent_law: Option<Law>,
    supervisor: Option<(MonitorMode, Law)>,
    hold: bool,
    mute: bool,
    /// Music on hold (8 kHz samples), looped.
    music: Vec<i16>,
    music_pos: usize,
    /// Whether hold plays the music (an IVR waiting for keys is silent).
    music_on: bool,
    /// The announcement playing to a caller on hold, and how far it has played.
    announcement: Option<(Arc<[i16]>, usize)>,
    caller: Side,
    agent: Side,
    whisper: Side,
    /// Whether the agent sent a frame since the last tick.
    agent_spoke: bool,
    /// Ticks in a row without a frame from the agent: from [`GAP_TICKS`] on (or at once when
    /// muted) the caller gets comfort silence from the tick.
    agent_missed: u32,
    recording: bool,
    paused: bool,
    pauses: Vec<Pause>,
    recorded_frames: u64,
    next_tick: Option<Instant>,
    out: VecDeque<BridgeOutput>,
}

fn encode(law: Law, samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|s| law.encode(*s)).collect()
}

fn mix(a: &[i16], b: &[i16]) -> Vec<i16> {
    a.iter().zip(b).map(|(x, y)| x.saturating_add(*y)).collect()
}

impl Bridge {
    /// A bridge for a call whose trunk leg speaks `caller_law`, playing `music` on hold;
    /// `record` says whether the call is recorded.
    pub fn new(caller_law: Law, music: Vec<i16>, record: bool) -> Bridge {
        Bridge {
            caller_law,
            agent_law: None,
            supervisor: None,
            hold: false,
            mute: false,
            music,
            music_pos: 0,
            music_on: true,
            announcement: None,
            caller: Side::default(),
            agent: Side::default(),
            whisper: Side::default(),
            agent_spoke: false,
            agent_missed: 0,
            recording: record,
            paused: false,
            pauses: Vec::new(),
            recorded_frames: 0,
            next_tick: None,
            out: VecDeque::new(),
        }
    }

    /// The agent's leg is connected and accepts `laws` (preferred first); `None` when the agent
    /// has no leg (e.g. during a page reload). Picks the trunk's law when the agent accepts it,
    /// so the audio passes through untouched.
    pub fn set_agent(&mut self, laws: Option<&[Law]>) {
        self.agent_law = laws.and_then(|laws| {
            if laws.contains(&self.caller_law) {
                Some(self.caller_law)
            } else {
                laws.first().copied()
            }
        });
    }

    /// The law the agent's leg is sent, if connected.
    pub fn agent_law(&self) -> Option<Law> {
        self.agent_law
    }

    /// Whether both directions pass through untouched right now.
    pub fn is_pass_through(&self) -> bool {
        self.agent_law == Some(self.caller_law)
            && !self.hold
            && !self.mute
            && self.supervisor.is_none()
    }

    /// Hold on or off; taking the caller off hold ends any announcement (an agent is there).
    pub fn set_hold(&mut self, on: bool) {
        self.hold = on;
        if !on {
            self.announcement = None;
        }
    }

    /// Whether hold plays music (on by default) or silence.
    pub fn set_music(&mut self, on: bool) {
        self.music_on = on;
    }

    /// Play `samples` (8 kHz) to the caller while on hold, in place of the music, replacing
    /// any announcement playing.
    pub fn play(&mut self, samples: Arc<[i16]>) {
        self.announcement = Some((samples, 0));
    }

    /// Stop the announcement (e.g. the caller pressed a key); no `AnnouncementDone` follows.
    pub fn stop_announcement(&mut self) {
        self.announcement = None;
    }

    /// Whether an announcement is playing.
    pub fn is_announcing(&self) -> bool {
        self.announcement.is_some()
    }

    /// Mute on or off: while muted the agent's frames are dropped and the caller gets
    /// silence.
    pub fn set_mute(&mut self, on: bool) {
        self.mute = on;
    }

    /// A supervisor joins (or changes mode) with a leg that accepts `law`; `None` leaves.
    pub fn set_supervisor(&mut self, monitor: Option<(MonitorMode, Law)>) {
        self.supervisor = monitor;
        if monitor.is_none() {
            self.whisper.frames.clear();
        }
    }

    /// Pause or resume the recording (takes effect from the next tick).
    pub fn set_recording_paused(&mut self, paused: bool) {
        if !self.recording || paused == self.paused {
            return;
        }
        self.paused = paused;
        let at = self.recorded_ms();
        if paused {
            self.pauses.push(Pause {
                from_ms: at,
                to_ms: None,
            });
        } else if let Some(p) = self.pauses.last_mut() {
            p.to_ms = Some(at);
        }
    }

    /// The recording's paused spans so far.
    pub fn pauses(&self) -> &[Pause] {
        &self.pauses
    }

    /// Milliseconds of recording written so far.
    pub fn recorded_ms(&self) -> u64 {
        self.recorded_frames * 20
    }

    fn start_ticking(&mut self, now: Instant) {
        self.next_tick.get_or_insert(now + TICK);
    }

    /// Start the 20 ms tick now, before either side has sent anything (a caller on hold from
    /// the start hears music at once; carriers that wait for our media first get it).
    pub fn start(&mut self, now: Instant) {
        self.start_ticking(now);
    }

    /// A frame from the caller (trunk law).
    pub fn from_caller(&mut self, now: Instant, payload: &[u8]) {
        self.start_ticking(now);
        self.caller.push(self.caller_law, payload);
        let Some(law) = self.agent_law else { return };
        let mixed_for_agent = matches!(
            self.supervisor,
            Some((
                MonitorMode::Whisper | MonitorMode::Barge | MonitorMode::Consult,
                _
            ))
        );
        if self.hold || mixed_for_agent {
            return;
        }
        let payload = if law == self.caller_law {
            payload.to_vec()
        } else {
            let mut out = Vec::with_capacity(payload.len());
            transcode(self.caller_law, law, payload, &mut out);
            out
        };
        self.out.push_back(BridgeOutput::ToAgent { law, payload });
    }

    /// A frame from the agent's browser.
    pub fn from_agent(&mut self, now: Instant, law: Law, payload: &[u8]) {
        self.start_ticking(now);
        if self.mute || self.hold {
            return;
        }
        self.agent.push(law, payload);
        self.agent_spoke = true;
        if matches!(
            self.supervisor,
            Some((MonitorMode::Barge | MonitorMode::Consult, _))
        ) {
            return;
        }
        let payload = if law == self.caller_law {
            payload.to_vec()
        } else {
            let mut out = Vec::with_capacity(payload.len());
            transcode(law, self.caller_law, payload, &mut out);
            out
        };
        self.out.push_back(BridgeOutput::ToCaller(payload));
    }

    /// A frame from the third party's browser (heard unless they only listen).
    pub fn from_supervisor(&mut self, law: Law, payload: &[u8]) {
        if matches!(
            self.supervisor,
            Some((
                MonitorMode::Whisper | MonitorMode::Barge | MonitorMode::Consult,
                _
            ))
        ) {
            self.whisper.push(law, payload);
        }
    }

    /// Let time pass to `now`: one tick per 20 ms elapsed.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(t) = self.next_tick
            && t <= now
        {
            self.next_tick = Some(t + TICK);
            self.tick();
        }
    }

    /// The next 20 ms a caller on hold hears: the announcement, else the music (or silence).
    fn next_on_hold(&mut self) -> Vec<i16> {
        if let Some((samples, pos)) = &mut self.announcement {
            let end = (*pos + FRAME_SAMPLES).min(samples.len());
            let mut frame = samples[*pos..end].to_vec();
            frame.resize(FRAME_SAMPLES, 0);
            *pos = end;
            if end == samples.len() {
                self.announcement = None;
                self.out.push_back(BridgeOutput::AnnouncementDone);
            }
            return frame;
        }
        if !self.music_on {
            return vec![0; FRAME_SAMPLES];
        }
        self.next_music()
    }

    fn next_music(&mut self) -> Vec<i16> {
        if self.music.is_empty() {
            return vec![0; FRAME_SAMPLES];
        }
        (0..FRAME_SAMPLES)
            .map(|_| {
                let s = self.music[self.music_pos % self.music.len()];
                self.music_pos = (self.music_pos + 1) % self.music.len();
                s
            })
            .collect()
    }

    fn tick(&mut self) {
        let caller = self.caller.take();
        let agent = self.agent.take();
        let supervisor = self.whisper.take();
        let agent_spoke = std::mem::take(&mut self.agent_spoke);
        self.agent_missed = if agent_spoke {
            0
        } else {
            self.agent_missed.saturating_add(1)
        };
        // A frame that is only late (jitter, or another call's bridge in a transfer) must not
        // be pushed back by a silence frame put before it: that would add 20 ms each time.
        let agent_gone = self.mute || self.agent_missed >= GAP_TICKS;
        let consult = matches!(self.supervisor, Some((MonitorMode::Consult, _)));
        if self.hold || consult {
            let music = self.next_on_hold();
            self.out
                .push_back(BridgeOutput::ToCaller(encode(self.caller_law, &music)));
            if let Some(law) = self.agent_law {
                // In a consultation the agent hears the third party; on hold, silence keeps
                // the agent's jitter buffer steady.
                let payload = if consult && !self.hold {
                    encode(law, &supervisor)
                } else {
                    vec![law.silence(); FRAME_SAMPLES]
                };
                self.out.push_back(BridgeOutput::ToAgent { law, payload });
            }
        } else {
            match self.supervisor {
                Some((MonitorMode::Barge, _)) => {
                    let to_caller = mix(&agent, &supervisor);
                    self.out
                        .push_back(BridgeOutput::ToCaller(encode(self.caller_law, &to_caller)));
                }
                _ if agent_gone => {
                    // Muted, or the agent's leg is gone for a moment: the carrier still gets
                    // a steady stream (some hang up on RTP silence).
                    self.out.push_back(BridgeOutput::ToCaller(vec![
                        self.caller_law.silence();
                        FRAME_SAMPLES
                    ]));
                }
                _ => {}
            }
            if let (Some((MonitorMode::Whisper | MonitorMode::Barge, _)), Some(law)) =
                (self.supervisor, self.agent_law)
            {
                self.out.push_back(BridgeOutput::ToAgent {
                    law,
                    payload: encode(law, &mix(&caller, &supervisor)),
                });
            }
        }
        if let Some((mode, law)) = self.supervisor {
            // A consulted agent hears only the agent; a supervisor hears both sides.
            let heard = if mode == MonitorMode::Consult {
                agent.clone()
            } else {
                mix(&caller, &agent)
            };
            self.out.push_back(BridgeOutput::ToSupervisor {
                law,
                payload: encode(law, &heard),
            });
        }
        if self.recording {
            let mut stereo = Vec::with_capacity(FRAME_SAMPLES * 2);
            for i in 0..FRAME_SAMPLES {
                if self.paused {
                    stereo.extend([0, 0]);
                } else {
                    stereo.extend([caller[i], agent[i]]);
                }
            }
            self.recorded_frames += 1;
            self.out.push_back(BridgeOutput::Record(stereo));
        }
    }

    /// When [`Bridge::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_tick
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<BridgeOutput> {
        self.out.pop_front()
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // A test picks an arbitrary origin for its clock.
mod tests {
    use super::*;

    fn tone(level: i16) -> Vec<i16> {
        (0..FRAME_SAMPLES)
            .map(|i| if i % 2 == 0 { level } else { -level })
            .collect()
    }

    fn drain(b: &mut Bridge) -> Vec<BridgeOutput> {
        std::iter::from_fn(|| b.poll_output()).collect()
    }

    fn energy(law: Law, payload: &[u8]) -> i64 {
        payload
            .iter()
            .map(|b| i64::from(law.decode(*b)).abs())
            .sum::<i64>()
            / payload.len().max(1) as i64
    }

    #[test]
    fn the_plain_path_passes_frames_through_byte_for_byte_at_once() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::A, Vec::new(), false);
        b.set_agent(Some(&[Law::Mu, Law::A]));
        assert!(b.is_pass_through());
        let frame = encode(Law::A, &tone(3000));
        b.from_caller(t0, &frame);
        b.from_agent(t0, Law::A, &frame);
        assert_eq!(
            drain(&mut b),
            [
                BridgeOutput::ToAgent {
                    law: Law::A,
                    payload: frame.clone()
                },
                BridgeOutput::ToCaller(frame)
            ]
        );
    }

    #[test]
    fn an_agent_in_the_other_law_is_converted_by_table() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::A, Vec::new(), false);
        b.set_agent(Some(&[Law::Mu]));
        assert!(!b.is_pass_through());
        b.from_caller(t0, &encode(Law::A, &tone(3000)));
        match drain(&mut b).as_slice() {
            [
                BridgeOutput::ToAgent {
                    law: Law::Mu,
                    payload,
                },
            ] => {
                assert!((2800..3200).contains(&energy(Law::Mu, payload)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hold_plays_music_to_the_caller_and_silence_to_the_agent() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, tone(2000), false);
        b.set_agent(Some(&[Law::Mu]));
        b.set_hold(true);
        b.from_caller(t0, &encode(Law::Mu, &tone(3000)));
        b.from_agent(t0, Law::Mu, &encode(Law::Mu, &tone(3000)));
        assert_eq!(drain(&mut b), [], "nothing passes while on hold");
        b.handle_timeout(t0 + TICK);
        let out = drain(&mut b);
        assert_eq!(out.len(), 2);
        match &out[..] {
            [
                BridgeOutput::ToCaller(music),
                BridgeOutput::ToAgent { payload, .. },
            ] => {
                assert!(energy(Law::Mu, music) > 1500);
                assert_eq!(energy(Law::Mu, payload), 0);
            }
            other => panic!("{other:?}"),
        }
        b.set_hold(false);
        b.from_agent(t0 + TICK, Law::Mu, &encode(Law::Mu, &tone(100)));
        assert!(matches!(drain(&mut b)[..], [BridgeOutput::ToCaller(_)]));
    }

    #[test]
    fn a_bridge_started_on_hold_plays_music_before_anyone_speaks() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, tone(2000), false);
        b.set_hold(true);
        assert_eq!(b.poll_timeout(), None, "no tick before the start");
        b.start(t0);
        b.handle_timeout(t0 + TICK);
        assert!(
            matches!(&drain(&mut b)[..], [BridgeOutput::ToCaller(m)] if energy(Law::Mu, m) > 1500)
        );
    }

    #[test]
    fn an_announcement_replaces_the_music_once_then_the_music_or_silence_returns() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, tone(2000), false);
        b.set_hold(true);
        b.start(t0);
        // 1.5 frames of a loud announcement: two frames, the second padded with silence.
        let loud: Arc<[i16]> = vec![8000i16; FRAME_SAMPLES * 3 / 2].into();
        b.play(loud.clone());
        assert!(b.is_announcing());
        b.handle_timeout(t0 + TICK * 2);
        let out = drain(&mut b);
        let frames: Vec<i64> = out
            .iter()
            .filter_map(|o| match o {
                BridgeOutput::ToCaller(p) => Some(energy(Law::Mu, p)),
                _ => None,
            })
            .collect();
        assert_eq!(frames.len(), 2);
        assert!(frames[0] > 7000, "the announcement, not the music");
        assert_eq!(
            out.iter()
                .filter(|o| **o == BridgeOutput::AnnouncementDone)
                .count(),
            1
        );
        assert!(!b.is_announcing());
        // The music is back.
        b.handle_timeout(t0 + TICK * 3);
        assert!(
            matches!(&drain(&mut b)[..], [BridgeOutput::ToCaller(m)] if (1500..3000).contains(&energy(Law::Mu, m)))
        );
        // Music off (an IVR waiting for keys): silence. A stopped announcement reports nothing.
        b.set_music(false);
        b.play(loud);
        b.stop_announcement();
        b.handle_timeout(t0 + TICK * 4);
        match &drain(&mut b)[..] {
            [BridgeOutput::ToCaller(p)] => assert_eq!(energy(Law::Mu, p), 0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_muted_agent_sends_the_caller_silence() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, Vec::new(), false);
        b.set_agent(Some(&[Law::Mu]));
        b.set_mute(true);
        b.from_agent(t0, Law::Mu, &encode(Law::Mu, &tone(3000)));
        b.handle_timeout(t0 + TICK);
        match &drain(&mut b)[..] {
            [BridgeOutput::ToCaller(p)] => assert_eq!(energy(Law::Mu, p), 0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_late_agent_frame_is_not_pushed_back_by_comfort_silence() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, Vec::new(), false);
        b.set_agent(Some(&[Law::Mu]));
        let frame = encode(Law::Mu, &tone(3000));
        b.from_agent(t0, Law::Mu, &frame);
        b.handle_timeout(t0 + TICK);
        drain(&mut b);
        // A tick with nothing from the agent, then two frames at once: the caller gets the two
        // frames and no silence between.
        b.handle_timeout(t0 + TICK * 2);
        b.from_agent(t0 + TICK * 2, Law::Mu, &frame);
        b.from_agent(t0 + TICK * 2, Law::Mu, &frame);
        b.handle_timeout(t0 + TICK * 3);
        let out = drain(&mut b);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(
            out.iter()
                .all(|o| matches!(o, BridgeOutput::ToCaller(p) if energy(Law::Mu, p) > 0))
        );
        // The agent really went quiet: comfort silence from the third empty tick on.
        b.handle_timeout(t0 + TICK * 5);
        assert!(drain(&mut b).is_empty());
        b.handle_timeout(t0 + TICK * 6);
        match &drain(&mut b)[..] {
            [BridgeOutput::ToCaller(p)] => assert_eq!(energy(Law::Mu, p), 0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_whisper_reaches_the_agent_only_and_the_supervisor_hears_both() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, Vec::new(), false);
        b.set_agent(Some(&[Law::Mu]));
        b.set_supervisor(Some((MonitorMode::Whisper, Law::Mu)));
        b.from_caller(t0, &encode(Law::Mu, &tone(1000)));
        b.from_agent(t0, Law::Mu, &encode(Law::Mu, &tone(500)));
        b.from_supervisor(Law::Mu, &encode(Law::Mu, &tone(2000)));
        b.handle_timeout(t0 + TICK);
        let out = drain(&mut b);
        let to_caller: Vec<_> = out
            .iter()
            .filter_map(|o| match o {
                BridgeOutput::ToCaller(p) => Some(energy(Law::Mu, p)),
                _ => None,
            })
            .collect();
        assert_eq!(to_caller.len(), 1);
        assert!(
            (450..550).contains(&to_caller[0]),
            "the caller hears the agent only"
        );
        let to_agent = out.iter().find_map(|o| match o {
            BridgeOutput::ToAgent { payload, .. } => Some(energy(Law::Mu, payload)),
            _ => None,
        });
        assert!(
            to_agent.is_some_and(|e| (2800..3200).contains(&e)),
            "caller + whisper"
        );
        let to_supervisor = out.iter().find_map(|o| match o {
            BridgeOutput::ToSupervisor { payload, .. } => Some(energy(Law::Mu, payload)),
            _ => None,
        });
        assert!(
            to_supervisor.is_some_and(|e| (1400..1600).contains(&e)),
            "caller + agent"
        );
    }

    #[test]
    fn a_consultation_holds_the_caller_and_lets_the_two_agents_talk() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, tone(2000), false);
        b.set_agent(Some(&[Law::Mu]));
        b.set_supervisor(Some((MonitorMode::Consult, Law::Mu)));
        b.from_caller(t0, &encode(Law::Mu, &tone(1000)));
        b.from_agent(t0, Law::Mu, &encode(Law::Mu, &tone(500)));
        b.from_supervisor(Law::Mu, &encode(Law::Mu, &tone(300)));
        let direct = drain(&mut b);
        assert_eq!(direct, [], "nothing passes through during a consultation");
        b.handle_timeout(t0 + TICK);
        let out = drain(&mut b);
        let level = |want: fn(&BridgeOutput) -> Option<&Vec<u8>>| {
            out.iter().find_map(want).map(|p| energy(Law::Mu, p))
        };
        let caller = level(|o| match o {
            BridgeOutput::ToCaller(p) => Some(p),
            _ => None,
        });
        let agent = level(|o| match o {
            BridgeOutput::ToAgent { payload, .. } => Some(payload),
            _ => None,
        });
        let third = level(|o| match o {
            BridgeOutput::ToSupervisor { payload, .. } => Some(payload),
            _ => None,
        });
        assert!(
            caller.is_some_and(|e| (1800..2200).contains(&e)),
            "the caller hears music: {caller:?}"
        );
        assert!(
            agent.is_some_and(|e| (250..350).contains(&e)),
            "the agent hears the third: {agent:?}"
        );
        assert!(
            third.is_some_and(|e| (450..550).contains(&e)),
            "the third hears the agent only: {third:?}"
        );
    }

    #[test]
    fn a_barge_is_heard_by_both() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, Vec::new(), false);
        b.set_agent(Some(&[Law::Mu]));
        b.set_supervisor(Some((MonitorMode::Barge, Law::Mu)));
        b.from_agent(t0, Law::Mu, &encode(Law::Mu, &tone(500)));
        b.from_supervisor(Law::Mu, &encode(Law::Mu, &tone(2000)));
        b.handle_timeout(t0 + TICK);
        let to_caller = drain(&mut b).into_iter().find_map(|o| match o {
            BridgeOutput::ToCaller(p) => Some(energy(Law::Mu, &p)),
            _ => None,
        });
        assert!(to_caller.is_some_and(|e| (2300..2700).contains(&e)));
    }

    #[test]
    fn the_recording_is_stereo_and_silent_while_paused() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, Vec::new(), true);
        b.set_agent(Some(&[Law::Mu]));
        let mut t = t0;
        let mut frames = Vec::new();
        for i in 0..10 {
            if i == 4 {
                b.set_recording_paused(true);
            }
            if i == 7 {
                b.set_recording_paused(false);
            }
            b.from_caller(t, &encode(Law::Mu, &tone(1000)));
            b.from_agent(t, Law::Mu, &encode(Law::Mu, &tone(300)));
            t += TICK;
            b.handle_timeout(t);
            frames.extend(drain(&mut b).into_iter().filter_map(|o| match o {
                BridgeOutput::Record(s) => Some(s),
                _ => None,
            }));
        }
        assert_eq!(frames.len(), 10);
        let left = |f: &Vec<i16>| {
            f.iter()
                .step_by(2)
                .map(|s| i64::from(*s).abs())
                .sum::<i64>()
        };
        let right = |f: &Vec<i16>| {
            f.iter()
                .skip(1)
                .step_by(2)
                .map(|s| i64::from(*s).abs())
                .sum::<i64>()
        };
        assert!(
            left(&frames[0]) > right(&frames[0]) * 2,
            "caller on the left"
        );
        assert!(right(&frames[0]) > 0, "agent on the right");
        assert!(frames[4..7].iter().all(|f| left(f) == 0 && right(f) == 0));
        assert!(left(&frames[8]) > 0);
        assert_eq!(
            b.pauses(),
            [Pause {
                from_ms: 80,
                to_ms: Some(140)
            }]
        );
    }

    #[test]
    fn a_side_that_runs_ahead_is_capped_not_buffered_forever() {
        let t0 = Instant::now();
        let mut b = Bridge::new(Law::Mu, Vec::new(), true);
        for _ in 0..100 {
            b.from_caller(t0, &encode(Law::Mu, &tone(1000)));
        }
        assert!(b.caller.frames.len() <= MAX_BACKLOG);
    }
}
