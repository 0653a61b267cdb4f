//! The life of one call as the call logic sees it, sans-IO: events and the time in, actions
//! out. The SIP edge feeds it what the stack reports (answered, cancelled, BYE, rejection) and
//! carries out what it decides (ring, answer, hang up, cancel, write the record), so the
//! timers (ring phase, ring timeout, maximum duration) and the way a call's ending is recorded
//! are decided here, deterministically, and tested with a simulated clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::session_timer::SessionTimer;

/// Who started the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A carrier called us; we are the callee.
    Inbound,
    /// We called out through a trunk; the far end is the callee.
    Outbound,
}

/// Timers of a call.
#[derive(Debug, Clone, Copy)]
pub struct CallConfig {
    /// Inbound: how long to ring (180) before answering; zero answers at once. When
    /// `answer_when_told` is set, this is instead how long we may ring (waiting for an agent to
    /// accept) before giving up with 480.
    pub ring: Duration,
    /// Inbound: answer only on [`Event::Accept`] (a person answers), not when `ring` elapses.
    pub answer_when_told: bool,
    /// Outbound: how long the far end may ring before we cancel.
    pub ring_timeout: Duration,
    /// Connected calls are hung up after this.
    pub max_duration: Duration,
}

/// What happened, as the SIP stack reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The call was admitted (inbound) or the INVITE sent (outbound).
    Start,
    /// Outbound: the far end answered with 200 OK.
    Answered,
    /// Inbound: the caller sent CANCEL before we answered.
    Cancelled,
    /// The far end sent BYE.
    RemoteBye,
    /// Outbound: a final non-2xx response with this code.
    Rejected(u16),
    /// The dialog failed (e.g. no ACK, transport error), with the SIP code that best says so.
    Failed(u16),
    /// The node is shutting down.
    Shutdown,
    /// Inbound, answered by a person: they accepted the call.
    Accept,
    /// Inbound, answered by a person: they refused it, or cannot take it; the SIP code to
    /// answer the caller with (486 busy, 480 unavailable, 603 decline).
    Refuse(u16),
    /// Our side (the agent) hung up a connected call.
    LocalHangup,
    /// The far end sent no media (RTP or RTCP) for the media timeout while not on hold: it
    /// is gone, though its BYE never came.
    MediaTimeout,
    /// The session was refreshed (RFC 4028): the far end's re-INVITE or UPDATE arrived, or
    /// ours was answered 2xx.
    SessionRefreshed,
    /// Our refresh got no 2xx: the far end no longer knows the dialog (RFC 4028 10).
    RefreshFailed,
}

/// Why a call ended, as written on its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The call was connected and one side hung up.
    Answered,
    /// The caller gave up before the call was answered (CANCEL, 487 Request Terminated).
    Cancelled,
    /// The callee was busy (486 or 600).
    Busy,
    /// Nobody answered in time: the ring timeout passed, or the far end answered 408 or 480.
    NoAnswer,
    /// The callee refused the call with a final non-2xx response that is not busy, no answer
    /// or cancelled (e.g. 603 Decline).
    Rejected,
    /// The dialog failed ([`Event::Failed`]).
    Failed,
    /// The connected call reached [`CallConfig::max_duration`] and was hung up.
    MaxDuration,
    /// The node shut down during the call.
    Shutdown,
    /// The far end went silent and never hung up ([`Event::MediaTimeout`]).
    MediaTimeout,
    /// The session was not refreshed in time (RFC 4028 10).
    SessionExpired,
}

impl Cause {
    /// The cause's name as written on the call record (snake_case, e.g. `no_answer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Answered => "answered",
            Cause::Cancelled => "cancelled",
            Cause::Busy => "busy",
            Cause::NoAnswer => "no_answer",
            Cause::Rejected => "rejected",
            Cause::Failed => "failed",
            Cause::MaxDuration => "max_duration",
            Cause::Shutdown => "shutdown",
            Cause::MediaTimeout => "media_timeout",
            Cause::SessionExpired => "session_expired",
        }
    }
}

/// Which side ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The party that placed the call.
    Caller,
    /// The party that was called.
    Callee,
    /// Neither party: a timer, a failure or the node itself.
    System,
}

impl Side {
    /// The side's name as written on the call record.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Caller => "caller",
            Side::Callee => "callee",
            Side::System => "system",
        }
    }
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    /// Why the call ended.
    pub cause: Cause,
    /// Which side ended it.
    pub side: Side,
    /// The final SIP status of the INVITE.
    pub sip_code: u16,
}

/// What the edge must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send 180 Ringing.
    Ring,
    /// Start the media (the service) for the connected call.
    StartMedia,
    /// Inbound: send 200 OK with our answer.
    Answer,
    /// Send BYE.
    Hangup,
    /// Outbound: CANCEL the INVITE.
    CancelInvite,
    /// Inbound: answer the INVITE with this final non-2xx code.
    Reject(u16),
    /// Refresh the session (RFC 4028 10): a re-INVITE or UPDATE to the far end.
    RefreshSession,
    /// The call is over: stop the media and complete the record.
    End(Ending),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Ringing { until: Instant },
    Dialling { until: Instant },
    Connected { until: Instant },
    Ended,
}

/// One call's state machine.
#[derive(Debug)]
pub struct Call {
    role: Role,
    config: CallConfig,
    phase: Phase,
    actions: VecDeque<Action>,
    /// The RFC 4028 session timer, once negotiated.
    session: Option<SessionTimer>,
    /// While connected with a session timer: when we refresh (ours) or give up (theirs).
    session_due: Option<Instant>,
}

/// The cause of an outbound call's final non-2xx response.
fn rejection(code: u16) -> Ending {
    let (cause, side) = match code {
        486 | 600 => (Cause::Busy, Side::Callee),
        408 | 480 => (Cause::NoAnswer, Side::Callee),
        487 => (Cause::Cancelled, Side::System),
        _ => (Cause::Rejected, Side::Callee),
    };
    Ending {
        cause,
        side,
        sip_code: code,
    }
}

impl Call {
    /// A call in `role` with the timers in `config`, not yet started ([`Event::Start`]).
    pub fn new(role: Role, config: CallConfig) -> Call {
        Call {
            role,
            config,
            phase: Phase::Idle,
            actions: VecDeque::new(),
            session: None,
            session_due: None,
        }
    }

    /// Run the session on `timer` (RFC 4028) from when it connects, or from `now` if it
    /// already has.
    pub fn set_session_timer(&mut self, now: Instant, timer: SessionTimer) {
        self.session = Some(timer);
        if matches!(self.phase, Phase::Connected { .. }) {
            self.arm_session(now);
        }
    }

    fn arm_session(&mut self, now: Instant) {
        self.session_due = self.session.map(|t| {
            now + if t.we_refresh {
                t.refresh_after()
            } else {
                t.expire_after()
            }
        });
    }

    fn end(&mut self, cause: Cause, side: Side, sip_code: u16) {
        self.phase = Phase::Ended;
        self.actions.push_back(Action::End(Ending {
            cause,
            side,
            sip_code,
        }));
    }

    fn connect(&mut self, now: Instant) {
        self.phase = Phase::Connected {
            until: now + self.config.max_duration,
        };
        self.arm_session(now);
        self.actions.push_back(Action::StartMedia);
        if self.role == Role::Inbound {
            self.actions.push_back(Action::Answer);
        }
    }

    /// Feed an event that happened at `now`.
    pub fn handle(&mut self, now: Instant, event: Event) {
        match (self.phase, event) {
            (Phase::Ended, _) => {}
            (Phase::Idle, Event::Start) => match self.role {
                Role::Inbound if self.config.ring.is_zero() => self.connect(now),
                Role::Inbound => {
                    self.phase = Phase::Ringing {
                        until: now + self.config.ring,
                    };
                    self.actions.push_back(Action::Ring);
                }
                Role::Outbound => {
                    self.phase = Phase::Dialling {
                        until: now + self.config.ring_timeout,
                    }
                }
            },
            (Phase::Ringing { .. }, Event::Cancelled) => {
                self.end(Cause::Cancelled, Side::Caller, 487);
            }
            (Phase::Ringing { .. }, Event::Accept) if self.config.answer_when_told => {
                self.connect(now);
            }
            (Phase::Ringing { .. }, Event::Refuse(code)) => {
                self.actions.push_back(Action::Reject(code));
                let e = rejection(code);
                self.end(e.cause, e.side, code);
            }
            (Phase::Connected { .. }, Event::LocalHangup) => {
                self.actions.push_back(Action::Hangup);
                let side = match self.role {
                    Role::Inbound => Side::Callee,
                    Role::Outbound => Side::Caller,
                };
                self.end(Cause::Answered, side, 200);
            }
            (Phase::Dialling { .. }, Event::Answered) => self.connect(now),
            // Our side gave up before the far end answered (the agent hung up while dialling).
            (Phase::Dialling { .. }, Event::LocalHangup) => {
                self.actions.push_back(Action::CancelInvite);
                self.end(Cause::Cancelled, Side::Caller, 487);
            }
            (Phase::Dialling { .. }, Event::Rejected(code)) => {
                let e = rejection(code);
                self.end(e.cause, e.side, e.sip_code);
            }
            (Phase::Connected { .. }, Event::RemoteBye) => {
                let side = match self.role {
                    Role::Inbound => Side::Caller,
                    Role::Outbound => Side::Callee,
                };
                self.end(Cause::Answered, side, 200);
            }
            (Phase::Connected { .. }, Event::SessionRefreshed) => self.arm_session(now),
            (Phase::Connected { .. }, Event::RefreshFailed) => {
                self.actions.push_back(Action::Hangup);
                self.end(Cause::SessionExpired, Side::System, 200);
            }
            (Phase::Connected { .. }, Event::MediaTimeout) => {
                self.actions.push_back(Action::Hangup);
                self.end(Cause::MediaTimeout, Side::System, 200);
            }
            (Phase::Connected { .. }, Event::Shutdown) => {
                self.actions.push_back(Action::Hangup);
                self.end(Cause::Shutdown, Side::System, 200);
            }
            (Phase::Ringing { .. }, Event::Shutdown) => {
                self.actions.push_back(Action::Reject(480));
                self.end(Cause::Shutdown, Side::System, 480);
            }
            (Phase::Dialling { .. }, Event::Shutdown) => {
                self.actions.push_back(Action::CancelInvite);
                self.end(Cause::Shutdown, Side::System, 487);
            }
            (_, Event::Failed(code)) => self.end(Cause::Failed, Side::System, code),
            // Anything else does not change the call (a late or duplicate report).
            _ => {}
        }
    }

    /// Let time pass to `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Connected { .. })
            && let (Some(due), Some(timer)) = (self.session_due, self.session)
            && now >= due
        {
            if timer.we_refresh {
                // The next refresh is due half an interval on, unless the answer comes
                // first and re-arms it.
                self.actions.push_back(Action::RefreshSession);
                self.session_due = Some(now + timer.refresh_after());
            } else {
                // RFC 4028 10: nobody refreshed the session; it is over.
                self.actions.push_back(Action::Hangup);
                self.end(Cause::SessionExpired, Side::System, 200);
                return;
            }
        }
        match self.phase {
            Phase::Ringing { until } if now >= until && self.config.answer_when_told => {
                // RFC 3261 21.4.18: nobody took the call in time.
                self.actions.push_back(Action::Reject(480));
                self.end(Cause::NoAnswer, Side::Callee, 480);
            }
            Phase::Ringing { until } if now >= until => self.connect(now),
            Phase::Dialling { until } if now >= until => {
                self.actions.push_back(Action::CancelInvite);
                self.end(Cause::NoAnswer, Side::Callee, 487);
            }
            Phase::Connected { until } if now >= until => {
                self.actions.push_back(Action::Hangup);
                self.end(Cause::MaxDuration, Side::System, 200);
            }
            _ => {}
        }
    }

    /// The next action to carry out.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`Call::handle_timeout`] must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Ringing { until } | Phase::Dialling { until } => Some(until),
            Phase::Connected { until } => {
                Some(self.session_due.map_or(until, |due| due.min(until)))
            }
            Phase::Idle | Phase::Ended => None,
        }
    }

    /// Whether the call is over; it then ignores every further event.
    pub fn is_ended(&self) -> bool {
        self.phase == Phase::Ended
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // A test picks an arbitrary origin for its clock.
mod tests {
    use super::*;

    fn config() -> CallConfig {
        CallConfig {
            ring: Duration::from_secs(2),
            answer_when_told: false,
            ring_timeout: Duration::from_secs(60),
            max_duration: Duration::from_secs(4 * 3600),
        }
    }

    fn agent_config() -> CallConfig {
        CallConfig {
            ring: Duration::from_secs(30),
            answer_when_told: true,
            ..config()
        }
    }

    #[test]
    fn a_call_for_a_person_rings_until_they_accept_then_ends_when_they_hang_up() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Inbound, agent_config());
        call.handle(t0, Event::Start);
        assert_eq!(drain(&mut call), [Action::Ring]);
        // The ring phase passing the old answer delay does not answer.
        assert_eq!(run(&mut call, t0, t0 + Duration::from_secs(10)), []);
        call.handle(t0 + Duration::from_secs(11), Event::Accept);
        assert_eq!(drain(&mut call), [Action::StartMedia, Action::Answer]);
        call.handle(t0 + Duration::from_secs(40), Event::LocalHangup);
        assert_eq!(
            drain(&mut call),
            [
                Action::Hangup,
                Action::End(Ending {
                    cause: Cause::Answered,
                    side: Side::Callee,
                    sip_code: 200
                })
            ]
        );
    }

    #[test]
    fn a_call_nobody_accepts_is_refused_with_480_when_the_ring_time_is_up() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Inbound, agent_config());
        call.handle(t0, Event::Start);
        drain(&mut call);
        let actions = run(&mut call, t0, t0 + Duration::from_secs(31));
        assert_eq!(
            actions,
            [
                Action::Reject(480),
                Action::End(Ending {
                    cause: Cause::NoAnswer,
                    side: Side::Callee,
                    sip_code: 480
                })
            ]
        );
        // An accept that comes too late changes nothing.
        call.handle(t0 + Duration::from_secs(32), Event::Accept);
        assert_eq!(drain(&mut call), []);
    }

    #[test]
    fn a_refused_call_is_answered_busy_and_recorded_as_busy() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Inbound, agent_config());
        call.handle(t0, Event::Start);
        drain(&mut call);
        call.handle(t0, Event::Refuse(486));
        assert_eq!(
            drain(&mut call),
            [
                Action::Reject(486),
                Action::End(Ending {
                    cause: Cause::Busy,
                    side: Side::Callee,
                    sip_code: 486
                })
            ]
        );
    }

    #[test]
    fn a_session_we_refresh_is_refreshed_every_half_interval_and_one_they_let_lapse_ends() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Inbound, config());
        call.set_session_timer(
            t0,
            SessionTimer {
                interval: Duration::from_secs(90),
                we_refresh: true,
            },
        );
        call.handle(t0, Event::Start);
        drain(&mut call);
        let connected = t0 + Duration::from_secs(2);
        let actions = run(&mut call, t0, connected + Duration::from_secs(46));
        assert_eq!(
            actions,
            [Action::StartMedia, Action::Answer, Action::RefreshSession]
        );
        call.handle(connected + Duration::from_secs(46), Event::SessionRefreshed);
        assert_eq!(
            call.poll_timeout(),
            Some(connected + Duration::from_secs(91))
        );
        call.handle(connected + Duration::from_secs(50), Event::RefreshFailed);
        assert_eq!(
            drain(&mut call),
            [
                Action::Hangup,
                Action::End(Ending {
                    cause: Cause::SessionExpired,
                    side: Side::System,
                    sip_code: 200
                })
            ]
        );
    }

    #[test]
    fn a_session_the_far_end_must_refresh_ends_when_it_does_not() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Outbound, config());
        call.handle(t0, Event::Start);
        call.handle(t0, Event::Answered);
        drain(&mut call);
        let timer = SessionTimer {
            interval: Duration::from_secs(90),
            we_refresh: false,
        };
        call.set_session_timer(t0, timer);
        // Refreshed at 50 s: it lasts to 50 + 60.
        call.handle(t0 + Duration::from_secs(50), Event::SessionRefreshed);
        assert_eq!(run(&mut call, t0, t0 + Duration::from_secs(109)), []);
        let actions = run(
            &mut call,
            t0 + Duration::from_secs(109),
            t0 + Duration::from_secs(111),
        );
        assert_eq!(
            actions,
            [
                Action::Hangup,
                Action::End(Ending {
                    cause: Cause::SessionExpired,
                    side: Side::System,
                    sip_code: 200
                })
            ]
        );
        assert_eq!(call.poll_timeout(), None, "no timer is left behind");
    }

    #[test]
    fn a_silent_far_end_is_hung_up_with_its_own_cause() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Inbound, config());
        call.handle(t0, Event::Start);
        call.handle(t0, Event::MediaTimeout);
        assert!(!call.is_ended(), "only a connected call times out");
        run(&mut call, t0, t0 + Duration::from_secs(3));
        call.handle(t0 + Duration::from_secs(40), Event::MediaTimeout);
        assert_eq!(
            drain(&mut call),
            [
                Action::Hangup,
                Action::End(Ending {
                    cause: Cause::MediaTimeout,
                    side: Side::System,
                    sip_code: 200
                })
            ]
        );
    }

    #[test]
    fn accept_means_nothing_to_a_call_that_answers_by_itself() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Inbound, config());
        call.handle(t0, Event::Start);
        drain(&mut call);
        call.handle(t0, Event::Accept);
        assert_eq!(drain(&mut call), []);
    }

    fn drain(call: &mut Call) -> Vec<Action> {
        std::iter::from_fn(|| call.poll_action()).collect()
    }

    /// Run the clock forward in 100 ms steps until `until`, collecting actions.
    fn run(call: &mut Call, from: Instant, until: Instant) -> Vec<Action> {
        let mut t = from;
        let mut out = Vec::new();
        while t <= until {
            if call.poll_timeout().is_some_and(|d| d <= t) {
                call.handle_timeout(t);
            }
            out.extend(drain(call));
            t += Duration::from_millis(100);
        }
        out
    }

    #[test]
    fn an_inbound_call_rings_then_answers_then_ends_on_the_callers_bye() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Inbound, config());
        call.handle(t0, Event::Start);
        assert_eq!(drain(&mut call), [Action::Ring]);
        assert_eq!(run(&mut call, t0, t0 + Duration::from_millis(1900)), []);
        assert_eq!(
            run(
                &mut call,
                t0 + Duration::from_secs(2),
                t0 + Duration::from_secs(3)
            ),
            [Action::StartMedia, Action::Answer]
        );
        call.handle(t0 + Duration::from_secs(60), Event::RemoteBye);
        assert_eq!(
            drain(&mut call),
            [Action::End(Ending {
                cause: Cause::Answered,
                side: Side::Caller,
                sip_code: 200
            })]
        );
        assert!(call.is_ended());
        // Late reports change nothing.
        call.handle(t0 + Duration::from_secs(61), Event::Failed(500));
        assert_eq!(drain(&mut call), []);
    }

    #[test]
    fn a_cancel_while_ringing_ends_the_call_unanswered() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Inbound, config());
        call.handle(t0, Event::Start);
        drain(&mut call);
        call.handle(t0 + Duration::from_secs(1), Event::Cancelled);
        assert_eq!(
            drain(&mut call),
            [Action::End(Ending {
                cause: Cause::Cancelled,
                side: Side::Caller,
                sip_code: 487
            })]
        );
        assert_eq!(call.poll_timeout(), None);
    }

    #[test]
    fn a_call_is_hung_up_at_the_maximum_duration_after_a_simulated_shift() {
        let t0 = Instant::now();
        let mut call = Call::new(
            Role::Inbound,
            CallConfig {
                ring: Duration::ZERO,
                ..config()
            },
        );
        call.handle(t0, Event::Start);
        assert_eq!(drain(&mut call), [Action::StartMedia, Action::Answer]);
        let actions = run(&mut call, t0, t0 + Duration::from_secs(5 * 3600));
        assert_eq!(
            actions,
            [
                Action::Hangup,
                Action::End(Ending {
                    cause: Cause::MaxDuration,
                    side: Side::System,
                    sip_code: 200
                })
            ]
        );
    }

    #[test]
    fn an_outbound_call_maps_rejections_and_times_out_unanswered() {
        let t0 = Instant::now();
        for (code, cause) in [
            (486, Cause::Busy),
            (480, Cause::NoAnswer),
            (404, Cause::Rejected),
            (503, Cause::Rejected),
        ] {
            let mut call = Call::new(Role::Outbound, config());
            call.handle(t0, Event::Start);
            call.handle(t0, Event::Rejected(code));
            assert_eq!(
                drain(&mut call),
                [Action::End(Ending {
                    cause,
                    side: Side::Callee,
                    sip_code: code
                })]
            );
        }
        let mut call = Call::new(Role::Outbound, config());
        call.handle(t0, Event::Start);
        let actions = run(&mut call, t0, t0 + Duration::from_secs(61));
        assert_eq!(
            actions,
            [
                Action::CancelInvite,
                Action::End(Ending {
                    cause: Cause::NoAnswer,
                    side: Side::Callee,
                    sip_code: 487
                })
            ]
        );
        let mut call = Call::new(Role::Outbound, config());
        call.handle(t0, Event::Start);
        call.handle(t0 + Duration::from_secs(5), Event::Answered);
        assert_eq!(drain(&mut call), [Action::StartMedia]);
        call.handle(t0 + Duration::from_secs(9), Event::RemoteBye);
        assert_eq!(
            drain(&mut call),
            [Action::End(Ending {
                cause: Cause::Answered,
                side: Side::Callee,
                sip_code: 200
            })]
        );
    }

    #[test]
    fn an_agent_who_hangs_up_while_dialling_cancels_the_invite() {
        let t0 = Instant::now();
        let mut call = Call::new(Role::Outbound, config());
        call.handle(t0, Event::Start);
        call.handle(t0 + Duration::from_secs(3), Event::LocalHangup);
        assert_eq!(
            drain(&mut call),
            [
                Action::CancelInvite,
                Action::End(Ending {
                    cause: Cause::Cancelled,
                    side: Side::Caller,
                    sip_code: 487
                })
            ]
        );
        // A late answer changes nothing.
        call.handle(t0 + Duration::from_secs(4), Event::Answered);
        assert_eq!(drain(&mut call), []);
    }

    #[test]
    fn shutdown_hangs_up_connected_calls() {
        let t0 = Instant::now();
        let mut call = Call::new(
            Role::Inbound,
            CallConfig {
                ring: Duration::ZERO,
                ..config()
            },
        );
        call.handle(t0, Event::Start);
        drain(&mut call);
        call.handle(t0, Event::Shutdown);
        assert_eq!(
            drain(&mut call),
            [
                Action::Hangup,
                Action::End(Ending {
                    cause: Cause::Shutdown,
                    side: Side::System,
                    sip_code: 200
                })
            ]
        );
    }
}
