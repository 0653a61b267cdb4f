//! The router state machine.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// An agent, as the router knows them (the call controller maps its ids to these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(pub u64);

/// A call waiting for or talking to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// A queue of the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId(pub u64);

/// How a queue picks among its free agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// The agent free for the longest time.
    LongestIdle,
    /// The next free agent after the last one offered, in a fixed order.
    RoundRobin,
    /// The free agent who has taken the fewest calls (then the longest idle).
    FewestCalls,
    /// The free agent with the highest proficiency in the queue's skill (then the longest idle).
    Skills,
    /// Every free agent rings at once; the first to answer takes the call.
    RingAll,
}

/// Where a call goes when its queue cannot keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Into another queue (keeping its place in time: its arrival counts from the first queue).
    Queue(QueueId),
    /// Out of the router (an IVR node, voicemail, a prompt and hang-up): the controller decides.
    Leave,
}

/// A queue's settings.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// The queue.
    pub id: QueueId,
    /// How the queue picks among its free agents.
    pub strategy: Strategy,
    /// Across queues, higher goes first.
    pub priority: i32,
    /// The skill the queue requires, and the lowest level (1-5) that serves it.
    pub skill: Option<(u32, u8)>,
    /// How long an offer rings before it is taken back.
    pub ring_timeout: Duration,
    /// How long agents stay in wrap-up after a call of this queue.
    pub wrap_up: Duration,
    /// Longest wait before overflow; `None` waits forever.
    pub max_wait: Option<Duration>,
    /// Most calls waiting before new ones overflow at once; `None` has no limit.
    pub max_len: Option<usize>,
    /// Where calls go past `max_wait` or `max_len`; an overflow to this queue itself or to an
    /// unknown one leaves the router.
    pub overflow: Overflow,
    /// Period of position and expected-wait announcements; `None` makes none.
    pub announce_every: Option<Duration>,
    /// The service-level threshold: answered within this counts as "in service level".
    pub service_level: Duration,
}

/// Why an agent is not ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReadyReason {
    /// The agent chose a break, with the tenant's reason code.
    Break(String),
    /// The agent let an offer ring out, or refused twice in a row.
    Missed,
    /// The agent's connection dropped.
    Disconnected,
}

/// An agent's state, as the router sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentState {
    /// Logged out, or logged in without having chosen a state yet.
    Offline,
    /// Ready for calls; offered them while their phone can ring.
    Available,
    /// Ringing with this call.
    Offered(CallId),
    /// Talking on this call, which the router routed to them.
    OnCall(CallId),
    /// After a call, for the queue's wrap-up time; offered nothing.
    WrapUp,
    /// Not taking calls, for this reason.
    NotReady(NotReadyReason),
    /// On a call the router did not route (a colleague's consultation, a direct line's
    /// call): not offered calls until it ends.
    Busy,
}

impl AgentState {
    /// The state's name without its call or reason (e.g. `on_call`, `not_ready`).
    pub fn name(&self) -> &'static str {
        match self {
            AgentState::Offline => "offline",
            AgentState::Available => "available",
            AgentState::Offered(_) => "offered",
            AgentState::OnCall(_) => "on_call",
            AgentState::WrapUp => "wrap_up",
            AgentState::NotReady(_) => "not_ready",
            AgentState::Busy => "busy",
        }
    }
}

/// How a call left the router: every call that entered ends with exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// An agent answered it.
    Answered(AgentId),
    /// The caller hung up while waiting or ringing.
    Abandoned,
    /// It went out of the router by overflow.
    Overflowed,
}

/// What the router decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Ring `agent` with `call`.
    Offer {
        /// The call to offer.
        call: CallId,
        /// The agent to ring.
        agent: AgentId,
    },
    /// Stop ringing `agent` with `call`.
    CancelOffer {
        /// The call that was offered.
        call: CallId,
        /// The agent ringing with it.
        agent: AgentId,
    },
    /// Tell the caller their position and the expected wait.
    Announce {
        /// The waiting call.
        call: CallId,
        /// Its place in the queue's waiting line, from 1.
        position: usize,
        /// The estimate, from the queue's average wait of answered calls (or the ring
        /// timeout before any), the position and the number of free agents.
        expected_wait: Duration,
    },
    /// The call moved from one queue to another by overflow.
    Requeued {
        /// The call that moved.
        call: CallId,
        /// The queue it overflowed from.
        from: QueueId,
        /// The queue it waits in now.
        to: QueueId,
    },
    /// The call left the router; with `Overflowed`, the controller sends it on.
    Ended {
        /// The call that left.
        call: CallId,
        /// How it left.
        outcome: CallOutcome,
    },
    /// An agent's state changed (every change, with its time).
    AgentChanged {
        /// The agent whose state changed.
        agent: AgentId,
        /// The new state.
        state: AgentState,
        /// When it changed.
        at: Instant,
    },
}

/// A request the router cannot carry out; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouterError {
    /// The queue is not configured.
    UnknownQueue,
    /// The agent is not logged in.
    UnknownAgent,
    /// The call is not in the router.
    UnknownCall,
    /// The call is already in the router.
    DuplicateCall,
    /// The agent was not offered this call (late or forged answer).
    NotOffered,
}

impl std::fmt::Display for RouterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RouterError::UnknownQueue => "no such queue",
            RouterError::UnknownAgent => "the agent is not logged in",
            RouterError::UnknownCall => "no such call",
            RouterError::DuplicateCall => "the call is already routed",
            RouterError::NotOffered => "the agent was not offered this call",
        })
    }
}

impl std::error::Error for RouterError {}

/// Counters of a queue since the router started (the controller resets them daily).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Calls that entered the queue, on arrival or by overflow from another queue.
    pub offered: u64,
    /// Calls an agent answered.
    pub answered: u64,
    /// Answered calls that waited no longer than the queue's service level.
    pub answered_in_service_level: u64,
    /// Calls whose caller hung up while waiting or ringing.
    pub abandoned: u64,
    /// Calls that left the queue by overflow.
    pub overflowed: u64,
    /// Total wait of answered calls, for the expected-wait estimate.
    pub answered_wait: Duration,
}

/// The order of waiting calls: higher caller priority first, then earlier arrival.
type CallKey = (std::cmp::Reverse<i32>, u64, CallId);
/// The order of free agents in a queue (meaning depends on the strategy; smaller first).
type AgentKey = (u64, u64, AgentId);

#[derive(Debug)]
struct Queue {
    config: QueueConfig,
    waiting: BTreeSet<CallKey>,
    free: BTreeSet<AgentKey>,
    /// Round robin: the last agent offered.
    cursor: Option<AgentId>,
    stats: QueueStats,
}

#[derive(Debug)]
struct Agent {
    state: AgentState,
    /// Queues served, with the agent's level in each queue's skill.
    queues: Vec<(QueueId, u8)>,
    /// Ordering stamp of when the agent last became free (smaller = idle longer).
    idle_since: u64,
    calls_taken: u64,
    refusals: u8,
    logout_pending: bool,
    /// The state to go back to after a call handed over to them, when they were not ready.
    resume: Option<AgentState>,
    /// Generation of the agent's timer, so a stale one is ignored.
    timer: u64,
    /// The agent's phone can ring: signed in with a connected media session. Only an
    /// available agent whose phone can ring is offered calls (see [`Router::phone`]).
    phone: bool,
}

#[derive(Debug)]
struct Call {
    queue: QueueId,
    priority: i32,
    arrived: Instant,
    /// Arrival order, kept across overflows.
    seq: u64,
    /// Agents ringing now.
    offered: Vec<AgentId>,
    /// Agents who already refused or let it ring out (not offered again).
    declined: Vec<AgentId>,
    connected: Option<AgentId>,
    timer: u64,
}

impl Call {
    /// The call's place in its queue's waiting line.
    fn key(&self, id: CallId) -> CallKey {
        (std::cmp::Reverse(self.priority), self.seq, id)
    }
}

/// Why an offer was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declined {
    Refused,
    TimedOut,
    /// The desk was on another call.
    Busy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// An offer's ring timeout.
    Ring(CallId, AgentId, u64),
    /// The call's max wait.
    MaxWait(CallId, u64),
    /// The call's next announcement.
    Announce(CallId, u64),
    /// The agent's wrap-up ends.
    WrapUp(AgentId, u64),
}

/// One tenant's router.
#[derive(Debug, Default)]
pub struct Router {
    queues: HashMap<QueueId, Queue>,
    agents: HashMap<AgentId, Agent>,
    calls: HashMap<CallId, Call>,
    timers: BTreeSet<(Instant, Timer)>,
    out: VecDeque<Decision>,
    /// Monotonic stamps for arrivals and idle times.
    stamp: u64,
}

impl Router {
    /// A router with no queues, agents or calls.
    pub fn new() -> Router {
        Router::default()
    }

    fn next_stamp(&mut self) -> u64 {
        self.stamp += 1;
        self.stamp
    }

    /// Add or change a queue.
    pub fn configure_queue(&mut self, config: QueueConfig) {
        match self.queues.get_mut(&config.id) {
            Some(q) => q.config = config,
            None => {
                self.queues.insert(
                    config.id,
                    Queue {
                        config,
                        waiting: BTreeSet::new(),
                        free: BTreeSet::new(),
                        cursor: None,
                        stats: QueueStats::default(),
                    },
                );
            }
        }
    }

    /// Log an agent in (offline until they choose a state), serving the queues whose skill
    /// they have at the required level. `skills` maps a skill to the agent's level (1-5).
    pub fn login(&mut self, agent: AgentId, queues: &[QueueId], skills: &HashMap<u32, u8>) {
        let served: Vec<(QueueId, u8)> = queues
            .iter()
            .filter_map(|q| {
                let queue = self.queues.get(q)?;
                match queue.config.skill {
                    None => Some((*q, 0)),
                    Some((skill, min)) => skills
                        .get(&skill)
                        .filter(|level| **level >= min)
                        .map(|level| (*q, *level)),
                }
            })
            .collect();
        let entry = self.agents.entry(agent).or_insert(Agent {
            state: AgentState::Offline,
            queues: Vec::new(),
            idle_since: 0,
            calls_taken: 0,
            refusals: 0,
            logout_pending: false,
            resume: None,
            timer: 0,
            phone: true,
        });
        let was_free = entry.state == AgentState::Available;
        let old = std::mem::replace(&mut entry.queues, served);
        if was_free {
            for (q, level) in old {
                let key = self.agent_key(agent, q, level);
                if let (Some(queue), Some(key)) = (self.queues.get_mut(&q), key) {
                    queue.free.remove(&key);
                }
            }
            self.index_free(agent);
        }
    }

    /// The agent wants to be `Available`, `NotReady(Break(..))` or `Offline`. Ringing or
    /// talking agents keep their call; logging out then takes effect when it ends.
    pub fn set_state(
        &mut self,
        now: Instant,
        agent: AgentId,
        wanted: AgentState,
    ) -> Result<(), RouterError> {
        let a = self
            .agents
            .get_mut(&agent)
            .ok_or(RouterError::UnknownAgent)?;
        match (&a.state, &wanted) {
            (
                AgentState::Offered(_) | AgentState::OnCall(_) | AgentState::Busy,
                AgentState::Offline,
            ) => {
                a.logout_pending = true;
                Ok(())
            }
            (AgentState::Offered(_) | AgentState::OnCall(_), _) => Ok(()),
            // Busy ends in `Available` anyway.
            (AgentState::Busy, AgentState::Available) => {
                a.logout_pending = false;
                a.resume = None;
                Ok(())
            }
            _ => {
                a.resume = None;
                a.logout_pending = false;
                a.refusals = 0;
                self.change(now, agent, wanted);
                Ok(())
            }
        }
    }

    /// The agent's connection dropped: not ready after the grace period the controller
    /// waited; a call already bridged stays.
    pub fn disconnected(&mut self, now: Instant, agent: AgentId) -> Result<(), RouterError> {
        let a = self.agents.get(&agent).ok_or(RouterError::UnknownAgent)?;
        match a.state {
            AgentState::OnCall(_) | AgentState::Busy => Ok(()),
            AgentState::Offered(call) => {
                self.take_back(call, agent, false);
                self.change(
                    now,
                    agent,
                    AgentState::NotReady(NotReadyReason::Disconnected),
                );
                self.dispatch_call(now, call);
                Ok(())
            }
            _ => {
                self.change(
                    now,
                    agent,
                    AgentState::NotReady(NotReadyReason::Disconnected),
                );
                Ok(())
            }
        }
    }

    /// A call enters `queue` with a caller priority (higher first).
    pub fn call_arrived(
        &mut self,
        now: Instant,
        call: CallId,
        queue: QueueId,
        priority: i32,
    ) -> Result<(), RouterError> {
        if self.calls.contains_key(&call) {
            return Err(RouterError::DuplicateCall);
        }
        if !self.queues.contains_key(&queue) {
            return Err(RouterError::UnknownQueue);
        }
        let seq = self.next_stamp();
        self.calls.insert(
            call,
            Call {
                queue,
                priority,
                arrived: now,
                seq,
                offered: Vec::new(),
                declined: Vec::new(),
                connected: None,
                timer: 0,
            },
        );
        self.enter_queue(now, call, queue);
        Ok(())
    }

    fn enter_queue(&mut self, now: Instant, call: CallId, queue: QueueId) {
        let Some(q) = self.queues.get_mut(&queue) else {
            return;
        };
        q.stats.offered += 1;
        let config = q.config.clone();
        let full = config.max_len.is_some_and(|max| q.waiting.len() >= max);
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        c.queue = queue;
        c.timer += 1;
        let (key, generation) = (c.key(call), c.timer);
        let arrived = c.arrived;
        if full {
            self.overflow(now, call);
            return;
        }
        if let Some(q) = self.queues.get_mut(&queue) {
            q.waiting.insert(key);
        }
        if let Some(max) = config.max_wait {
            // Max wait counts from the first arrival, across overflows.
            self.timers
                .insert(((arrived + max).max(now), Timer::MaxWait(call, generation)));
        }
        if let Some(every) = config.announce_every {
            self.timers
                .insert((now + every, Timer::Announce(call, generation)));
        }
        self.dispatch_call(now, call);
    }

    /// The ordering key of a free agent in a queue, by the queue's strategy.
    fn agent_key(&self, agent: AgentId, queue: QueueId, level: u8) -> Option<AgentKey> {
        let a = self.agents.get(&agent)?;
        let q = self.queues.get(&queue)?;
        Some(match q.config.strategy {
            Strategy::LongestIdle | Strategy::RingAll => (a.idle_since, 0, agent),
            Strategy::RoundRobin => (0, 0, agent),
            Strategy::FewestCalls => (a.calls_taken, a.idle_since, agent),
            Strategy::Skills => (u64::from(5 - level.min(5)), a.idle_since, agent),
        })
    }

    /// Put a free agent whose phone can ring in the free sets of their queues.
    fn index_free(&mut self, agent: AgentId) {
        let Some(a) = self.agents.get(&agent).filter(|a| a.phone) else {
            return;
        };
        let queues = a.queues.clone();
        for (q, level) in queues {
            if let Some(key) = self.agent_key(agent, q, level)
                && let Some(queue) = self.queues.get_mut(&q)
            {
                queue.free.insert(key);
            }
        }
    }

    fn unindex_free(&mut self, agent: AgentId) {
        let Some(a) = self.agents.get(&agent) else {
            return;
        };
        let queues = a.queues.clone();
        for (q, level) in queues {
            if let Some(key) = self.agent_key(agent, q, level)
                && let Some(queue) = self.queues.get_mut(&q)
            {
                queue.free.remove(&key);
            }
        }
    }

    /// Change an agent's state, keeping the free sets right, and report it.
    fn change(&mut self, now: Instant, agent: AgentId, state: AgentState) {
        let Some(a) = self.agents.get(&agent) else {
            return;
        };
        if a.state == state {
            return;
        }
        if a.state == AgentState::Available {
            self.unindex_free(agent);
        }
        let becomes_free = state == AgentState::Available;
        let stamp = if becomes_free { self.next_stamp() } else { 0 };
        let Some(a) = self.agents.get_mut(&agent) else {
            return;
        };
        a.state = state.clone();
        a.timer += 1;
        if becomes_free {
            a.idle_since = stamp;
        }
        self.out.push_back(Decision::AgentChanged {
            agent,
            state,
            at: now,
        });
        if becomes_free {
            self.index_free(agent);
            self.dispatch_agent(now, agent);
        }
    }

    /// Whether the agent's phone can ring: the controller says so when their desk gains or
    /// loses its connection or its media session. An available agent whose phone cannot
    /// ring stays available (it is their choice) but is offered nothing; an offer ringing
    /// when the phone goes is taken back without counting as a refusal. A newly logged-in
    /// agent's phone can ring until the controller says otherwise.
    pub fn phone(
        &mut self,
        now: Instant,
        agent: AgentId,
        can_ring: bool,
    ) -> Result<(), RouterError> {
        let a = self
            .agents
            .get_mut(&agent)
            .ok_or(RouterError::UnknownAgent)?;
        if a.phone == can_ring {
            return Ok(());
        }
        let state = a.state.clone();
        if !can_ring && state == AgentState::Available {
            self.unindex_free(agent);
        }
        if let Some(a) = self.agents.get_mut(&agent) {
            a.phone = can_ring;
        }
        match state {
            AgentState::Available if can_ring => {
                self.index_free(agent);
                self.dispatch_agent(now, agent);
            }
            AgentState::Offered(call) if !can_ring => {
                self.take_back(call, agent, true);
                let next = self.free_state(agent);
                self.change(now, agent, next);
                self.dispatch_call(now, call);
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the agent's phone can ring, as last told ([`Router::phone`]).
    pub fn can_ring(&self, agent: AgentId) -> bool {
        self.agents.get(&agent).is_some_and(|a| a.phone)
    }

    /// A call looks for a free agent in its queue.
    fn dispatch_call(&mut self, now: Instant, call: CallId) {
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        if !c.offered.is_empty() || c.connected.is_some() {
            return;
        }
        let Some(q) = self.queues.get(&c.queue) else {
            return;
        };
        let strategy = q.config.strategy;
        let ring = q.config.ring_timeout;
        let picked: Vec<AgentId> = match strategy {
            Strategy::RingAll => q
                .free
                .iter()
                .map(|k| k.2)
                .filter(|a| !c.declined.contains(a))
                .take(64)
                .collect(),
            Strategy::RoundRobin => {
                let after = q.cursor.map_or(AgentId(0), |a| AgentId(a.0 + 1));
                q.free
                    .range((0, 0, after)..)
                    .chain(q.free.iter())
                    .map(|k| k.2)
                    .find(|a| !c.declined.contains(a))
                    .into_iter()
                    .collect()
            }
            _ => q
                .free
                .iter()
                .map(|k| k.2)
                .find(|a| !c.declined.contains(a))
                .into_iter()
                .collect(),
        };
        if picked.is_empty() {
            return;
        }
        let queue = c.queue;
        if strategy == Strategy::RoundRobin
            && let Some(q) = self.queues.get_mut(&queue)
        {
            q.cursor = picked.first().copied();
        }
        for agent in picked {
            self.offer(now, call, agent, ring);
        }
    }

    fn offer(&mut self, now: Instant, call: CallId, agent: AgentId, ring: Duration) {
        self.change(now, agent, AgentState::Offered(call));
        let Some(generation) = self.agents.get(&agent).map(|a| a.timer) else {
            return;
        };
        if let Some(c) = self.calls.get_mut(&call) {
            c.offered.push(agent);
            // A ringing call is out of the waiting line, so free agents find the next one at
            // its head without skipping.
            let key = c.key(call);
            if let Some(q) = self.queues.get_mut(&c.queue) {
                q.waiting.remove(&key);
            }
        }
        self.timers
            .insert((now + ring, Timer::Ring(call, agent, generation)));
        self.out.push_back(Decision::Offer { call, agent });
    }

    /// A free agent looks for the first waiting call of the queues they serve.
    fn dispatch_agent(&mut self, now: Instant, agent: AgentId) {
        let Some(a) = self.agents.get(&agent).filter(|a| a.phone) else {
            return;
        };
        let mut best: Option<((std::cmp::Reverse<i32>, CallKey), CallId)> = None;
        for (q, _) in &a.queues {
            let Some(queue) = self.queues.get(q) else {
                continue;
            };
            // The first waiting call this agent has not declined (the head, unless they
            // declined it).
            let head = queue.waiting.iter().find(|k| {
                self.calls
                    .get(&k.2)
                    .is_some_and(|c| !c.declined.contains(&agent))
            });
            if let Some(key) = head {
                let rank = (std::cmp::Reverse(queue.config.priority), *key);
                if best.as_ref().is_none_or(|(b, _)| rank < *b) {
                    best = Some((rank, key.2));
                }
            }
        }
        if let Some((_, call)) = best {
            self.dispatch_call(now, call);
        }
    }

    /// Take an offer back from an agent who let it ring out, refused it or went away; the
    /// call goes back to its place in line.
    fn take_back(&mut self, call: CallId, agent: AgentId, cancel: bool) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.offered.retain(|a| *a != agent);
            if c.offered.is_empty() && c.connected.is_none() {
                // Back in line, in its old place.
                let key = c.key(call);
                if let Some(q) = self.queues.get_mut(&c.queue) {
                    q.waiting.insert(key);
                }
            }
        }
        if cancel {
            self.out.push_back(Decision::CancelOffer { call, agent });
        }
    }

    /// The agent answered the call they were offered.
    pub fn answered(
        &mut self,
        now: Instant,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), RouterError> {
        let c = self.calls.get_mut(&call).ok_or(RouterError::UnknownCall)?;
        if !c.offered.contains(&agent) {
            return Err(RouterError::NotOffered);
        }
        // Connected first, so the agents set free below cannot be offered it again.
        let others: Vec<AgentId> = c.offered.drain(..).filter(|a| *a != agent).collect();
        c.connected = Some(agent);
        c.timer += 1;
        let (queue, arrived) = (c.queue, c.arrived);
        if let Some(q) = self.queues.get_mut(&queue) {
            let wait = now.saturating_duration_since(arrived);
            q.stats.answered += 1;
            q.stats.answered_wait += wait;
            if wait <= q.config.service_level {
                q.stats.answered_in_service_level += 1;
            }
        }
        if let Some(a) = self.agents.get_mut(&agent) {
            a.calls_taken += 1;
            a.refusals = 0;
        }
        self.change(now, agent, AgentState::OnCall(call));
        self.out.push_back(Decision::Ended {
            call,
            outcome: CallOutcome::Answered(agent),
        });
        self.release(now, call, others);
        Ok(())
    }

    /// Agents who were ringing with a call that is gone or taken: cancel and free them (or
    /// log them out, if they asked to).
    fn release(&mut self, now: Instant, call: CallId, agents: Vec<AgentId>) {
        for agent in agents {
            self.out.push_back(Decision::CancelOffer { call, agent });
            let next = self.free_state(agent);
            self.change(now, agent, next);
        }
    }

    /// Where an agent goes when a call no longer holds them: offline if they logged out
    /// meanwhile, back to the state a handed-over call interrupted, else available.
    fn free_state(&mut self, agent: AgentId) -> AgentState {
        match self.agents.get_mut(&agent) {
            Some(a) if a.logout_pending => AgentState::Offline,
            Some(a) => a.resume.take().unwrap_or(AgentState::Available),
            None => AgentState::Available,
        }
    }

    /// The agent refused the offer: the call goes to someone else; twice in a row, and the
    /// agent is not ready ("missed").
    pub fn refused(
        &mut self,
        now: Instant,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), RouterError> {
        self.decline_offer(now, call, agent, Declined::Refused)
    }

    /// The agent's desk was on another call when the offer reached it (a race with a call
    /// the router had not heard of yet): the call goes to someone else, and this does not
    /// count as a refusal.
    pub fn desk_busy(
        &mut self,
        now: Instant,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), RouterError> {
        self.decline_offer(now, call, agent, Declined::Busy)
    }

    /// An offer ringing now is not taken, for `why`.
    fn decline_offer(
        &mut self,
        now: Instant,
        call: CallId,
        agent: AgentId,
        why: Declined,
    ) -> Result<(), RouterError> {
        let c = self.calls.get(&call).ok_or(RouterError::UnknownCall)?;
        if !c.offered.contains(&agent) {
            return Err(RouterError::NotOffered);
        }
        self.decline(now, call, agent, why);
        Ok(())
    }

    fn decline(&mut self, now: Instant, call: CallId, agent: AgentId, why: Declined) {
        self.take_back(call, agent, why == Declined::TimedOut);
        if let Some(c) = self.calls.get_mut(&call) {
            c.declined.push(agent);
        }
        let refusals = self.agents.get_mut(&agent).map_or(0, |a| {
            if why != Declined::Busy {
                a.refusals += 1;
            }
            a.refusals
        });
        let pending_logout = self.agents.get(&agent).is_some_and(|a| a.logout_pending);
        let next = if pending_logout {
            AgentState::Offline
        } else if why == Declined::TimedOut || refusals >= 2 {
            AgentState::NotReady(NotReadyReason::Missed)
        } else {
            self.free_state(agent)
        };
        // The call looks for another agent first, so the one who declined is not picked again.
        self.dispatch_call(now, call);
        self.change(now, agent, next);
    }

    /// The caller hung up (waiting or ringing). Their call leaves as abandoned.
    pub fn caller_left(&mut self, now: Instant, call: CallId) -> Result<(), RouterError> {
        let c = self.calls.get(&call).ok_or(RouterError::UnknownCall)?;
        if let Some(agent) = c.connected {
            // A connected call that ends is `call_ended`'s job.
            return self.call_ended(now, call, agent);
        }
        let (offered, queue) = (c.offered.clone(), c.queue);
        // Out of the router first, so the agents set free cannot be offered it again.
        self.remove_call(call);
        if let Some(q) = self.queues.get_mut(&queue) {
            q.stats.abandoned += 1;
        }
        self.out.push_back(Decision::Ended {
            call,
            outcome: CallOutcome::Abandoned,
        });
        self.release(now, call, offered);
        Ok(())
    }

    /// A connected call ended: the agent goes to wrap-up (or offline, if they logged out).
    pub fn call_ended(
        &mut self,
        now: Instant,
        call: CallId,
        agent: AgentId,
    ) -> Result<(), RouterError> {
        let c = self.calls.get(&call).ok_or(RouterError::UnknownCall)?;
        if c.connected != Some(agent) {
            return Err(RouterError::NotOffered);
        }
        let queue = c.queue;
        self.remove_call(call);
        self.after_call(now, agent, queue);
        Ok(())
    }

    /// An agent is done with a call of `queue`: wrap-up, or offline if they logged out.
    fn after_call(&mut self, now: Instant, agent: AgentId, queue: QueueId) {
        let wrap = self
            .queues
            .get(&queue)
            .map_or(Duration::ZERO, |q| q.config.wrap_up);
        let pending = self.agents.get(&agent).is_some_and(|a| a.logout_pending);
        if pending || wrap.is_zero() {
            let next = self.free_state(agent);
            self.change(now, agent, next);
        } else {
            self.change(now, agent, AgentState::WrapUp);
            if let Some(generation) = self.agents.get(&agent).map(|a| a.timer) {
                self.timers
                    .insert((now + wrap, Timer::WrapUp(agent, generation)));
            }
        }
    }

    /// The agent took or left a call the router did not route: a colleague's consultation,
    /// a direct line's call. An available agent (or one in wrap-up) is `Busy` meanwhile and
    /// offered nothing; an offer ringing for them is taken back without counting as a
    /// refusal. A break or offline stays as it is. When it ends, a busy agent is available.
    pub fn engaged(&mut self, now: Instant, agent: AgentId, on: bool) -> Result<(), RouterError> {
        let state = self
            .agents
            .get(&agent)
            .ok_or(RouterError::UnknownAgent)?
            .state
            .clone();
        match (on, state) {
            (true, AgentState::Available | AgentState::WrapUp) => {
                self.change(now, agent, AgentState::Busy);
            }
            (true, AgentState::Offered(call)) => {
                self.take_back(call, agent, true);
                self.change(now, agent, AgentState::Busy);
                self.dispatch_call(now, call);
            }
            (false, AgentState::Busy) => {
                let next = self.free_state(agent);
                self.change(now, agent, next);
            }
            _ => {}
        }
        Ok(())
    }

    /// An attended transfer completed: `to` has the connected call now. `from` is done with
    /// it (wrap-up); `to` is on it, and after it goes back to a break or offline if that is
    /// where they were.
    pub fn handed_over(
        &mut self,
        now: Instant,
        call: CallId,
        from: AgentId,
        to: AgentId,
    ) -> Result<(), RouterError> {
        let c = self.calls.get(&call).ok_or(RouterError::UnknownCall)?;
        if c.connected != Some(from) || from == to {
            return Err(RouterError::NotOffered);
        }
        let queue = c.queue;
        let state = self
            .agents
            .get(&to)
            .ok_or(RouterError::UnknownAgent)?
            .state
            .clone();
        if matches!(state, AgentState::OnCall(_)) {
            return Err(RouterError::NotOffered);
        }
        if let AgentState::Offered(other) = state {
            self.take_back(other, to, true);
        }
        if let Some(c) = self.calls.get_mut(&call) {
            c.connected = Some(to);
        }
        if let Some(a) = self.agents.get_mut(&to)
            && matches!(state, AgentState::NotReady(_) | AgentState::Offline)
        {
            a.resume = Some(state.clone());
        }
        // Out of the free sets first: a fewest-calls key counts the calls taken.
        self.change(now, to, AgentState::OnCall(call));
        if let Some(a) = self.agents.get_mut(&to) {
            a.calls_taken += 1;
        }
        if let AgentState::Offered(other) = state {
            self.dispatch_call(now, other);
        }
        self.after_call(now, from, queue);
        Ok(())
    }

    /// The agent asks for more wrap-up time.
    pub fn extend_wrap_up(
        &mut self,
        now: Instant,
        agent: AgentId,
        more: Duration,
    ) -> Result<(), RouterError> {
        let a = self
            .agents
            .get_mut(&agent)
            .ok_or(RouterError::UnknownAgent)?;
        if a.state != AgentState::WrapUp {
            return Ok(());
        }
        a.timer += 1;
        let generation = a.timer;
        self.timers
            .insert((now + more, Timer::WrapUp(agent, generation)));
        Ok(())
    }

    fn remove_call(&mut self, call: CallId) {
        if let Some(c) = self.calls.remove(&call)
            && let Some(q) = self.queues.get_mut(&c.queue)
        {
            q.waiting.remove(&c.key(call));
        }
    }

    fn overflow(&mut self, now: Instant, call: CallId) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let from = c.queue;
        let offered: Vec<AgentId> = c.offered.drain(..).collect();
        let key = c.key(call);
        if let Some(q) = self.queues.get_mut(&from) {
            q.waiting.remove(&key);
            q.stats.overflowed += 1;
        }
        let target = self.queues.get(&from).map(|q| q.config.overflow);
        match target {
            Some(Overflow::Queue(to)) if to != from && self.queues.contains_key(&to) => {
                // Out of every line while the agents are freed, then into the next queue.
                self.release(now, call, offered);
                self.out.push_back(Decision::Requeued { call, from, to });
                self.enter_queue(now, call, to);
            }
            _ => {
                self.calls.remove(&call);
                self.out.push_back(Decision::Ended {
                    call,
                    outcome: CallOutcome::Overflowed,
                });
                self.release(now, call, offered);
            }
        }
    }

    /// Let time pass to `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(at, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            match timer {
                Timer::Ring(call, agent, generation) => {
                    let current = self.agents.get(&agent).is_some_and(|a| {
                        a.timer == generation && a.state == AgentState::Offered(call)
                    });
                    if current {
                        self.decline(at, call, agent, Declined::TimedOut);
                    }
                }
                Timer::MaxWait(call, generation) => {
                    if self
                        .calls
                        .get(&call)
                        .is_some_and(|c| c.timer == generation && c.connected.is_none())
                    {
                        self.overflow(at, call);
                    }
                }
                Timer::Announce(call, generation) => {
                    let Some(c) = self.calls.get(&call) else {
                        continue;
                    };
                    if c.timer != generation || c.connected.is_some() {
                        continue;
                    }
                    let Some(q) = self.queues.get(&c.queue) else {
                        continue;
                    };
                    let key = c.key(call);
                    let position = q.waiting.range(..key).count() + 1;
                    let per_call = if q.stats.answered > 0 {
                        q.stats.answered_wait / q.stats.answered as u32
                    } else {
                        q.config.ring_timeout
                    };
                    let free = q.free.len().max(1) as u32;
                    let expected_wait = per_call * position as u32 / free;
                    if let Some(every) = q.config.announce_every {
                        self.timers
                            .insert((at + every, Timer::Announce(call, generation)));
                    }
                    self.out.push_back(Decision::Announce {
                        call,
                        position,
                        expected_wait,
                    });
                }
                Timer::WrapUp(agent, generation) => {
                    if self
                        .agents
                        .get(&agent)
                        .is_some_and(|a| a.timer == generation && a.state == AgentState::WrapUp)
                    {
                        let next = self.free_state(agent);
                        self.change(at, agent, next);
                    }
                }
            }
        }
    }

    /// When [`Router::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first().map(|(at, _)| *at)
    }

    /// The next decision.
    pub fn poll_output(&mut self) -> Option<Decision> {
        self.out.pop_front()
    }

    /// An agent's state.
    pub fn agent_state(&self, agent: AgentId) -> Option<&AgentState> {
        self.agents.get(&agent).map(|a| &a.state)
    }

    /// Calls waiting in a queue, in the order they will be taken, with their wait.
    pub fn waiting(&self, queue: QueueId, now: Instant) -> Vec<(CallId, Duration)> {
        self.queues.get(&queue).map_or_else(Vec::new, |q| {
            q.waiting
                .iter()
                .filter_map(|k| {
                    self.calls
                        .get(&k.2)
                        .map(|c| (k.2, now.saturating_duration_since(c.arrived)))
                })
                .collect()
        })
    }

    /// The agents who serve a queue, with their states. A scan of the tenant's agents: for
    /// live views, not for routing decisions.
    pub fn members(&self, queue: QueueId) -> Vec<(AgentId, &AgentState)> {
        let mut out: Vec<(AgentId, &AgentState)> = self
            .agents
            .iter()
            .filter(|(_, a)| a.queues.iter().any(|(q, _)| *q == queue))
            .map(|(id, a)| (*id, &a.state))
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }

    /// A queue's counters.
    pub fn stats(&self, queue: QueueId) -> Option<QueueStats> {
        self.queues.get(&queue).map(|q| q.stats)
    }

    /// Set a queue's counters, e.g. to today's figures from the call records when the router
    /// starts; a queue not configured is ignored.
    pub fn restore_stats(&mut self, queue: QueueId, stats: QueueStats) {
        if let Some(q) = self.queues.get_mut(&queue) {
            q.stats = stats;
        }
    }

    /// Zero every queue's counters (a new day began).
    pub fn reset_stats(&mut self) {
        for q in self.queues.values_mut() {
            q.stats = QueueStats::default();
        }
    }

    /// Calls in the router (waiting, ringing or connected).
    pub fn calls(&self) -> usize {
        self.calls.len()
    }

    /// Check every invariant; `Err` names the first broken one. For tests and debugging.
    pub fn check(&self) -> Result<(), String> {
        for (id, c) in &self.calls {
            let ringing_all = self
                .queues
                .get(&c.queue)
                .is_some_and(|q| q.config.strategy == Strategy::RingAll);
            if c.offered.len() > 1 && !ringing_all {
                return Err(format!("{id:?} is offered to {} agents", c.offered.len()));
            }
            for a in &c.offered {
                if self.agents.get(a).map(|a| &a.state) != Some(&AgentState::Offered(*id)) {
                    return Err(format!(
                        "{id:?} is offered to {a:?}, who is not ringing with it"
                    ));
                }
                if !self.agents.get(a).is_some_and(|a| a.phone) {
                    return Err(format!("{id:?} rings {a:?}, whose phone cannot ring"));
                }
            }
            if let Some(a) = c.connected
                && self.agents.get(&a).map(|a| &a.state) != Some(&AgentState::OnCall(*id))
            {
                return Err(format!("{id:?} is connected to {a:?}, who is not on it"));
            }
            let queued = self
                .queues
                .get(&c.queue)
                .is_some_and(|q| q.waiting.contains(&c.key(*id)));
            if queued != (c.offered.is_empty() && c.connected.is_none()) {
                return Err(format!(
                    "{id:?} is in line while ringing or connected, or out of line while waiting"
                ));
            }
        }
        for (qid, q) in &self.queues {
            for key in &q.free {
                let level = self
                    .agents
                    .get(&key.2)
                    .and_then(|a| a.queues.iter().find(|(q, _)| q == qid))
                    .map(|(_, l)| *l);
                if level.and_then(|l| self.agent_key(key.2, *qid, l)) != Some(*key) {
                    return Err(format!("{qid:?} holds a stale free entry {key:?}"));
                }
            }
        }
        for (id, a) in &self.agents {
            match a.state {
                AgentState::Offered(call)
                    if !self
                        .calls
                        .get(&call)
                        .is_some_and(|c| c.offered.contains(id)) =>
                {
                    return Err(format!(
                        "{id:?} rings with {call:?}, which does not offer it"
                    ));
                }
                AgentState::OnCall(call)
                    if self.calls.get(&call).and_then(|c| c.connected) != Some(*id) =>
                {
                    return Err(format!(
                        "{id:?} is on {call:?}, which is not connected to it"
                    ));
                }
                _ => {}
            }
            for (q, level) in &a.queues {
                let free = self
                    .agent_key(*id, *q, *level)
                    .is_some_and(|k| self.queues.get(q).is_some_and(|q| q.free.contains(&k)));
                if free != (a.state == AgentState::Available && a.phone) {
                    return Err(format!("{id:?}'s place in the free set of {q:?} is wrong"));
                }
            }
        }
        Ok(())
    }
}
