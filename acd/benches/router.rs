//! Routing decision time and event throughput with one big tenant: 20,000 agents in 20
//! queues, 10,000 calls waiting. Prints figures; never fails on time.
//!
//!     cargo bench -p switchboard-acd --bench router
#![allow(clippy::disallowed_methods)] // A benchmark reads the clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use switchboard_acd::{
    AgentId, AgentState, CallId, Decision, Overflow, QueueConfig, QueueId, Router, Strategy,
};

fn main() {
    shift();
    let t0 = Instant::now();
    let mut r = Router::new();
    let queues = 20u64;
    for q in 0..queues {
        r.configure_queue(QueueConfig {
            id: QueueId(q),
            strategy: if q % 2 == 0 {
                Strategy::LongestIdle
            } else {
                Strategy::Skills
            },
            priority: (q % 3) as i32,
            skill: (q % 2 == 1).then_some((q as u32, 1)),
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::from_secs(5),
            max_wait: Some(Duration::from_secs(3600)),
            max_len: None,
            overflow: Overflow::Leave,
            announce_every: Some(Duration::from_secs(60)),
            service_level: Duration::from_secs(20),
        });
    }
    let agents = 20_000u64;
    for a in 0..agents {
        let served: Vec<QueueId> = (0..3).map(|i| QueueId((a + i * 7) % queues)).collect();
        let skills: HashMap<u32, u8> = served
            .iter()
            .map(|q| (q.0 as u32, 1 + (a % 5) as u8))
            .collect();
        r.login(AgentId(a), &served, &skills);
    }
    // 10,000 calls wait while every agent is away.
    let mut t = t0;
    for c in 0..10_000u64 {
        r.call_arrived(t, CallId(c), QueueId(c % queues), (c % 4) as i32)
            .expect("call");
        t += Duration::from_millis(1);
    }
    while r.poll_output().is_some() {}

    // Each agent becoming available is one decision: find the best call across its queues.
    let mut samples = Vec::with_capacity(10_000);
    let mut offered = Vec::new();
    for a in 0..10_000u64 {
        let start = Instant::now();
        r.set_state(t, AgentId(a), AgentState::Available)
            .expect("state");
        samples.push(start.elapsed());
        while let Some(d) = r.poll_output() {
            if let Decision::Offer { call, agent } = d {
                offered.push((call, agent));
            }
        }
    }
    samples.sort_unstable();
    let pct = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "router: {agents} agents, 20 queues, 10,000 waiting calls: decision on an agent going available p50 {:.1?}, p99 {:.1?}, max {:.1?} ({} offers)",
        pct(0.5),
        pct(0.99),
        pct(1.0),
        offered.len()
    );

    // Throughput: answer, end, wrap-up timer, next call; plus new arrivals.
    let start = Instant::now();
    let mut events = 0u64;
    for (next, (call, agent)) in (10_000u64..).zip(offered.clone()) {
        r.answered(t, call, agent).expect("answer");
        r.call_ended(t, call, agent).expect("end");
        r.call_arrived(t, CallId(next), QueueId(next % queues), 0)
            .expect("call");
        events += 3;
        while r.poll_output().is_some() {}
    }
    t += Duration::from_secs(6);
    r.handle_timeout(t);
    while r.poll_output().is_some() {}
    events += offered.len() as u64;
    let elapsed = start.elapsed();
    println!(
        "router: {events} events (answer, end, wrap-up expiry, arrival) in {elapsed:.2?}: {:.0} events per second",
        events as f64 / elapsed.as_secs_f64()
    );
}

/// A shift: 8 hours, 50 agents, 2,000 calls with talk times of 1-6 minutes, run on the
/// simulated clock. Prints how long the shift takes to compute.
fn shift() {
    let wall = Instant::now();
    let t0 = Instant::now();
    let mut r = Router::new();
    r.configure_queue(QueueConfig {
        id: QueueId(1),
        strategy: Strategy::LongestIdle,
        priority: 0,
        skill: None,
        ring_timeout: Duration::from_secs(15),
        wrap_up: Duration::from_secs(30),
        max_wait: Some(Duration::from_secs(600)),
        max_len: None,
        overflow: Overflow::Leave,
        announce_every: Some(Duration::from_secs(45)),
        service_level: Duration::from_secs(20),
    });
    for a in 0..50 {
        r.login(AgentId(a), &[QueueId(1)], &HashMap::new());
        r.set_state(t0, AgentId(a), AgentState::Available)
            .expect("state");
    }
    // Arrivals every 14.4 s on average (2,000 in 8 h); each answered call talks 1-6 minutes.
    let mut seed = 0x5eed_u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut ends: std::collections::BTreeMap<Instant, Vec<(CallId, AgentId)>> = Default::default();
    let mut t = t0;
    let (mut decisions, mut answered) = (0u64, 0u64);
    for c in 0..2_000u64 {
        let next = t + Duration::from_millis(7_200 + rand(14_400));
        // Everything due before the next arrival: call ends and the router's timers.
        loop {
            let end_at = ends.keys().next().copied().filter(|e| *e <= next);
            let timer_at = r.poll_timeout().filter(|e| *e <= next);
            match (end_at, timer_at) {
                (Some(e), Some(tm)) if tm < e => r.handle_timeout(tm),
                (Some(e), _) => {
                    for (call, agent) in ends.remove(&e).unwrap_or_default() {
                        let _ = r.call_ended(e, call, agent);
                    }
                }
                (None, Some(tm)) => r.handle_timeout(tm),
                (None, None) => break,
            }
            while let Some(d) = r.poll_output() {
                decisions += 1;
                if let Decision::Offer { call, agent } = d {
                    // Agents answer at once in this simulation.
                    if r.answered(t, call, agent).is_ok() {
                        answered += 1;
                        let talk = Duration::from_secs(60 + rand(300));
                        ends.entry(t + talk).or_default().push((call, agent));
                    }
                }
            }
        }
        t = next;
        r.call_arrived(t, CallId(c), QueueId(1), 0).expect("call");
        while let Some(d) = r.poll_output() {
            decisions += 1;
            if let Decision::Offer { call, agent } = d
                && r.answered(t, call, agent).is_ok()
            {
                answered += 1;
                let talk = Duration::from_secs(60 + rand(300));
                ends.entry(t + talk).or_default().push((call, agent));
            }
        }
    }
    let stats = r.stats(QueueId(1)).expect("queue");
    println!(
        "router: an 8-hour shift (50 agents, 2,000 calls, {answered} answered, {decisions} decisions, service level {:.1}%) computed in {:.2?}",
        100.0 * stats.answered_in_service_level as f64 / stats.answered.max(1) as f64,
        wall.elapsed()
    );
}
