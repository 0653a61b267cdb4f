//! The agents' side of this node's calls: the driver of the sans-IO [`Board`]. It feeds the
//! board what desks ask (over their sockets), what the hub says of legs, what calls report
//! and the time, and carries out the board's effects on the desks, the calls' bridges and
//! machines, the routers and the records. It also records bridged calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use switchboard_media::bridge::MonitorMode;
use switchboard_media::webrtc::{LegId, WebRtcError};
use switchboard_proto::{ErrorCode, ServerMessage};
use switchboard_sip::call::Event as CallEvent;
use tokio::sync::Notify;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use uuid::Uuid;

use super::board::{Board, DeskError, Effect, Offer, TransferStep};
use crate::desks::Desks;
use crate::domain::Role;
use crate::media::Hub;
use crate::media::hub::LegNotice;
use crate::media::rtp::BridgeCmd;
use crate::recording::RecordingStore;
use crate::routing::{DeskChange, DeskLink, Reporter, Ring, RingRefused};
use crate::store::{Store, TenantId};

/// Hears [`DeskChange`]s.
type Listener = Box<dyn Fn(TenantId, DeskChange) + Send + Sync>;

/// The channels of the calls on the board.
#[derive(Debug, Default)]
struct Wiring {
    /// Each call's machine (accept, refuse, hang up).
    events: HashMap<Uuid, UnboundedSender<CallEvent>>,
    /// Each connected (or waiting) call's bridge.
    bridges: HashMap<Uuid, UnboundedSender<BridgeCmd>>,
    /// Who offered each call and hears the agent's answer.
    reporters: HashMap<Uuid, Reporter>,
}

#[derive(Debug, Default)]
struct Inner {
    board: Board,
    wiring: Wiring,
}

/// The agents' side of this node's calls. Cheap to clone.
#[derive(Clone)]
pub struct Agents {
    inner: Arc<Mutex<Inner>>,
    desks: Desks,
    /// Where bridged calls are recorded, when this node records them.
    pub recordings: Arc<dyn RecordingStore>,
    pub record_calls: bool,
    /// To note on the call record who has the call after a transfer.
    store: Store,
    /// Where the router hears of calls it did not route ([`Agents::on_change`]).
    listener: Arc<OnceLock<Listener>>,
    /// Wakes the timer task when the board's next timeout may have moved.
    timers: Arc<Notify>,
}

impl std::fmt::Debug for Agents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Agents")
    }
}

impl Agents {
    /// The agents' side over `desks`, hearing the hub's leg notices from `legs`.
    pub fn start(
        desks: Desks,
        legs: UnboundedReceiver<(LegId, LegNotice)>,
        recordings: Arc<dyn RecordingStore>,
        record_calls: bool,
        store: Store,
    ) -> Agents {
        let agents = Agents {
            inner: Arc::default(),
            desks,
            recordings,
            record_calls,
            store,
            listener: Arc::default(),
            timers: Arc::default(),
        };
        tokio::spawn(agents.clone().hear_legs(legs));
        tokio::spawn(agents.clone().run_timers());
        agents
    }

    /// The WebRTC hub the desks' legs live on.
    pub fn hub(&self) -> &Hub {
        &self.desks.hub
    }

    /// Who hears of [`DeskChange`]s (the router); set once.
    pub fn on_change(&self, listener: impl Fn(TenantId, DeskChange) + Send + Sync + 'static) {
        let _ = self.listener.set(Box::new(listener));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The board's methods do not panic on any input; a panic while holding the lock would
        // be a bug, and the board stays usable after it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Run `f` on the board, then carry out what it asks, under the same lock so effects keep
    /// their order.
    fn with<T>(&self, f: impl FnOnce(&mut Board) -> T) -> T {
        let mut inner = self.lock();
        let result = f(&mut inner.board);
        self.carry_out(&mut inner);
        result
    }

    fn carry_out(&self, inner: &mut Inner) {
        let Inner { board, wiring } = inner;
        while let Some(effect) = board.poll_effect() {
            match effect {
                Effect::Tell { user, message } => self.desks.send(user, message),
                Effect::Bridge { call, cmd } => {
                    if let Some(b) = wiring.bridges.get(&call) {
                        let _ = b.send(cmd);
                    }
                }
                Effect::Patch { call, to } => {
                    let other = to.and_then(|t| wiring.bridges.get(&t).cloned());
                    if let Some(b) = wiring.bridges.get(&call) {
                        let _ = b.send(BridgeCmd::Patch(other));
                    }
                }
                Effect::Attach { leg, to } => {
                    let sink = to.and_then(|(call, party)| {
                        wiring.bridges.get(&call).map(|b| (b.clone(), party))
                    });
                    self.desks.hub.attach(leg, sink);
                }
                Effect::Call { call, event } => {
                    if let Some(e) = wiring.events.get(&call) {
                        let _ = e.send(event);
                    }
                }
                Effect::Router { tenant, change } => {
                    if let Some(listener) = self.listener.get() {
                        listener(tenant, change);
                    }
                }
                Effect::Report { call, report } => {
                    if let Some(r) = wiring.reporters.get(&call) {
                        r.report(report);
                    }
                }
                Effect::AssignAgent {
                    tenant,
                    call,
                    agent,
                } => {
                    tokio::spawn(crate::store::call::name_agent(
                        self.store.clone(),
                        tenant,
                        call,
                        agent,
                    ));
                }
                Effect::Forget { call } => {
                    wiring.events.remove(&call);
                    wiring.bridges.remove(&call);
                    wiring.reporters.remove(&call);
                }
            }
        }
    }

    async fn hear_legs(self, mut legs: UnboundedReceiver<(LegId, LegNotice)>) {
        while let Some((leg, notice)) = legs.recv().await {
            let closed = matches!(notice, LegNotice::Closed(_));
            let Some(user) = self.desks.leg_user(leg, closed) else {
                continue;
            };
            self.with(|board| match notice {
                LegNotice::Connected(laws) => board.leg_connected(user, leg, laws),
                LegNotice::Quality(q) => board.leg_quality(user, q),
                LegNotice::Closed(_) => board.leg_closed(user, leg),
            });
        }
    }

    async fn run_timers(self) {
        loop {
            let deadline = self.lock().board.poll_timeout();
            let wake = self.timers.notified();
            match deadline {
                Some(d) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(tokio::time::Instant::from_std(d)) => {
                            self.with(|board| board.handle_timeout(Instant::now()));
                        }
                        () = wake => {}
                    }
                }
                None => wake.await,
            }
        }
    }

    /// A page of `user` signed in; returns its connection number. It takes over from an
    /// earlier page of the same user, and is told where the desk is.
    pub fn connect(&self, user: Uuid, tenant: TenantId, tx: UnboundedSender<ServerMessage>) -> u64 {
        let conn = self.desks.connect(user, tx);
        self.with(|board| board.connect(user, tenant));
        conn
    }

    /// Page `conn` of `user` closed. The media leg and any call stay: it may be reloading.
    pub fn disconnect(&self, user: Uuid, conn: u64) {
        if self.desks.disconnect(user, conn) {
            self.with(|board| board.disconnect(user));
        }
    }

    /// Whether `user` has a page open now.
    pub fn is_connected(&self, user: Uuid) -> bool {
        self.desks.is_connected(user)
    }

    /// Send a message to `user`'s page, if one is open.
    pub fn tell_user(&self, user: Uuid, message: ServerMessage) {
        self.desks.send(user, message);
    }

    /// Whether a call offered to `user` now would ring on their desk.
    pub fn can_ring(&self, user: Uuid) -> bool {
        self.lock().board.can_ring(user)
    }

    /// An SDP offer for `user`'s media session; returns the answer. With `restart`, the live
    /// leg is renegotiated (ICE restart); otherwise a new leg replaces it.
    pub async fn offer(&self, user: Uuid, sdp: String, restart: bool) -> Result<String, DeskError> {
        let old = self.lock().board.leg(user);
        let (leg, answer) =
            self.desks
                .offer(user, old, restart, sdp)
                .await
                .map_err(|e| match e {
                    WebRtcError::BadSdp(m) => DeskError {
                        code: ErrorCode::BadSdp,
                        message: m,
                    },
                    e => DeskError {
                        code: ErrorCode::OfferRefused,
                        message: e.to_string(),
                    },
                })?;
        if old != Some(leg) {
            self.with(|board| board.new_leg(user, leg));
        }
        Ok(answer)
    }

    /// Ring a desk with a call: a queue's call the router picked the agent for, a call a flow
    /// sent them, or a call to their direct line.
    pub fn ring(&self, ring: Ring) -> Result<(), RingRefused> {
        let mut inner = self.lock();
        let offer = Offer {
            call: ring.call,
            tenant: ring.tenant,
            agent: ring.agent,
            from: ring.from,
            to: ring.to,
            details: ring.details,
            reported: ring.report.is_some(),
            by_router: ring.by_router,
        };
        let rung = inner.board.ring(offer);
        if rung.is_ok() {
            inner.wiring.events.insert(ring.call, ring.events);
            if let Some(report) = ring.report {
                inner.wiring.reporters.insert(ring.call, report);
            }
        }
        self.carry_out(&mut inner);
        rung
    }

    /// The router took its offer back (it rang out): the desk stops ringing.
    pub fn withdraw(&self, call: Uuid, agent: Uuid) {
        self.with(|board| board.withdraw(call, agent));
    }

    /// The agent accepts the call they are offered (or the consultation they are asked to).
    pub fn accept(&self, user: Uuid, call: Uuid) -> Result<(), DeskError> {
        self.with(|board| board.accept(user, call))
    }

    /// The agent refuses an offered call, or hangs up a connected one.
    pub fn hang_up(&self, user: Uuid, call: Uuid) -> Result<(), DeskError> {
        self.with(|board| board.hang_up(user, call))
    }

    /// A command from the agent for their connected call's media.
    pub fn control(&self, user: Uuid, call: Uuid, cmd: BridgeCmd) -> Result<(), DeskError> {
        self.with(|board| board.control(user, call, cmd))
    }

    /// Consult `other` about the agent's call (attended transfer), or with `blind` transfer it
    /// to them.
    pub fn consult(
        &self,
        user: Uuid,
        call: Uuid,
        other: Uuid,
        blind: bool,
    ) -> Result<(), DeskError> {
        let done = self.with(|board| board.consult(Instant::now(), user, call, other, blind));
        self.timers.notify_one();
        done
    }

    /// The agent's step in an attended transfer.
    pub fn transfer_step(
        &self,
        user: Uuid,
        call: Uuid,
        step: TransferStep,
    ) -> Result<(), DeskError> {
        self.with(|board| board.transfer_step(user, call, step))
    }

    /// Blind transfer to a queue, step 1: the agent lets go of their call, which waits with
    /// music. The router is told next ([`crate::routing::Routing::transfer`]).
    pub fn release(&self, user: Uuid, call: Uuid) -> Result<(), DeskError> {
        self.with(|board| board.release(user, call))
    }

    /// The agent dials out: their desk holds call `id` while it rings at the far end.
    pub fn dialing(
        &self,
        id: Uuid,
        tenant: TenantId,
        agent: Uuid,
        to: &str,
        events: UnboundedSender<CallEvent>,
    ) -> Result<(), DeskError> {
        let mut inner = self.lock();
        let done = inner.board.dialing(id, tenant, agent, to);
        if done.is_ok() {
            inner.wiring.events.insert(id, events);
        }
        self.carry_out(&mut inner);
        done
    }

    /// Blind transfer to an outside number, step 1: call `outside` (placed next through the
    /// trunk) rings `to` while the caller hears music.
    pub fn transfer_out(
        &self,
        user: Uuid,
        call: Uuid,
        outside: Uuid,
        to: &str,
        events: UnboundedSender<CallEvent>,
    ) -> Result<(), DeskError> {
        let mut inner = self.lock();
        let done = inner.board.transfer_out(user, call, outside, to);
        if done.is_ok() {
            inner.wiring.events.insert(outside, events);
        }
        self.carry_out(&mut inner);
        done
    }

    /// A supervisor starts, changes or stops (`None`) monitoring a call of their tenant.
    pub fn monitor(
        &self,
        user: Uuid,
        role: Role,
        tenant: TenantId,
        call: Uuid,
        mode: Option<MonitorMode>,
    ) -> Result<(), DeskError> {
        if !matches!(role, Role::Supervisor | Role::TenantAdmin) {
            return Err(DeskError {
                code: ErrorCode::Forbidden,
                message: "only supervisors monitor calls".into(),
            });
        }
        self.with(|board| board.monitor(user, tenant, call, mode))
    }

    /// The call's driver connected call `id`: its bridge takes commands now.
    pub fn bridged(&self, id: Uuid, bridge: UnboundedSender<BridgeCmd>) {
        let mut inner = self.lock();
        inner.wiring.bridges.insert(id, bridge);
        inner.board.bridged(id);
        self.carry_out(&mut inner);
    }

    /// Call `id` ended.
    pub fn ended(&self, id: Uuid) {
        self.with(|board| board.ended(id));
    }
}

impl DeskLink for Agents {
    fn ring(&self, ring: Ring) -> Result<(), RingRefused> {
        Agents::ring(self, ring)
    }

    fn withdraw(&self, call: Uuid, agent: Uuid) {
        Agents::withdraw(self, call, agent);
    }

    fn tell(&self, user: Uuid, message: ServerMessage) {
        self.tell_user(user, message);
    }

    fn can_ring(&self, user: Uuid) -> bool {
        Agents::can_ring(self, user)
    }
}
