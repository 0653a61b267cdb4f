//! The board with a simulated clock: ring-all, refusals and ring-outs, consultations, blind
//! and attended transfers, conference, transfer to a number, hold and monitoring, the caller
//! hanging up at every step, desks that go away, and invariants under random event orders.

#![allow(clippy::disallowed_methods)] // Tests pick an arbitrary origin for their clock.

use super::*;

const TENANT: TenantId = TenantId(Uuid::from_u128(1));

fn user(n: u128) -> Uuid {
    Uuid::from_u128(0x100 + n)
}

fn call(n: u128) -> Uuid {
    Uuid::from_u128(0x200 + n)
}

/// A board with desks 1..=n signed in, each with a connected leg `LegId(n)`.
fn board_with(n: u128) -> Board {
    let mut b = Board::default();
    for i in 1..=n {
        sign_in(&mut b, i);
    }
    drain(&mut b);
    b
}

fn sign_in(b: &mut Board, i: u128) {
    b.connect(user(i), TENANT);
    b.new_leg(user(i), LegId(i as u64));
    b.leg_connected(user(i), LegId(i as u64), vec![Law::Mu]);
}

fn drain(b: &mut Board) -> Vec<Effect> {
    std::iter::from_fn(|| b.poll_effect()).collect()
}

fn offer(c: u128, agent: u128, reported: bool) -> Offer {
    Offer {
        call: call(c),
        tenant: TENANT,
        agent: user(agent),
        from: "+15550101001".into(),
        to: "+15550100103".into(),
        details: OfferDetails::default(),
        reported,
        by_router: reported,
    }
}

/// The call states each user was told, in order.
fn states(effects: &[Effect], who: u128) -> Vec<CallState> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Tell {
                user: u,
                message: ServerMessage::Call { state, .. },
            } if *u == user(who) => Some(*state),
            _ => None,
        })
        .collect()
}

fn offered_to(effects: &[Effect], who: u128) -> bool {
    effects.iter().any(|e| {
        matches!(e, Effect::Tell { user: u, message: ServerMessage::Incoming { .. } } if *u == user(who))
    })
}

fn reports(effects: &[Effect]) -> Vec<Report> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Report { report, .. } => Some(*report),
            _ => None,
        })
        .collect()
}

fn events(effects: &[Effect], c: u128) -> Vec<CallEvent> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Call { call: id, event } if *id == call(c) => Some(*event),
            _ => None,
        })
        .collect()
}

fn router(effects: &[Effect]) -> Vec<DeskChange> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Router { change, .. } => Some(*change),
            _ => None,
        })
        .collect()
}

fn error_code(result: Result<(), DeskError>) -> Option<ErrorCode> {
    result.err().map(|e| e.code)
}

/// A queued call (answered, waiting with music) that agent 1 accepts: connected to them.
fn queued_call_connected_to_agent_1(b: &mut Board) {
    b.bridged(call(1));
    b.ring(offer(1, 1, true)).expect("rings");
    b.accept(user(1), call(1)).expect("accepts");
    drain(b);
}

#[test]
fn ring_all_rings_every_free_desk_and_the_first_to_answer_takes_the_call() {
    let mut b = board_with(3);
    b.bridged(call(1));
    for agent in 1..=3 {
        b.ring(offer(1, agent, true)).expect("rings");
    }
    let rung = drain(&mut b);
    assert!((1..=3).all(|a| offered_to(&rung, a)));
    // Agent 3 answers first: they have the call; the others ring on until the router takes
    // its offers back.
    b.accept(user(3), call(1)).expect("accepts");
    let answered = drain(&mut b);
    assert_eq!(states(&answered, 3), [CallState::Connected]);
    assert_eq!(
        reports(&answered),
        [Report::Answered {
            call: call(1),
            agent: user(3)
        }]
    );
    for agent in [1, 2] {
        b.withdraw(call(1), user(agent));
    }
    let withdrawn = drain(&mut b);
    assert_eq!(states(&withdrawn, 1), [CallState::Ended]);
    assert_eq!(states(&withdrawn, 2), [CallState::Ended]);
    assert!(states(&withdrawn, 3).is_empty(), "the answer stays");
    assert_eq!(
        error_code(b.accept(user(1), call(1))),
        Some(ErrorCode::NoSuchCall)
    );
    b.check().expect("invariants");
}

#[test]
fn a_refused_offer_goes_back_to_the_router_and_a_busy_or_gone_desk_is_not_rung() {
    let mut b = board_with(2);
    b.bridged(call(1));
    b.ring(offer(1, 1, true)).expect("rings");
    drain(&mut b);
    b.hang_up(user(1), call(1)).expect("refuses");
    let refused = drain(&mut b);
    assert_eq!(
        reports(&refused),
        [Report::Refused {
            call: call(1),
            agent: user(1)
        }]
    );
    assert!(events(&refused, 1).is_empty(), "the caller keeps waiting");
    assert_eq!(states(&refused, 1), [CallState::Ended]);
    // Agent 1 takes another call; a second offer finds them busy.
    queued_call_connected_to_agent_1(&mut b);
    assert_eq!(b.ring(offer(2, 1, true)), Err(RingRefused::Busy));
    // Agent 2's phone goes: nobody can ring them, and the router hears so.
    b.leg_closed(user(2), LegId(2));
    let closed = drain(&mut b);
    assert_eq!(
        router(&closed),
        [DeskChange::Phone {
            agent: user(2),
            can_ring: false
        }]
    );
    assert_eq!(b.ring(offer(2, 2, true)), Err(RingRefused::Unavailable));
    b.check().expect("invariants");
}

#[test]
fn a_direct_call_refused_at_the_desk_is_declined_to_the_caller() {
    let mut b = board_with(1);
    b.ring(offer(1, 1, false)).expect("rings");
    let rung = drain(&mut b);
    assert_eq!(
        router(&rung),
        [DeskChange::Engaged {
            agent: user(1),
            on: true
        }]
    );
    b.hang_up(user(1), call(1)).expect("refuses");
    assert_eq!(events(&drain(&mut b), 1), [CallEvent::Refuse(603)]);
    // The caller's side ends the call: the desk is free.
    b.ended(call(1));
    let ended = drain(&mut b);
    assert_eq!(states(&ended, 1), [CallState::Ended]);
    assert_eq!(
        router(&ended),
        [DeskChange::Engaged {
            agent: user(1),
            on: false
        }]
    );
    assert_eq!(b.calls(), 0);
    b.check().expect("invariants");
}

#[test]
fn a_consultation_nobody_answers_rings_out_and_the_call_is_the_agents_again() {
    let t0 = Instant::now();
    let mut b = board_with(2);
    queued_call_connected_to_agent_1(&mut b);
    b.consult(t0, user(1), call(1), user(2), false)
        .expect("consults");
    assert!(offered_to(&drain(&mut b), 2));
    assert_eq!(b.poll_timeout(), Some(t0 + CONSULT_RING));
    b.handle_timeout(t0 + CONSULT_RING - Duration::from_millis(1));
    assert!(drain(&mut b).is_empty());
    b.handle_timeout(t0 + CONSULT_RING);
    let rang_out = drain(&mut b);
    assert_eq!(states(&rang_out, 2), [CallState::Ended]);
    assert_eq!(states(&rang_out, 1), [CallState::Connected]);
    assert!(rang_out.iter().any(|e| matches!(e,
        Effect::Tell { user: u, message: ServerMessage::Error { code: ErrorCode::TransferFailed, .. } }
        if *u == user(1))));
    assert_eq!(b.poll_timeout(), None, "no timer is left behind");
    b.check().expect("invariants");
}

#[test]
fn an_attended_transfer_consults_confers_then_hands_the_caller_over() {
    let t0 = Instant::now();
    let mut b = board_with(2);
    queued_call_connected_to_agent_1(&mut b);
    assert_eq!(
        error_code(b.transfer_step(user(1), call(1), TransferStep::Transfer)),
        Some(ErrorCode::NoConsultation)
    );
    b.consult(t0, user(1), call(1), user(2), false)
        .expect("consults");
    drain(&mut b);
    assert_eq!(
        error_code(b.transfer_step(user(1), call(1), TransferStep::Transfer)),
        Some(ErrorCode::NotJoined)
    );
    b.accept(user(2), call(1)).expect("joins");
    let joined = drain(&mut b);
    assert_eq!(states(&joined, 1), [CallState::Consulting]);
    assert_eq!(states(&joined, 2), [CallState::Consulting]);
    assert!(joined.iter().any(|e| matches!(
        e,
        Effect::Bridge {
            cmd: BridgeCmd::Supervisor(Some((_, MonitorMode::Consult, _))),
            ..
        }
    )));
    b.transfer_step(user(1), call(1), TransferStep::Conference)
        .expect("confers");
    assert_eq!(states(&drain(&mut b), 2), [CallState::Conference]);
    b.transfer_step(user(1), call(1), TransferStep::Transfer)
        .expect("transfers");
    let handed = drain(&mut b);
    assert_eq!(states(&handed, 1), [CallState::Ended]);
    assert_eq!(states(&handed, 2), [CallState::Connected]);
    assert!(router(&handed).contains(&DeskChange::HandedOver {
        call: call(1),
        from: user(1),
        to: Some(user(2))
    }));
    assert!(
        handed
            .iter()
            .any(|e| matches!(e, Effect::AssignAgent { agent, .. } if *agent == user(2)))
    );
    // The consultation's ring timer is spent without effect.
    b.handle_timeout(t0 + CONSULT_RING);
    assert!(drain(&mut b).is_empty());
    // Agent 2 hangs up: the call's machine hears it.
    b.hang_up(user(2), call(1)).expect("hangs up");
    assert_eq!(events(&drain(&mut b), 1), [CallEvent::LocalHangup]);
    b.check().expect("invariants");
}

#[test]
fn a_blind_transfer_to_a_colleague_refused_returns_then_answered_hands_over() {
    let t0 = Instant::now();
    let mut b = board_with(2);
    queued_call_connected_to_agent_1(&mut b);
    b.consult(t0, user(1), call(1), user(2), true)
        .expect("transfers");
    let ringing = drain(&mut b);
    assert_eq!(states(&ringing, 1), [CallState::Transferring]);
    assert!(ringing.iter().any(|e| matches!(
        e,
        Effect::Bridge {
            cmd: BridgeCmd::Music(true),
            ..
        }
    )));
    b.hang_up(user(2), call(1)).expect("refuses");
    let refused = drain(&mut b);
    assert_eq!(states(&refused, 1), [CallState::Connected]);
    assert!(refused.iter().any(|e| matches!(
        e,
        Effect::Bridge {
            cmd: BridgeCmd::Hold(false),
            ..
        }
    )));
    b.consult(t0, user(1), call(1), user(2), true)
        .expect("again");
    drain(&mut b);
    b.accept(user(2), call(1)).expect("answers");
    let taken = drain(&mut b);
    assert_eq!(states(&taken, 1), [CallState::Ended]);
    assert_eq!(states(&taken, 2), [CallState::Connected]);
    b.check().expect("invariants");
}

#[test]
fn a_transfer_to_a_number_patches_the_calls_and_a_hang_up_ends_both() {
    let mut b = board_with(1);
    queued_call_connected_to_agent_1(&mut b);
    b.transfer_out(user(1), call(1), call(9), "+15550109999")
        .expect("dials");
    assert_eq!(states(&drain(&mut b), 1), [CallState::Transferring]);
    // The outside call answers: the two bridges are patched, the agent is free.
    b.bridged(call(9));
    let patched = drain(&mut b);
    assert!(patched.iter().any(|e| matches!(e,
        Effect::Patch { call: c, to: Some(t) } if *c == call(1) && *t == call(9))));
    assert!(patched.iter().any(|e| matches!(e,
        Effect::Patch { call: c, to: Some(t) } if *c == call(9) && *t == call(1))));
    assert_eq!(states(&patched, 1), [CallState::Ended]);
    b.check().expect("invariants");
    // The number hangs up: the caller's call is ended too, and then nothing is left.
    b.ended(call(9));
    assert_eq!(events(&drain(&mut b), 1), [CallEvent::LocalHangup]);
    b.ended(call(1));
    drain(&mut b);
    assert_eq!(b.calls(), 0);
}

#[test]
fn a_transfer_to_a_number_that_fails_or_is_cancelled_gives_the_call_back() {
    let mut b = board_with(1);
    queued_call_connected_to_agent_1(&mut b);
    b.transfer_out(user(1), call(1), call(9), "+15550109999")
        .expect("dials");
    drain(&mut b);
    b.transfer_step(user(1), call(1), TransferStep::Cancel)
        .expect("cancels");
    assert_eq!(events(&drain(&mut b), 9), [CallEvent::LocalHangup]);
    b.ended(call(9));
    let back = drain(&mut b);
    assert_eq!(states(&back, 1), [CallState::Connected]);
    assert!(back.iter().any(|e| matches!(
        e,
        Effect::Tell {
            message: ServerMessage::Error {
                code: ErrorCode::TransferFailed,
                ..
            },
            ..
        }
    )));
    b.check().expect("invariants");
}

#[test]
fn a_supervisor_listens_then_barges_and_only_one_may_monitor() {
    let mut b = board_with(3);
    queued_call_connected_to_agent_1(&mut b);
    b.monitor(user(2), TENANT, call(1), Some(MonitorMode::Listen))
        .expect("listens");
    let listening = drain(&mut b);
    assert!(listening.iter().any(|e| matches!(e,
        Effect::Attach { to: Some((c, Party::Supervisor)), .. } if *c == call(1))));
    assert_eq!(
        error_code(b.monitor(user(3), TENANT, call(1), Some(MonitorMode::Barge))),
        Some(ErrorCode::Busy)
    );
    let other = TenantId(Uuid::from_u128(2));
    assert_eq!(
        error_code(b.monitor(user(2), other, call(1), None)),
        Some(ErrorCode::NoSuchCall),
        "another tenant's call is not disclosed"
    );
    b.monitor(user(2), TENANT, call(1), Some(MonitorMode::Barge))
        .expect("barges");
    b.control(user(1), call(1), BridgeCmd::Hold(true))
        .expect("holds");
    let held = drain(&mut b);
    assert!(held.iter().any(|e| matches!(
        e,
        Effect::Bridge {
            cmd: BridgeCmd::Hold(true),
            ..
        }
    )));
    // The caller hangs up: agent and supervisor are both told, and both are free.
    b.ended(call(1));
    let ended = drain(&mut b);
    assert_eq!(states(&ended, 1), [CallState::Ended]);
    assert_eq!(states(&ended, 2), [CallState::Ended]);
    b.check().expect("invariants");
}

#[test]
fn a_reloaded_desk_gets_its_live_call_back_on_its_new_leg() {
    let mut b = board_with(1);
    queued_call_connected_to_agent_1(&mut b);
    b.disconnect(user(1));
    b.leg_closed(user(1), LegId(1));
    let gone = drain(&mut b);
    assert!(gone.iter().any(|e| matches!(
        e,
        Effect::Bridge {
            cmd: BridgeCmd::AgentLeg(None),
            ..
        }
    )));
    b.connect(user(1), TENANT);
    assert_eq!(states(&drain(&mut b), 1), [CallState::Connected]);
    b.new_leg(user(1), LegId(7));
    b.leg_connected(user(1), LegId(7), vec![Law::A]);
    let back = drain(&mut b);
    assert!(back.iter().any(|e| matches!(
        e,
        Effect::Bridge {
            cmd: BridgeCmd::AgentLeg(Some((LegId(7), _))),
            ..
        }
    )));
    b.check().expect("invariants");
}

#[test]
fn a_blind_transfer_to_a_queue_leaves_the_call_waiting_and_the_agent_free() {
    let mut b = board_with(2);
    // A direct line's call has no queue to go back through.
    b.ring(offer(5, 2, false)).expect("rings");
    b.accept(user(2), call(5)).expect("accepts");
    b.bridged(call(5));
    assert_eq!(
        error_code(b.release(user(2), call(5))),
        Some(ErrorCode::NotQueued)
    );
    queued_call_connected_to_agent_1(&mut b);
    b.bridged(call(1));
    let mut queued = offer(1, 1, true);
    queued.details.queue_id = Some(Uuid::from_u128(77));
    // Agent 1's call came from a queue (re-rung for the test with its queue).
    b.ended(call(1));
    b.bridged(call(1));
    b.ring(queued).expect("rings");
    b.accept(user(1), call(1)).expect("accepts");
    drain(&mut b);
    b.release(user(1), call(1)).expect("releases");
    let released = drain(&mut b);
    assert_eq!(states(&released, 1), [CallState::Ended]);
    assert!(released.iter().any(|e| matches!(
        e,
        Effect::Bridge {
            cmd: BridgeCmd::Music(true),
            ..
        }
    )));
    assert!(
        !released
            .iter()
            .any(|e| matches!(e, Effect::Forget { call: c } if *c == call(1))),
        "the waiting call keeps its bridge"
    );
    b.check().expect("invariants");
}

/// A seeded xorshift: randomized but reproducible event orders.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn random_event_orders_keep_the_board_consistent_and_every_call_ends_cleanly() {
    // What the random runs reached, so the test is known to exercise transfers.
    let (mut answered, mut handed_over, mut patched, mut rang_out) = (0, 0, 0, 0);
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let t0 = Instant::now();
        let mut t = t0;
        let mut b = board_with(4);
        let mut next = 1u128;
        let mut live: Vec<u128> = Vec::new();
        for step in 0..300 {
            t += Duration::from_millis(rng.below(8_000));
            b.handle_timeout(t);
            let a = 1 + u128::from(rng.below(4));
            let o = 1 + u128::from(rng.below(4));
            let c = live
                .get(rng.below(live.len().max(1) as u64) as usize)
                .copied()
                .unwrap_or(0);
            // Requests may be refused; none may break the board.
            let op = rng.below(16);
            if c == 0 && !matches!(op, 0 | 1 | 12 | 13) {
                continue;
            }
            match op {
                0 | 1 => {
                    let queued = rng.below(2) == 0;
                    if queued {
                        b.bridged(call(next));
                    }
                    if b.ring(offer(next, a, queued)).is_ok() || queued {
                        live.push(next);
                    }
                    next += 1;
                }
                2 => {
                    let _ = b.ring(offer(c, a, true));
                }
                3 => {
                    let _ = b.accept(user(a), call(c));
                }
                4 => {
                    // A call connects (a direct line answered, an outside call answering).
                    b.bridged(call(c));
                }
                5 => {
                    let _ = b.hang_up(user(a), call(c));
                }
                6 => b.withdraw(call(c), user(a)),
                7 => {
                    let _ = b.consult(t, user(a), call(c), user(o), rng.below(2) == 0);
                }
                8 => {
                    let step = [
                        TransferStep::Conference,
                        TransferStep::Transfer,
                        TransferStep::Cancel,
                    ][rng.below(3) as usize];
                    let _ = b.transfer_step(user(a), call(c), step);
                }
                9 => {
                    let outside = next;
                    next += 1;
                    if b.transfer_out(user(a), call(c), call(outside), "+1555")
                        .is_ok()
                    {
                        live.push(outside);
                    }
                }
                10 => {
                    let mode = [None, Some(MonitorMode::Listen), Some(MonitorMode::Barge)]
                        [rng.below(3) as usize];
                    let _ = b.monitor(user(a), TENANT, call(c), mode);
                }
                11 => {
                    let _ = b.release(user(a), call(c));
                }
                12 => {
                    b.disconnect(user(a));
                    b.leg_closed(user(a), LegId(a as u64));
                }
                13 => sign_in(&mut b, a),
                _ => {
                    // The caller (or the far end) hangs up.
                    b.ended(call(c));
                    live.retain(|x| *x != c);
                }
            }
            for e in drain(&mut b) {
                match e {
                    Effect::Report {
                        report: Report::Answered { .. },
                        ..
                    } => answered += 1,
                    Effect::Router {
                        change: DeskChange::HandedOver { .. },
                        ..
                    } => handed_over += 1,
                    Effect::Patch { .. } => patched += 1,
                    Effect::Tell {
                        message:
                            ServerMessage::Error {
                                code: ErrorCode::TransferFailed,
                                ..
                            },
                        ..
                    } => rang_out += 1,
                    _ => {}
                }
            }
            if let Err(e) = b.check() {
                panic!("seed {seed}, step {step}: {e}");
            }
        }
        // Every call ends: nothing is left on the board, no desk is busy, no timer leaks
        // past its ring time.
        for c in live.drain(..) {
            b.ended(call(c));
        }
        b.handle_timeout(t + CONSULT_RING);
        let last = drain(&mut b);
        assert_eq!(b.calls(), 0, "seed {seed}: calls left");
        assert_eq!(b.poll_timeout(), None, "seed {seed}: a timer leaked");
        for a in 1..=4 {
            assert!(
                b.ring(offer(10_000 + a, a, false)).is_ok() || !b.can_ring(user(a)),
                "seed {seed}: desk {a} is left busy"
            );
        }
        let _ = last;
    }
    assert!(
        answered > 100 && handed_over > 20 && patched > 10 && rang_out > 10,
        "answered {answered}, handed over {handed_over}, patched {patched}, failed {rang_out}"
    );
}
