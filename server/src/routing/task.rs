//! One tenant's router task: the sans-IO router of `switchboard-acd` fed with commands and
//! the clock, its decisions carried out on the desks (through [`DeskLink`]), the waiting
//! calls and the store (counters, agent states).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use switchboard_acd::{
    AgentId, AgentState, CallId, CallOutcome, Decision, NotReadyReason, Overflow, QueueConfig,
    QueueId, QueueStats, Router, RouterError, Strategy,
};
use switchboard_proto::{AgentStatus, Live, LiveAgent, LiveCall, ServerMessage};
use tokio::sync::mpsc::{self, UnboundedSender};
use uuid::Uuid;

use super::{Arrival, Command, DeskChange, DeskLink, QueueNotice, Report, Reporter, Ring};
use crate::store::{Store, TenantId, queue, queue_event, tenant};

/// Stable small ids for the router, both ways.
#[derive(Default)]
struct Ids {
    to_small: HashMap<Uuid, u64>,
    to_uuid: HashMap<u64, Uuid>,
    next: u64,
}

impl Ids {
    fn small(&mut self, id: Uuid) -> u64 {
        if let Some(n) = self.to_small.get(&id) {
            return *n;
        }
        self.next += 1;
        self.to_small.insert(id, self.next);
        self.to_uuid.insert(self.next, id);
        self.next
    }

    fn uuid(&self, n: u64) -> Option<Uuid> {
        self.to_uuid.get(&n).copied()
    }

    /// A call is over: its ids go, so the maps do not grow with every call.
    fn forget(&mut self, id: Uuid) {
        if let Some(n) = self.to_small.remove(&id) {
            self.to_uuid.remove(&n);
        }
    }
}

struct Waiting {
    arrival: Arrival,
    agent: Option<Uuid>,
}

pub(super) struct Task {
    tenant: TenantId,
    store: Store,
    desks: Arc<dyn DeskLink>,
    reports: UnboundedSender<Command>,
    router: Router,
    ids: Ids,
    calls: HashMap<Uuid, Waiting>,
    logged_in: HashSet<Uuid>,
    /// Each call in the router: its queue now, and when it arrived (for the recorded wait).
    placed: HashMap<Uuid, (Uuid, Instant)>,
    /// Each queue's name and service-level time.
    queue_info: HashMap<Uuid, (String, Duration)>,
    /// Calls that ended: their small ids are dropped once their decisions are carried out.
    finished: Vec<Uuid>,
    /// The tenant's time zone and today's date there: the counters restart at midnight.
    tz: Tz,
    day: NaiveDate,
}

impl Task {
    pub(super) fn new(
        tenant: TenantId,
        store: Store,
        desks: Arc<dyn DeskLink>,
        reports: UnboundedSender<Command>,
    ) -> Task {
        Task {
            tenant,
            store,
            desks,
            reports,
            router: Router::new(),
            ids: Ids::default(),
            calls: HashMap::new(),
            logged_in: HashSet::new(),
            placed: HashMap::new(),
            queue_info: HashMap::new(),
            finished: Vec::new(),
            tz: Tz::UTC,
            day: NaiveDate::default(),
        }
    }

    /// The start of today in the tenant's time zone.
    fn midnight(&self) -> DateTime<Utc> {
        let local = self.day.and_time(NaiveTime::MIN);
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
    }

    fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.tz).date_naive()
    }

    /// Today's counters from the recorded queue events, so a router that (re)starts goes on
    /// from the same figures the records hold.
    async fn restore_counters(&mut self) {
        let loaded = async {
            let mut db = self.store.tenant_tx(self.tenant).await?;
            let tz = tenant::get(&mut db, self.tenant)
                .await?
                .and_then(|t| t.time_zone.parse::<Tz>().ok());
            db.commit().await?;
            if let Some(tz) = tz {
                self.tz = tz;
            }
            self.day = self.today();
            let mut db = self.store.tenant_tx(self.tenant).await?;
            let counters = queue_event::counters(
                &mut db,
                self.tenant,
                self.midnight(),
                DateTime::<Utc>::MAX_UTC,
            )
            .await?;
            db.commit().await?;
            Ok::<_, sqlx::Error>(counters)
        }
        .await;
        match loaded {
            Ok(counters) => {
                for (queue, c) in counters {
                    let n = |v: i64| u64::try_from(v).unwrap_or(0);
                    let stats = QueueStats {
                        offered: n(c.offered),
                        answered: n(c.answered),
                        answered_in_service_level: n(c.answered_in_service_level),
                        abandoned: n(c.abandoned),
                        overflowed: n(c.overflowed),
                        answered_wait: Duration::from_millis(n(c.answered_wait_ms)),
                    };
                    self.router
                        .restore_stats(QueueId(self.ids.small(queue)), stats);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, tenant_id = %self.tenant, "loading today's queue counters failed");
            }
        }
    }

    /// At the tenant's midnight the counters start again.
    fn roll_day(&mut self) {
        let today = self.today();
        if today != self.day {
            self.day = today;
            self.router.reset_stats();
        }
    }

    /// Write a counted event of `call` in `queue` (in the background, in order per call).
    fn count(&self, queue: Uuid, call: Uuid, kind: queue_event::Kind) {
        let (store, tenant, at) = (self.store.clone(), self.tenant, Utc::now());
        tokio::spawn(async move {
            let written = async {
                let mut db = store.tenant_tx(tenant).await?;
                queue_event::record(&mut db, tenant, queue, call, kind, at).await?;
                db.commit().await
            }
            .await;
            if let Err(e) = written {
                tracing::error!(error = %e, %call, "recording a queue event failed");
            }
        });
    }

    async fn load_queues(&mut self) {
        let queues = match self.store.tenant_tx(self.tenant).await {
            Ok(mut db) => {
                let q = queue::list(&mut db, self.tenant, None).await;
                let _ = db.commit().await;
                q
            }
            Err(e) => Err(e),
        };
        let Ok(queues) = queues else {
            tracing::error!(tenant_id = %self.tenant, "loading queues failed");
            return;
        };
        for q in queues {
            let s = &q.settings;
            self.queue_info.insert(
                q.id,
                (
                    s.name.clone(),
                    Duration::from_secs(s.service_level_secs.max(0) as u64),
                ),
            );
            let strategy = match s.strategy.as_str() {
                "round_robin" => Strategy::RoundRobin,
                "fewest_calls" => Strategy::FewestCalls,
                "skills" => Strategy::Skills,
                "ring_all" => Strategy::RingAll,
                _ => Strategy::LongestIdle,
            };
            let secs = |v: Option<i32>| v.map(|s| Duration::from_secs(s.max(0) as u64));
            let config = QueueConfig {
                id: QueueId(self.ids.small(q.id)),
                strategy,
                priority: s.priority,
                skill: s
                    .skill_id
                    .map(|k| (self.ids.small(k) as u32, s.min_level.clamp(1, 5) as u8)),
                ring_timeout: Duration::from_secs(s.ring_timeout_secs.max(1) as u64),
                wrap_up: Duration::from_secs(s.wrap_up_secs.max(0) as u64),
                max_wait: secs(s.max_wait_secs),
                max_len: s.max_len.map(|l| l.max(0) as usize),
                overflow: match s.overflow_queue_id {
                    Some(to) => Overflow::Queue(QueueId(self.ids.small(to))),
                    None => Overflow::Leave,
                },
                announce_every: secs(s.announce_every_secs.filter(|s| *s > 0)),
                service_level: Duration::from_secs(s.service_level_secs.max(0) as u64),
            };
            self.router.configure_queue(config);
        }
    }

    /// Log an agent in to the router with the queues they serve and their skill levels.
    async fn login(&mut self, agent: Uuid) {
        let loaded = async {
            let mut db = self.store.tenant_tx(self.tenant).await?;
            let queues = queue::list(&mut db, self.tenant, None).await?;
            let skills = queue::agent_skills(&mut db, self.tenant, agent).await?;
            db.commit().await?;
            Ok::<_, sqlx::Error>((queues, skills))
        }
        .await;
        let Ok((queues, skills)) = loaded else {
            tracing::error!(tenant_id = %self.tenant, %agent, "loading an agent's queues failed");
            return;
        };
        let served: Vec<QueueId> = queues
            .iter()
            .filter(|q| q.members.contains(&agent))
            .map(|q| QueueId(self.ids.small(q.id)))
            .collect();
        let levels: HashMap<u32, u8> = skills
            .iter()
            .map(|s| (self.ids.small(s.skill_id) as u32, s.level.clamp(1, 5) as u8))
            .collect();
        let id = AgentId(self.ids.small(agent));
        self.router.login(id, &served, &levels);
        // Whether their phone can ring now; the desks report every change after this.
        let can_ring = self.desks.can_ring(agent);
        if let Err(e) = self.router.phone(Instant::now(), id, can_ring) {
            tracing::error!(error = %e, %agent, "telling the router of a phone failed");
        }
        self.logged_in.insert(agent);
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        self.load_queues().await;
        self.restore_counters().await;
        let mut every_minute = tokio::time::interval(Duration::from_secs(60));
        loop {
            let deadline = self.router.poll_timeout();
            tokio::select! {
                _ = every_minute.tick() => self.roll_day(),
                command = commands.recv() => {
                    let Some(command) = command else { break };
                    self.handle(command).await;
                }
                () = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                        None => std::future::pending().await,
                    }
                } => self.router.handle_timeout(Instant::now()),
            }
            self.carry_out(Instant::now());
        }
    }

    async fn handle(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Arrived(arrival) => {
                let (call, priority) = (arrival.call, arrival.priority);
                let (c, q) = (
                    CallId(self.ids.small(call)),
                    QueueId(self.ids.small(arrival.queue)),
                );
                // Inserted first: the router may offer the call at once.
                self.calls.insert(
                    call,
                    Waiting {
                        arrival,
                        agent: None,
                    },
                );
                let queue = self.calls.get(&call).map(|w| w.arrival.queue);
                if self.router.call_arrived(now, c, q, priority).is_err() {
                    // No such queue (deleted since the number was set): the call ends.
                    if let Some(w) = self.calls.remove(&call) {
                        let _ = w.arrival.notices.send(QueueNotice::GiveUp);
                    }
                } else if let Some(queue) = queue {
                    self.placed.insert(call, (queue, now));
                    self.count(queue, call, queue_event::Kind::Offered);
                }
            }
            Command::Ended { call } => {
                self.finished.push(call);
                let c = CallId(self.ids.small(call));
                match self.calls.remove(&call).and_then(|w| w.agent) {
                    Some(agent) => {
                        let result = self
                            .router
                            .call_ended(now, c, AgentId(self.ids.small(agent)));
                        noted(self.tenant, "call_ended", result);
                    }
                    None => {
                        let result = self.router.caller_left(now, c);
                        noted(self.tenant, "caller_left", result);
                    }
                }
            }
            Command::State { agent, state } => {
                if !self.logged_in.contains(&agent) {
                    self.login(agent).await;
                }
                let result = self
                    .router
                    .set_state(now, AgentId(self.ids.small(agent)), state);
                noted(self.tenant, "set_state", result);
            }
            Command::Report(Report::Answered { call, agent }) => {
                let (c, a) = (CallId(self.ids.small(call)), AgentId(self.ids.small(agent)));
                if self.router.answered(now, c, a).is_ok()
                    && let Some(w) = self.calls.get_mut(&call)
                {
                    w.agent = Some(agent);
                    // The record names the agent who took the call.
                    tokio::spawn(crate::store::call::name_agent(
                        self.store.clone(),
                        self.tenant,
                        call,
                        agent,
                    ));
                }
            }
            Command::Report(Report::Refused { call, agent }) => {
                let (c, a) = (CallId(self.ids.small(call)), AgentId(self.ids.small(agent)));
                let result = self.router.refused(now, c, a);
                noted(self.tenant, "refused", result);
            }
            Command::DeskBusy { call, agent } => {
                let (c, a) = (CallId(self.ids.small(call)), AgentId(self.ids.small(agent)));
                let result = self.router.desk_busy(now, c, a);
                noted(self.tenant, "desk_busy", result);
            }
            Command::Desk(DeskChange::Engaged { agent, on }) => {
                // An agent the router never had is offered nothing anyway.
                if self.logged_in.contains(&agent) {
                    let result = self.router.engaged(now, AgentId(self.ids.small(agent)), on);
                    noted(self.tenant, "engaged", result);
                }
            }
            Command::Desk(DeskChange::Phone { agent, can_ring }) => {
                if self.logged_in.contains(&agent) {
                    let result = self
                        .router
                        .phone(now, AgentId(self.ids.small(agent)), can_ring);
                    noted(self.tenant, "phone", result);
                }
            }
            Command::Desk(DeskChange::HandedOver { call, from, to }) => {
                self.handed_over(now, call, from, to).await;
            }
            Command::ExtendWrapUp { agent, more } => {
                if self.logged_in.contains(&agent) {
                    let result =
                        self.router
                            .extend_wrap_up(now, AgentId(self.ids.small(agent)), more);
                    noted(self.tenant, "extend_wrap_up", result);
                }
            }
            Command::Transfer { call, agent, queue } => self.transfer(now, call, agent, queue),
            Command::Disconnected { agent } => {
                if self.logged_in.contains(&agent) {
                    let result = self
                        .router
                        .disconnected(now, AgentId(self.ids.small(agent)));
                    noted(self.tenant, "disconnected", result);
                }
            }
            Command::Live { queue, reply } => {
                let q = QueueId(self.ids.small(queue));
                let _ = reply.send(self.live(q, now));
            }
            Command::Reload => {
                self.load_queues().await;
                // Members and skills may have changed: log the agents in again.
                let agents: Vec<Uuid> = self.logged_in.iter().copied().collect();
                for agent in agents {
                    self.login(agent).await;
                }
            }
        }
    }

    /// A transfer of a routed call completed: the router moves it to `to`, or lets it go
    /// (an outside number); `from` wraps up. A call the router did not route is ignored.
    async fn handed_over(&mut self, now: Instant, call: Uuid, from: Uuid, to: Option<Uuid>) {
        if self.calls.get(&call).and_then(|w| w.agent) != Some(from) {
            return;
        }
        if let Some(to) = to
            && !self.logged_in.contains(&to)
        {
            self.login(to).await;
        }
        let (c, a) = (CallId(self.ids.small(call)), AgentId(self.ids.small(from)));
        let moved = match to {
            Some(to) => self
                .router
                .handed_over(now, c, a, AgentId(self.ids.small(to)))
                .is_ok(),
            None => false,
        };
        if !moved {
            // Out of the router: the agent who had it is done with it.
            let result = self.router.call_ended(now, c, a);
            noted(self.tenant, "call_ended", result);
        }
        if let Some(w) = self.calls.get_mut(&call) {
            w.agent = to.filter(|_| moved);
        }
    }

    fn transfer(&mut self, now: Instant, call: Uuid, agent: Uuid, queue: Uuid) {
        let (c, a, q) = (
            CallId(self.ids.small(call)),
            AgentId(self.ids.small(agent)),
            QueueId(self.ids.small(queue)),
        );
        let Some(w) = self.calls.get_mut(&call).filter(|w| w.agent == Some(agent)) else {
            return;
        };
        if self.router.call_ended(now, c, a).is_err() {
            return;
        }
        w.agent = None;
        self.move_to_queue(call, queue);
        let Some(w) = self.calls.get(&call) else {
            return;
        };
        let priority = w.arrival.priority;
        if self.router.call_arrived(now, c, q, priority).is_err() {
            // No such queue: nobody can take it.
            if let Some(w) = self.calls.remove(&call) {
                let _ = w.arrival.notices.send(QueueNotice::GiveUp);
            }
            return;
        }
        self.placed.insert(call, (queue, now));
        self.count(queue, call, queue_event::Kind::Offered);
    }

    /// A call now belongs to `queue` (a transfer, an overflow): what its next agent is told,
    /// and its record.
    fn move_to_queue(&mut self, call: Uuid, queue: Uuid) {
        let name = self.queue_info.get(&queue).map(|(n, _)| n.clone());
        if let Some(w) = self.calls.get_mut(&call) {
            w.arrival.queue = queue;
            w.arrival.details.queue_id = Some(queue);
            w.arrival.details.queue_name = name;
        }
        let (store, tenant) = (self.store.clone(), self.tenant);
        tokio::spawn(async move {
            let saved = async {
                let mut db = store.tenant_tx(tenant).await?;
                crate::store::call::set_queue(&mut db, tenant, call, Some(queue), None).await?;
                db.commit().await
            }
            .await;
            if let Err(e) = saved {
                tracing::error!(error = %e, %call, "noting a call's new queue failed");
            }
        });
    }

    fn live(&self, q: QueueId, now: Instant) -> Live {
        let waiting = self
            .router
            .waiting(q, now)
            .into_iter()
            .filter_map(|(c, wait)| {
                let call_id = self.ids.uuid(c.0)?;
                Some(LiveCall {
                    call_id,
                    from: self
                        .calls
                        .get(&call_id)
                        .map(|w| w.arrival.from.clone())
                        .unwrap_or_default(),
                    waiting_secs: wait.as_secs(),
                })
            })
            .collect();
        let agents = self
            .router
            .members(q)
            .into_iter()
            .filter_map(|(a, state)| {
                let call_id = match state {
                    AgentState::OnCall(c) | AgentState::Offered(c) => self.ids.uuid(c.0),
                    _ => None,
                };
                Some(LiveAgent {
                    user_id: self.ids.uuid(a.0)?,
                    state: status(state),
                    can_ring: self.router.can_ring(a),
                    call_id,
                })
            })
            .collect();
        let stats = self.router.stats(q).unwrap_or_default();
        Live {
            waiting,
            agents,
            offered: stats.offered,
            answered: stats.answered,
            answered_in_service_level: stats.answered_in_service_level,
            abandoned: stats.abandoned,
            overflowed: stats.overflowed,
            service_level_percent: (stats.answered > 0)
                .then(|| 100.0 * stats.answered_in_service_level as f64 / stats.answered as f64),
        }
    }

    /// Write an agent's state change (in the background).
    fn record_state(
        &self,
        agent: Uuid,
        state: &'static str,
        reason: Option<String>,
        at: Instant,
        now: Instant,
    ) {
        let at = Utc::now()
            - chrono::Duration::from_std(now.saturating_duration_since(at)).unwrap_or_default();
        let (store, tenant) = (self.store.clone(), self.tenant);
        tokio::spawn(async move {
            let written = async {
                let mut db = store.tenant_tx(tenant).await?;
                queue_event::record_agent_state(
                    &mut db,
                    tenant,
                    agent,
                    state,
                    reason.as_deref(),
                    at,
                )
                .await?;
                db.commit().await
            }
            .await;
            if let Err(e) = written {
                tracing::error!(error = %e, %agent, "recording an agent's state failed");
            }
        });
    }

    /// Record what the router's decisions count: the same events its counters count.
    fn count_decision(&mut self, decision: &Decision, now: Instant) {
        let (call, to) = match decision {
            Decision::Ended { call, outcome } => {
                let Some(call) = self.ids.uuid(call.0) else {
                    return;
                };
                let Some((queue, arrived)) = self.placed.remove(&call) else {
                    return;
                };
                let kind = match outcome {
                    CallOutcome::Answered(_) => {
                        let wait = now.saturating_duration_since(arrived);
                        let sl = self
                            .queue_info
                            .get(&queue)
                            .map(|(_, sl)| *sl)
                            .unwrap_or_default();
                        queue_event::Kind::Answered {
                            wait_ms: i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
                            in_service_level: wait <= sl,
                        }
                    }
                    CallOutcome::Abandoned => queue_event::Kind::Abandoned,
                    CallOutcome::Overflowed => queue_event::Kind::Overflowed,
                };
                return self.count(queue, call, kind);
            }
            Decision::Requeued { call, to, .. } => (*call, *to),
            _ => return,
        };
        let (Some(call), Some(to)) = (self.ids.uuid(call.0), self.ids.uuid(to.0)) else {
            return;
        };
        if let Some((queue, _)) = self.placed.get_mut(&call) {
            let from = std::mem::replace(queue, to);
            self.count(from, call, queue_event::Kind::Overflowed);
            self.count(to, call, queue_event::Kind::Offered);
        }
        self.move_to_queue(call, to);
    }

    /// Carry out the router's decisions.
    fn carry_out(&mut self, now: Instant) {
        while let Some(decision) = self.router.poll_output() {
            self.count_decision(&decision, now);
            match decision {
                Decision::Offer { call, agent } => {
                    let (Some(call), Some(agent)) = (self.ids.uuid(call.0), self.ids.uuid(agent.0))
                    else {
                        continue;
                    };
                    let Some(w) = self.calls.get(&call) else {
                        continue;
                    };
                    let reports = self.reports.clone();
                    let offered = self.desks.ring(Ring {
                        call,
                        tenant: self.tenant,
                        agent,
                        from: w.arrival.from.clone(),
                        to: w.arrival.to.clone(),
                        details: w.arrival.details.clone(),
                        events: w.arrival.events.clone(),
                        report: Some(Reporter::new(move |r| {
                            let _ = reports.send(Command::Report(r));
                        })),
                        by_router: true,
                    });
                    // The desk cannot take it (on another call, or its phone went a moment ago
                    // and the router has not heard yet): the router moves on, and the agent
                    // did not refuse anything.
                    if offered.is_err() {
                        let _ = self.reports.send(Command::DeskBusy { call, agent });
                    }
                }
                Decision::CancelOffer { call, agent } => {
                    if let (Some(call), Some(agent)) =
                        (self.ids.uuid(call.0), self.ids.uuid(agent.0))
                    {
                        self.desks.withdraw(call, agent);
                    }
                }
                Decision::Ended {
                    call,
                    outcome: CallOutcome::Overflowed,
                } => {
                    if let Some(w) = self.ids.uuid(call.0).and_then(|c| self.calls.remove(&c)) {
                        // Nowhere else to go: the caller hears that all agents are busy.
                        let _ = w.arrival.notices.send(QueueNotice::GiveUp);
                    }
                }
                Decision::Announce {
                    call,
                    position,
                    expected_wait,
                } => {
                    if let Some(w) = self.ids.uuid(call.0).and_then(|c| self.calls.get(&c)) {
                        let _ = w.arrival.notices.send(QueueNotice::Announce {
                            position,
                            expected_wait: (!expected_wait.is_zero()).then_some(expected_wait),
                        });
                    }
                }
                Decision::AgentChanged { agent, state, at } => {
                    if let Some(agent) = self.ids.uuid(agent.0) {
                        let reason = match &state {
                            AgentState::NotReady(NotReadyReason::Break(r)) => Some(r.clone()),
                            AgentState::NotReady(NotReadyReason::Missed) => Some("missed".into()),
                            AgentState::NotReady(NotReadyReason::Disconnected) => {
                                Some("disconnected".into())
                            }
                            _ => None,
                        };
                        self.record_state(agent, state.name(), reason.clone(), at, now);
                        self.desks.tell(
                            agent,
                            ServerMessage::AgentState {
                                state: status(&state),
                                reason,
                            },
                        );
                    }
                }
                Decision::Ended { .. } | Decision::Requeued { .. } => {}
            }
        }
        for call in std::mem::take(&mut self.finished) {
            self.ids.forget(call);
        }
    }
}

/// An agent's state as the desk shows it.
fn status(state: &AgentState) -> AgentStatus {
    match state {
        AgentState::Offline => AgentStatus::Offline,
        AgentState::Available => AgentStatus::Available,
        AgentState::Offered(_) => AgentStatus::Offered,
        AgentState::OnCall(_) => AgentStatus::OnCall,
        AgentState::WrapUp => AgentStatus::WrapUp,
        AgentState::NotReady(_) => AgentStatus::NotReady,
        AgentState::Busy => AgentStatus::Busy,
    }
}

/// A report the router refused: a race the router resolves by itself (a late answer after the
/// caller left, an offer already taken back), not an error. Kept in the debug log.
fn noted(tenant: TenantId, what: &'static str, result: Result<(), RouterError>) {
    if let Err(e) = result {
        tracing::debug!(tenant_id = %tenant, what, error = %e, "the router refused a report");
    }
}
