//! The router with a simulated clock: strategies, priorities, the cross-queue order, timers,
//! agent states, and invariants under randomized event orders.

#![allow(clippy::disallowed_methods)] // Tests pick an arbitrary origin for their clock.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use switchboard_acd::{
    AgentId, AgentState, CallId, CallOutcome, Decision, NotReadyReason, Overflow, QueueConfig,
    QueueId, Router, RouterError, Strategy,
};

const SUPPORT: QueueId = QueueId(1);
const TIER2: QueueId = QueueId(2);

fn queue(id: QueueId, strategy: Strategy) -> QueueConfig {
    QueueConfig {
        id,
        strategy,
        priority: 0,
        skill: None,
        ring_timeout: Duration::from_secs(15),
        wrap_up: Duration::from_secs(10),
        max_wait: None,
        max_len: None,
        overflow: Overflow::Leave,
        announce_every: None,
        service_level: Duration::from_secs(20),
    }
}

fn drain(r: &mut Router) -> Vec<Decision> {
    std::iter::from_fn(|| r.poll_output()).collect()
}

fn offers(decisions: &[Decision]) -> Vec<(CallId, AgentId)> {
    decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Offer { call, agent } => Some((*call, *agent)),
            _ => None,
        })
        .collect()
}

/// A router with `n` agents logged in to `queues` and available, in order 1..=n (agent 1 has
/// been idle longest).
fn router_with(strategy: Strategy, n: u64, t0: Instant) -> Router {
    let mut r = Router::new();
    r.configure_queue(queue(SUPPORT, strategy));
    for a in 1..=n {
        r.login(AgentId(a), &[SUPPORT], &HashMap::new());
        r.set_state(t0, AgentId(a), AgentState::Available)
            .expect("state");
    }
    drain(&mut r);
    r
}

/// Run the clock to `until`, feeding timeouts; returns the decisions.
fn run(r: &mut Router, until: Instant) -> Vec<Decision> {
    let mut out = Vec::new();
    while let Some(t) = r.poll_timeout().filter(|t| *t <= until) {
        r.handle_timeout(t);
        out.extend(drain(r));
    }
    out
}

#[test]
fn longest_idle_picks_the_agent_free_the_longest() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 3, t0);
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    assert_eq!(offers(&drain(&mut r)), [(CallId(1), AgentId(1))]);
    r.answered(t0, CallId(1), AgentId(1)).expect("answer");
    r.call_arrived(t0, CallId(2), SUPPORT, 0).expect("call");
    assert_eq!(offers(&drain(&mut r)), [(CallId(2), AgentId(2))]);
    r.check().expect("invariants");
}

#[test]
fn an_agent_back_from_wrap_up_goes_to_the_end_of_the_idle_line() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 2, t0);
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    r.answered(t0, CallId(1), AgentId(1)).expect("answer");
    r.call_ended(t0 + Duration::from_secs(60), CallId(1), AgentId(1))
        .expect("end");
    let wrap = run(&mut r, t0 + Duration::from_secs(70));
    assert!(
        wrap.contains(&Decision::AgentChanged {
            agent: AgentId(1),
            state: AgentState::Available,
            at: t0 + Duration::from_secs(70)
        }),
        "wrap-up ends exactly 10 s after the call: {wrap:?}"
    );
    drain(&mut r);
    r.call_arrived(t0 + Duration::from_secs(71), CallId(2), SUPPORT, 0)
        .expect("call");
    assert_eq!(offers(&drain(&mut r)), [(CallId(2), AgentId(2))]);
}

#[test]
fn skills_prefer_the_higher_proficiency_and_exclude_the_unskilled() {
    let t0 = Instant::now();
    let mut r = Router::new();
    r.configure_queue(QueueConfig {
        skill: Some((7, 2)),
        ..queue(SUPPORT, Strategy::Skills)
    });
    for (a, level) in [(1, 1u8), (2, 3), (3, 5), (4, 4)] {
        r.login(AgentId(a), &[SUPPORT], &HashMap::from([(7, level)]));
        r.set_state(t0, AgentId(a), AgentState::Available)
            .expect("state");
    }
    drain(&mut r);
    let mut order = Vec::new();
    for c in 1..=4 {
        r.call_arrived(t0, CallId(c), SUPPORT, 0).expect("call");
        for (call, agent) in offers(&drain(&mut r)) {
            r.answered(t0, call, agent).expect("answer");
            order.push(agent.0);
        }
    }
    assert_eq!(order, [3, 4, 2], "by level; agent 1 (level 1 < 2) never");
    assert_eq!(r.waiting(SUPPORT, t0).len(), 1);
    r.check().expect("invariants");
}

#[test]
fn round_robin_and_fewest_calls_spread_the_calls() {
    let t0 = Instant::now();
    for (strategy, want) in [
        (Strategy::RoundRobin, vec![1, 2, 3, 1, 2, 3]),
        (Strategy::FewestCalls, vec![1, 2, 3, 1, 2, 3]),
    ] {
        let mut r = router_with(strategy, 3, t0);
        r.configure_queue(QueueConfig {
            wrap_up: Duration::ZERO,
            ..queue(SUPPORT, strategy)
        });
        let mut got = Vec::new();
        for c in 1..=6 {
            r.call_arrived(t0, CallId(c), SUPPORT, 0).expect("call");
            let (call, agent) = offers(&drain(&mut r))[0];
            r.answered(t0, call, agent).expect("answer");
            r.call_ended(t0, call, agent).expect("end");
            drain(&mut r);
            got.push(agent.0);
        }
        assert_eq!(got, want, "{strategy:?}");
    }
}

#[test]
fn ring_all_rings_everyone_and_the_first_answer_takes_the_call() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::RingAll, 3, t0);
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    assert_eq!(offers(&drain(&mut r)).len(), 3);
    r.answered(t0, CallId(1), AgentId(2)).expect("answer");
    let out = drain(&mut r);
    let cancelled: HashSet<_> = out
        .iter()
        .filter_map(|d| match d {
            Decision::CancelOffer { agent, .. } => Some(agent.0),
            _ => None,
        })
        .collect();
    assert_eq!(cancelled, HashSet::from([1, 3]));
    assert_eq!(
        r.answered(t0, CallId(1), AgentId(1)),
        Err(RouterError::NotOffered)
    );
    r.check().expect("invariants");
    // The live view: every member with their state.
    let members = r.members(SUPPORT);
    assert_eq!(members.len(), 3);
    assert_eq!(members[1], (AgentId(2), &AgentState::OnCall(CallId(1))));
    assert_eq!(members[0].1, &AgentState::Available);
}

#[test]
fn priority_callers_go_first_and_queues_are_taken_by_their_priority() {
    let t0 = Instant::now();
    let mut r = Router::new();
    r.configure_queue(queue(SUPPORT, Strategy::LongestIdle));
    r.configure_queue(QueueConfig {
        priority: 10,
        ..queue(TIER2, Strategy::LongestIdle)
    });
    r.login(AgentId(1), &[SUPPORT, TIER2], &HashMap::new());
    // Calls wait while the agent is away: an ordinary one, then a VIP, then tier 2.
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    r.call_arrived(t0 + Duration::from_secs(1), CallId(2), SUPPORT, 5)
        .expect("call");
    r.call_arrived(t0 + Duration::from_secs(2), CallId(3), TIER2, 0)
        .expect("call");
    let mut order = Vec::new();
    let mut t = t0 + Duration::from_secs(3);
    r.set_state(t, AgentId(1), AgentState::Available)
        .expect("state");
    let mut pending = drain(&mut r);
    for _ in 0..3 {
        let (call, agent) = offers(&pending)[0];
        order.push(call.0);
        r.answered(t, call, agent).expect("answer");
        t += Duration::from_secs(30);
        r.call_ended(t, call, agent).expect("end");
        pending = run(&mut r, t + Duration::from_secs(10));
    }
    assert_eq!(
        order,
        [3, 2, 1],
        "tier 2's queue first, then the VIP, then the rest"
    );
}

#[test]
fn an_offer_that_rings_out_goes_to_the_next_agent_and_the_first_is_missed() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 2, t0);
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    drain(&mut r);
    let out = run(&mut r, t0 + Duration::from_secs(15));
    assert!(out.contains(&Decision::CancelOffer {
        call: CallId(1),
        agent: AgentId(1)
    }));
    assert_eq!(offers(&out), [(CallId(1), AgentId(2))]);
    assert_eq!(
        r.agent_state(AgentId(1)),
        Some(&AgentState::NotReady(NotReadyReason::Missed))
    );
    r.check().expect("invariants");
}

#[test]
fn two_refusals_in_a_row_make_an_agent_not_ready() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 1, t0);
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    r.refused(t0, CallId(1), AgentId(1)).expect("refuse");
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::Available));
    r.call_arrived(t0, CallId(2), SUPPORT, 0).expect("call");
    assert_eq!(
        offers(&drain(&mut r)).last(),
        Some(&(CallId(2), AgentId(1))),
        "the refused call is not offered again"
    );
    r.refused(t0, CallId(2), AgentId(1)).expect("refuse");
    assert_eq!(
        r.agent_state(AgentId(1)),
        Some(&AgentState::NotReady(NotReadyReason::Missed))
    );
}

#[test]
fn max_wait_overflows_to_another_queue_and_max_length_at_once() {
    let t0 = Instant::now();
    let mut r = Router::new();
    r.configure_queue(QueueConfig {
        max_wait: Some(Duration::from_secs(60)),
        max_len: Some(1),
        overflow: Overflow::Queue(TIER2),
        ..queue(SUPPORT, Strategy::LongestIdle)
    });
    r.configure_queue(queue(TIER2, Strategy::LongestIdle));
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    r.call_arrived(t0, CallId(2), SUPPORT, 0).expect("call");
    let out = drain(&mut r);
    assert!(
        out.contains(&Decision::Requeued {
            call: CallId(2),
            from: SUPPORT,
            to: TIER2
        }),
        "the queue is full"
    );
    assert!(run(&mut r, t0 + Duration::from_secs(59)).is_empty());
    let out = run(&mut r, t0 + Duration::from_secs(60));
    assert_eq!(
        out,
        [Decision::Requeued {
            call: CallId(1),
            from: SUPPORT,
            to: TIER2
        }]
    );
    let waiting: Vec<_> = r
        .waiting(TIER2, t0 + Duration::from_secs(60))
        .into_iter()
        .map(|w| w.0)
        .collect();
    assert_eq!(
        waiting,
        [CallId(1), CallId(2)],
        "call 1 keeps its earlier place"
    );
    assert_eq!(r.stats(SUPPORT).map(|s| s.overflowed), Some(2));
}

#[test]
fn announcements_come_on_time_with_the_position() {
    let t0 = Instant::now();
    let mut r = Router::new();
    r.configure_queue(QueueConfig {
        announce_every: Some(Duration::from_secs(30)),
        ..queue(SUPPORT, Strategy::LongestIdle)
    });
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    r.call_arrived(t0, CallId(2), SUPPORT, 0).expect("call");
    let out = run(&mut r, t0 + Duration::from_secs(61));
    let for_two: Vec<_> = out
        .iter()
        .filter_map(|d| match d {
            Decision::Announce {
                call: CallId(2),
                position,
                ..
            } => Some(*position),
            _ => None,
        })
        .collect();
    assert_eq!(for_two, [2, 2], "at 30 s and 60 s, second in line");
}

#[test]
fn logging_out_during_a_call_takes_effect_when_it_ends() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 1, t0);
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    r.answered(t0, CallId(1), AgentId(1)).expect("answer");
    r.set_state(t0, AgentId(1), AgentState::Offline)
        .expect("state");
    assert_eq!(
        r.agent_state(AgentId(1)),
        Some(&AgentState::OnCall(CallId(1)))
    );
    r.call_ended(t0, CallId(1), AgentId(1)).expect("end");
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::Offline));
}

#[test]
fn bad_requests_change_nothing() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 1, t0);
    assert_eq!(
        r.call_arrived(t0, CallId(1), QueueId(99), 0),
        Err(RouterError::UnknownQueue)
    );
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    assert_eq!(
        r.call_arrived(t0, CallId(1), SUPPORT, 0),
        Err(RouterError::DuplicateCall)
    );
    assert_eq!(
        r.answered(t0, CallId(9), AgentId(1)),
        Err(RouterError::UnknownCall)
    );
    assert_eq!(
        r.answered(t0, CallId(1), AgentId(7)),
        Err(RouterError::NotOffered)
    );
    assert_eq!(
        r.set_state(t0, AgentId(7), AgentState::Available),
        Err(RouterError::UnknownAgent)
    );
    r.check().expect("invariants");
    assert_eq!(
        r.agent_state(AgentId(1)),
        Some(&AgentState::Offered(CallId(1)))
    );
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
fn a_consulted_agent_is_busy_and_not_offered_calls_until_the_consultation_ends() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 2, t0);
    // Agent 1 is asked to a consultation just as a call is offered to them: the offer goes
    // to agent 2, and it is not a refusal.
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    assert_eq!(offers(&drain(&mut r)), [(CallId(1), AgentId(1))]);
    r.engaged(t0, AgentId(1), true).expect("engaged");
    let out = drain(&mut r);
    assert!(out.contains(&Decision::CancelOffer {
        call: CallId(1),
        agent: AgentId(1)
    }));
    assert_eq!(offers(&out), [(CallId(1), AgentId(2))]);
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::Busy));
    r.answered(t0, CallId(1), AgentId(2)).expect("answer");
    // A second call waits: the busy agent is not offered it.
    r.call_arrived(t0, CallId(2), SUPPORT, 0).expect("call");
    assert!(offers(&drain(&mut r)).is_empty());
    // Choosing "available" during the consultation changes nothing; its end frees them,
    // and they take the waiting call.
    r.set_state(t0, AgentId(1), AgentState::Available)
        .expect("state");
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::Busy));
    r.engaged(t0, AgentId(1), false).expect("free");
    assert_eq!(offers(&drain(&mut r)), [(CallId(2), AgentId(1))]);
    r.check().expect("invariants");
}

#[test]
fn a_busy_desk_is_not_a_refusal() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 2, t0);
    for call in 1..=3 {
        r.call_arrived(t0, CallId(call), SUPPORT, 0).expect("call");
        let offered = offers(&drain(&mut r));
        if offered.contains(&(CallId(call), AgentId(1))) {
            r.desk_busy(t0, CallId(call), AgentId(1)).expect("busy");
        }
    }
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::Available));
    assert!(matches!(
        r.agent_state(AgentId(2)),
        Some(AgentState::Offered(_))
    ));
    assert_eq!(
        r.desk_busy(t0, CallId(9), AgentId(1)),
        Err(RouterError::UnknownCall)
    );
    r.check().expect("invariants");
}

#[test]
fn an_attended_transfer_hands_the_call_over_and_both_agents_wrap_up() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 3, t0);
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    drain(&mut r);
    r.answered(t0, CallId(1), AgentId(1)).expect("answer");
    // Agent 2 is consulted from a break; agent 3 is consulted while available.
    r.set_state(
        t0,
        AgentId(2),
        AgentState::NotReady(NotReadyReason::Break("training".into())),
    )
    .expect("state");
    r.engaged(t0, AgentId(2), true).expect("engaged");
    assert!(
        matches!(r.agent_state(AgentId(2)), Some(AgentState::NotReady(_))),
        "a break stays a break through a consultation"
    );
    assert_eq!(
        r.handed_over(t0, CallId(1), AgentId(3), AgentId(2)),
        Err(RouterError::NotOffered),
        "only the agent on the call hands it over"
    );
    r.handed_over(t0, CallId(1), AgentId(1), AgentId(2))
        .expect("handed over");
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::WrapUp));
    assert_eq!(
        r.agent_state(AgentId(2)),
        Some(&AgentState::OnCall(CallId(1)))
    );
    r.check().expect("invariants");
    // The first agent's wrap-up ends while the second still talks.
    let t1 = t0 + Duration::from_secs(10);
    run(&mut r, t1);
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::Available));
    // The call ends with the second agent, who wraps up and goes back to the break.
    r.call_ended(t1, CallId(1), AgentId(2)).expect("ended");
    assert_eq!(r.agent_state(AgentId(2)), Some(&AgentState::WrapUp));
    run(&mut r, t1 + Duration::from_secs(10));
    assert_eq!(
        r.agent_state(AgentId(2)),
        Some(&AgentState::NotReady(NotReadyReason::Break(
            "training".into()
        )))
    );
    r.check().expect("invariants");
}

#[test]
fn an_available_agent_whose_phone_is_still_connecting_is_offered_the_call_once_it_connects() {
    // The agent presses Available at once after signing in; the call arrives before their
    // browser's media session connects. It must wait for them, not count as their refusal.
    let t0 = Instant::now();
    let mut r = Router::new();
    r.configure_queue(queue(SUPPORT, Strategy::LongestIdle));
    r.login(AgentId(1), &[SUPPORT], &HashMap::new());
    r.phone(t0, AgentId(1), false).expect("phone");
    r.set_state(t0, AgentId(1), AgentState::Available)
        .expect("state");
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    assert!(
        offers(&drain(&mut r)).is_empty(),
        "nothing rings a phone that cannot ring"
    );
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::Available));
    r.check().expect("invariants");
    let t1 = t0 + Duration::from_millis(300);
    r.phone(t1, AgentId(1), true).expect("phone");
    assert_eq!(offers(&drain(&mut r)), [(CallId(1), AgentId(1))]);
    r.check().expect("invariants");
}

#[test]
fn a_phone_lost_while_ringing_takes_the_offer_back_without_a_refusal() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 2, t0);
    for call in 1..=3 {
        r.call_arrived(t0, CallId(call), SUPPORT, 0).expect("call");
        drain(&mut r);
    }
    // Agent 1 rings with call 1; their phone goes, twice over (a refusal twice would make
    // them not ready).
    r.phone(t0, AgentId(1), false).expect("phone");
    let d = drain(&mut r);
    assert!(d.contains(&Decision::CancelOffer {
        call: CallId(1),
        agent: AgentId(1)
    }));
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::Available));
    assert!(!r.can_ring(AgentId(1)));
    r.phone(t0, AgentId(1), true).expect("phone");
    assert_eq!(offers(&drain(&mut r)), [(CallId(1), AgentId(1))]);
    r.phone(t0, AgentId(1), false).expect("phone");
    drain(&mut r);
    assert_eq!(r.agent_state(AgentId(1)), Some(&AgentState::Available));
    assert_eq!(
        r.phone(t0, AgentId(9), true),
        Err(RouterError::UnknownAgent)
    );
    r.check().expect("invariants");
}

#[test]
fn invariants_hold_under_random_event_orders_and_every_call_ends_once() {
    for seed in 1..=200u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let t0 = Instant::now();
        let mut r = Router::new();
        let strategies = [
            Strategy::LongestIdle,
            Strategy::RoundRobin,
            Strategy::FewestCalls,
            Strategy::Skills,
            Strategy::RingAll,
        ];
        r.configure_queue(QueueConfig {
            skill: Some((1, 2)),
            max_wait: Some(Duration::from_secs(120)),
            max_len: Some(6),
            overflow: Overflow::Queue(TIER2),
            announce_every: Some(Duration::from_secs(20)),
            ..queue(SUPPORT, strategies[rng.below(5) as usize])
        });
        r.configure_queue(QueueConfig {
            priority: 1,
            max_wait: Some(Duration::from_secs(300)),
            ..queue(TIER2, strategies[rng.below(5) as usize])
        });
        let agents = 1 + rng.below(6);
        for a in 1..=agents {
            let level = 1 + rng.below(5) as u8;
            r.login(AgentId(a), &[SUPPORT, TIER2], &HashMap::from([(1, level)]));
        }
        let mut t = t0;
        let mut next_call = 1;
        let mut live: Vec<CallId> = Vec::new();
        let mut ended: HashMap<CallId, CallOutcome> = HashMap::new();
        let mut connected: HashMap<CallId, AgentId> = HashMap::new();
        for _ in 0..400 {
            t += Duration::from_millis(rng.below(20_000));
            for d in run(&mut r, t) {
                track(&d, &mut ended, &mut connected);
            }
            if let Err(e) = r.check() {
                panic!("seed {seed}, after timers: {e}");
            }
            let agent = AgentId(1 + rng.below(agents));
            let result = match rng.below(12) {
                0 | 1 => {
                    let call = CallId(next_call);
                    next_call += 1;
                    live.push(call);
                    let queue = if rng.below(4) == 0 { TIER2 } else { SUPPORT };
                    r.call_arrived(t, call, queue, rng.below(3) as i32)
                }
                2 => r.set_state(t, agent, AgentState::Available),
                3 => r.set_state(
                    t,
                    agent,
                    AgentState::NotReady(NotReadyReason::Break("lunch".into())),
                ),
                4 => match r.agent_state(agent) {
                    Some(AgentState::Offered(call)) => r.answered(t, *call, agent),
                    _ => Ok(()),
                },
                5 => match r.agent_state(agent) {
                    Some(AgentState::Offered(call)) => r.refused(t, *call, agent),
                    _ => Ok(()),
                },
                6 => match connected
                    .iter()
                    .find(|(_, a)| **a == agent)
                    .map(|(c, _)| *c)
                {
                    Some(call) => {
                        connected.remove(&call);
                        r.call_ended(t, call, agent)
                    }
                    None => Ok(()),
                },
                7 if !live.is_empty() => {
                    let call = live[rng.below(live.len() as u64) as usize];
                    if connected.contains_key(&call) || ended.contains_key(&call) {
                        Ok(())
                    } else {
                        r.caller_left(t, call)
                    }
                }
                8 if rng.below(2) == 0 => r.phone(t, agent, rng.below(3) != 0),
                8 => r.engaged(t, agent, rng.below(2) == 0),
                9 => match r.agent_state(agent) {
                    Some(AgentState::Offered(call)) => r.desk_busy(t, *call, agent),
                    _ => Ok(()),
                },
                10 => {
                    let to = AgentId(1 + rng.below(agents));
                    let held = connected
                        .iter()
                        .find(|(_, a)| **a == agent)
                        .map(|(c, _)| *c);
                    match held {
                        Some(call)
                            if to != agent
                                && !matches!(r.agent_state(to), Some(AgentState::OnCall(_))) =>
                        {
                            connected.insert(call, to);
                            r.handed_over(t, call, agent, to)
                        }
                        _ => Ok(()),
                    }
                }
                _ => r.set_state(t, agent, AgentState::Offline),
            };
            assert!(
                result.is_ok(),
                "seed {seed}: {result:?} ({agent:?} {:?})",
                r.agent_state(agent)
            );
            for d in drain(&mut r) {
                track(&d, &mut ended, &mut connected);
            }
            if let Err(e) = r.check() {
                panic!("seed {seed}: {e}");
            }
        }
        // Nothing is lost: every call is waiting or ringing (never ended), talking (answered,
        // not yet over), or gone with exactly one outcome (track() checks "exactly").
        let waiting_or_ringing = live.iter().filter(|c| !ended.contains_key(c)).count();
        assert_eq!(
            r.calls(),
            waiting_or_ringing + connected.len(),
            "seed {seed}"
        );
    }
}

fn track(
    d: &Decision,
    ended: &mut HashMap<CallId, CallOutcome>,
    connected: &mut HashMap<CallId, AgentId>,
) {
    if let Decision::Ended { call, outcome } = d {
        // A call is answered at most once and ends (leaves the line) once.
        assert!(
            !ended.contains_key(call),
            "{call:?} ended twice: {outcome:?}"
        );
        ended.insert(*call, *outcome);
        if let CallOutcome::Answered(agent) = outcome {
            connected.insert(*call, *agent);
        }
    }
}

#[test]
fn counters_restored_from_the_records_go_on_counting_and_a_new_day_zeroes_them() {
    let t0 = Instant::now();
    let mut r = router_with(Strategy::LongestIdle, 1, t0);
    let today = switchboard_acd::QueueStats {
        offered: 10,
        answered: 8,
        answered_in_service_level: 6,
        abandoned: 2,
        overflowed: 0,
        answered_wait: Duration::from_secs(80),
    };
    r.restore_stats(SUPPORT, today);
    r.restore_stats(TIER2, today); // not configured: ignored
    r.call_arrived(t0, CallId(1), SUPPORT, 0).expect("call");
    r.answered(t0 + Duration::from_secs(5), CallId(1), AgentId(1))
        .expect("answer");
    let stats = r.stats(SUPPORT).expect("stats");
    assert_eq!(
        (
            stats.offered,
            stats.answered,
            stats.answered_in_service_level
        ),
        (11, 9, 7)
    );
    assert_eq!(stats.answered_wait, Duration::from_secs(85));
    assert_eq!(r.stats(TIER2), None);
    r.reset_stats();
    assert_eq!(
        r.stats(SUPPORT),
        Some(switchboard_acd::QueueStats::default())
    );
}
