//! The live desks of signed-in users: each user's WebSocket, their persistent media leg, and
//! the call they are on; and the calls offered to or bridged with agents. The call driver,
//! the WebSocket handler and the WebRTC hub all meet here.
//!
//! A user has one desk. A second tab or device that connects takes over (the old one is told
//! `replaced`). The media leg outlives the WebSocket: after a reload the page offers again,
//! the new leg replaces the old one, and a live call is re-attached to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchboard_media::bridge::MonitorMode;
use switchboard_media::g711::Law;
use switchboard_media::webrtc::{LegId, WebRtcError};
use switchboard_sip::call::Event as CallEvent;
use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

use crate::media::hub::{Hub, LegNotice, Party};
use switchboard_proto::{CallState, ErrorCode, MediaState, Monitoring, ServerMessage};

use super::{DeskChange, OfferDetails, Report, monitoring as shown};
use crate::domain::Role;
use crate::media::rtp::BridgeCmd;
use crate::recording::RecordingStore;
use crate::store::TenantId;

/// How long a consulted colleague's desk rings before the consultation (or blind transfer)
/// is given up and the call is the agent's again.
pub const CONSULT_RING: std::time::Duration = std::time::Duration::from_secs(30);

/// An agent's step in an attended transfer, once the consulted agent has answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferStep {
    Conference,
    Transfer,
    Cancel,
}

/// Hears [`DeskChange`]s.
struct Listener(Box<dyn Fn(TenantId, DeskChange) + Send + Sync>);

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Listener")
    }
}

/// A refused desk request; the call and the session are unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<DeskError> for ServerMessage {
    fn from(e: DeskError) -> ServerMessage {
        ServerMessage::Error {
            code: e.code,
            message: e.message,
        }
    }
}

fn refused(code: ErrorCode, message: impl Into<String>) -> DeskError {
    DeskError {
        code,
        message: message.into(),
    }
}

#[derive(Debug)]
struct Desk {
    tenant: TenantId,
    conn: Option<(u64, UnboundedSender<ServerMessage>)>,
    leg: Option<LegId>,
    /// The laws the leg accepts; empty until it is connected.
    laws: Vec<Law>,
    /// The call this user answers or is offered.
    call: Option<Uuid>,
    /// The call this user (a supervisor) monitors.
    monitoring: Option<(Uuid, MonitorMode)>,
    /// The router was told this desk is on a call it did not route.
    engaged: bool,
    /// What the router was last told of whether this desk's phone can ring.
    can_ring: bool,
}

impl Desk {
    fn send(&self, msg: ServerMessage) {
        if let Some((_, tx)) = &self.conn {
            let _ = tx.send(msg);
        }
    }

    fn connected_leg(&self) -> Option<(LegId, Vec<Law>)> {
        self.leg
            .filter(|_| !self.laws.is_empty())
            .map(|l| (l, self.laws.clone()))
    }

    /// A call offered now would ring: the page is connected and so is its media session.
    fn can_ring(&self) -> bool {
        self.conn.is_some() && self.connected_leg().is_some()
    }
}

#[derive(Debug)]
struct Slot {
    tenant: TenantId,
    agent: Uuid,
    from: String,
    to: String,
    events: UnboundedSender<CallEvent>,
    /// Set once the call is connected.
    bridge: Option<UnboundedSender<BridgeCmd>>,
    supervisor: Option<Uuid>,
    /// The agent consulted for an attended transfer, and the mode once they joined
    /// (`Consult`, then `Barge` for the three-way conference).
    consult: Option<(Uuid, Option<MonitorMode>)>,
    /// A call offered by the router: where the agent's answer or refusal is reported.
    routed: Option<Reporter>,
    /// A ring-all queue's offer rings these desks too, until one of them (or `agent`) answers.
    also_ringing: Vec<Uuid>,
    /// What the agent was told with the offer (queue, IVR choices, contact): a consulted
    /// agent is told the same, so the card goes along with a transfer.
    details: OfferDetails,
    /// The agent dialled this call out.
    outbound: bool,
    /// The consultation is a blind transfer: the consulted agent takes the call on answering.
    blind: bool,
    /// Consultations asked so far (a ring timeout names the one it is for).
    consults: u64,
    /// A blind transfer to an outside number rings on this call.
    external: Option<Uuid>,
    /// Patched to this outside leg of its transfer.
    patched: Option<Uuid>,
    /// This call is the outside leg of a transfer of that call.
    leg_of: Option<Uuid>,
}

/// Tells a tenant's router what became of its offer.
#[derive(Clone)]
pub struct Reporter(Arc<dyn Fn(Report) + Send + Sync>);

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter")
    }
}

impl Slot {
    fn new(
        tenant: TenantId,
        agent: Uuid,
        from: &str,
        to: &str,
        events: UnboundedSender<CallEvent>,
        details: OfferDetails,
    ) -> Slot {
        Slot {
            tenant,
            agent,
            from: from.to_owned(),
            to: to.to_owned(),
            events,
            bridge: None,
            supervisor: None,
            consult: None,
            routed: None,
            also_ringing: Vec::new(),
            details,
            outbound: false,
            blind: false,
            consults: 0,
            external: None,
            patched: None,
            leg_of: None,
        }
    }

    /// Only the agent and the caller are on the call: nobody is consulted, monitoring or
    /// being transferred to.
    fn is_alone(&self) -> bool {
        self.consult.is_none() && self.supervisor.is_none() && self.external.is_none()
    }

    fn state(&self) -> CallState {
        if self.bridge.is_some() {
            CallState::Connected
        } else {
            CallState::Ringing
        }
    }

    fn message(&self, id: Uuid, state: CallState) -> ServerMessage {
        ServerMessage::Call {
            call_id: id,
            state,
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    desks: HashMap<Uuid, Desk>,
    calls: HashMap<Uuid, Slot>,
    /// Bridges of answered calls that wait in a queue for an agent.
    waiting: HashMap<Uuid, UnboundedSender<BridgeCmd>>,
    legs: HashMap<LegId, Uuid>,
    next_conn: u64,
}

/// The desks and agent calls of this node. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Desks {
    inner: Arc<Mutex<Inner>>,
    pub hub: Hub,
    pub recordings: Arc<dyn RecordingStore>,
    pub record_calls: bool,
    /// To note on the call record who has the call after a transfer.
    store: crate::store::Store,
    /// Where the router hears of calls it did not route ([`Desks::on_change`]).
    listener: Arc<std::sync::OnceLock<Listener>>,
}

impl Desks {
    pub fn new(
        hub: Hub,
        recordings: Arc<dyn RecordingStore>,
        record_calls: bool,
        store: crate::store::Store,
    ) -> Desks {
        Desks {
            inner: Arc::new(Mutex::new(Inner::default())),
            hub,
            recordings,
            record_calls,
            store,
            listener: Arc::default(),
        }
    }

    /// Who hears of [`DeskChange`]s (the router); set once.
    pub fn on_change(&self, listener: impl Fn(TenantId, DeskChange) + Send + Sync + 'static) {
        let _ = self.listener.set(Listener(Box::new(listener)));
    }

    fn changed(&self, tenant: TenantId, change: DeskChange) {
        if let Some(listener) = self.listener.get() {
            (listener.0)(tenant, change);
        }
    }

    /// Tell the router when whether `user`'s phone can ring has changed (a page connected or
    /// went, a media session connected or closed).
    fn phone_changed(&self, desk: &mut Desk, user: Uuid) {
        let can_ring = desk.can_ring();
        if desk.can_ring != can_ring {
            desk.can_ring = can_ring;
            self.changed(
                desk.tenant,
                DeskChange::Phone {
                    agent: user,
                    can_ring,
                },
            );
        }
    }

    /// Whether a call offered to `user` now would ring on their desk.
    pub fn can_ring(&self, user: Uuid) -> bool {
        self.lock().desks.get(&user).is_some_and(Desk::can_ring)
    }

    /// `user`'s desk takes call `id`; the router hears of it unless it offered the call.
    fn occupy(&self, desk: &mut Desk, user: Uuid, id: Uuid, by_router: bool) {
        desk.call = Some(id);
        if !by_router && !desk.engaged {
            desk.engaged = true;
            self.changed(
                desk.tenant,
                DeskChange::Engaged {
                    agent: user,
                    on: true,
                },
            );
        }
    }

    /// `user`'s desk leaves the call it was on: it is free, its leg hears nothing, and the
    /// page gets `message` (the call `ended` for it).
    fn leave(&self, desk: &mut Desk, user: Uuid, message: ServerMessage) {
        self.free(desk, user);
        if let Some(leg) = desk.leg {
            self.hub.attach(leg, None);
        }
        desk.send(message);
    }

    /// `user`'s desk is free of its call.
    fn free(&self, desk: &mut Desk, user: Uuid) {
        desk.call = None;
        if desk.engaged {
            desk.engaged = false;
            self.changed(
                desk.tenant,
                DeskChange::Engaged {
                    agent: user,
                    on: false,
                },
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock would be a bug in the few lines below that hold it;
        // the data stays consistent enough to go on (every update is a single insert/remove).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A WebSocket of `user` signed in; returns its connection number. Takes over from an
    /// earlier connection of the same user, and tells it so.
    pub fn connect(&self, user: Uuid, tenant: TenantId, tx: UnboundedSender<ServerMessage>) -> u64 {
        let mut inner = self.lock();
        inner.next_conn += 1;
        let conn = inner.next_conn;
        let (call, monitoring) = {
            let desk = inner.desks.entry(user).or_insert_with(|| Desk {
                tenant,
                conn: None,
                leg: None,
                laws: Vec::new(),
                call: None,
                monitoring: None,
                engaged: false,
                can_ring: false,
            });
            if let Some((_, old)) = desk.conn.replace((conn, tx.clone())) {
                let _ = old.send(ServerMessage::Replaced);
            }
            self.phone_changed(desk, user);
            (desk.call, desk.monitoring)
        };
        // A reconnect during a call: tell the page where it is.
        if let Some(slot) = call.and_then(|c| inner.calls.get(&c).map(|s| (c, s))) {
            let (id, slot) = slot;
            let _ = tx.send(slot.message(id, slot.state()));
        }
        if let Some((id, mode)) = monitoring {
            let _ = tx.send(ServerMessage::Monitoring {
                call_id: id,
                mode: shown(mode),
            });
        }
        conn
    }

    /// Whether `user`'s desk has a WebSocket now.
    pub fn is_connected(&self, user: Uuid) -> bool {
        self.lock()
            .desks
            .get(&user)
            .is_some_and(|d| d.conn.is_some())
    }

    /// The WebSocket `conn` of `user` closed. The media leg and any call stay: the page may be
    /// reloading.
    pub fn disconnect(&self, user: Uuid, conn: u64) {
        let mut inner = self.lock();
        if let Some(desk) = inner.desks.get_mut(&user)
            && desk.conn.as_ref().is_some_and(|(c, _)| *c == conn)
        {
            desk.conn = None;
            self.phone_changed(desk, user);
        }
    }

    /// An SDP offer for `user`'s media session; returns the answer. With `restart`, the live
    /// leg is renegotiated (ICE restart); otherwise a new leg replaces it.
    pub async fn offer(&self, user: Uuid, sdp: String, restart: bool) -> Result<String, DeskError> {
        let old = self.lock().desks.get(&user).and_then(|d| d.leg);
        let renegotiate = old.filter(|_| restart);
        let (leg, answer) = self
            .hub
            .offer(renegotiate, sdp)
            .await
            .map_err(|e| match e {
                WebRtcError::BadSdp(m) => refused(ErrorCode::BadSdp, m),
                e => refused(ErrorCode::OfferRefused, e.to_string()),
            })?;
        let mut inner = self.lock();
        if old != Some(leg) {
            if let Some(old) = old {
                inner.legs.remove(&old);
                self.hub.close(old);
            }
            inner.legs.insert(leg, user);
            if let Some(desk) = inner.desks.get_mut(&user) {
                desk.leg = Some(leg);
                desk.laws.clear();
                self.phone_changed(desk, user);
            }
        }
        Ok(answer)
    }

    /// The hub reports on a leg.
    pub fn on_leg(&self, leg: LegId, notice: LegNotice) {
        let mut inner = self.lock();
        let Some(&user) = inner.legs.get(&leg) else {
            return;
        };
        let Some(desk) = inner.desks.get_mut(&user) else {
            return;
        };
        match notice {
            LegNotice::Connected(laws) => {
                desk.laws = laws;
                desk.send(ServerMessage::Media {
                    state: MediaState::Connected,
                });
                self.phone_changed(desk, user);
                let (call, monitoring, laws) = (desk.call, desk.monitoring, desk.laws.clone());
                // Re-attach a live call (after a reload or an ICE restart on a new leg).
                if let Some(bridge) = call
                    .and_then(|c| inner.calls.get(&c))
                    .and_then(|s| s.bridge.clone())
                {
                    self.hub.attach(leg, Some((bridge.clone(), Party::Agent)));
                    let _ = bridge.send(BridgeCmd::AgentLeg(Some((leg, laws.clone()))));
                }
                if let Some((c, mode)) = monitoring
                    && let Some(bridge) = inner.calls.get(&c).and_then(|s| s.bridge.clone())
                    && let Some(law) = laws.first()
                {
                    self.hub
                        .attach(leg, Some((bridge.clone(), Party::Supervisor)));
                    let _ = bridge.send(BridgeCmd::Supervisor(Some((leg, mode, *law))));
                }
            }
            LegNotice::Quality(q) => {
                desk.send(ServerMessage::Quality {
                    jitter_ms: (q.jitter_ms * 10.0).round() / 10.0,
                    loss: q.loss,
                    rtt_ms: q.rtt_ms.map(f64::round),
                    mos: crate::media::quality::mos(q.loss, q.jitter_ms),
                });
                if let Some(bridge) = desk
                    .call
                    .and_then(|c| inner.calls.get(&c))
                    .and_then(|s| s.bridge.as_ref())
                {
                    let _ = bridge.send(BridgeCmd::AgentQuality(q));
                }
            }
            LegNotice::Closed(_) => {
                inner.legs.remove(&leg);
                let Some(desk) = inner.desks.get_mut(&user) else {
                    return;
                };
                if desk.leg == Some(leg) {
                    desk.leg = None;
                    desk.laws.clear();
                    desk.send(ServerMessage::Media {
                        state: MediaState::Closed,
                    });
                    self.phone_changed(desk, user);
                    if let Some(bridge) = desk
                        .call
                        .and_then(|c| inner.calls.get(&c))
                        .and_then(|s| s.bridge.as_ref())
                    {
                        let _ = bridge.send(BridgeCmd::AgentLeg(None));
                    }
                }
            }
        }
    }

    /// Offer call `id` to `agent`. Refused with a SIP code when the agent cannot take it:
    /// 480 when not signed in with a live media session, 486 when on another call.
    #[allow(clippy::too_many_arguments)]
    pub fn ring(
        &self,
        id: Uuid,
        tenant: TenantId,
        agent: Uuid,
        from: &str,
        to: &str,
        details: &OfferDetails,
        events: UnboundedSender<CallEvent>,
    ) -> Result<(), u16> {
        self.ring_with(id, tenant, agent, from, to, details, events, None, false)
    }

    /// Offer a call of a queue to the agent the router picked (`by_router`), or a call to the
    /// agent a flow chose; their answer or refusal goes to `report`.
    #[allow(clippy::too_many_arguments)]
    pub fn ring_routed(
        &self,
        id: Uuid,
        tenant: TenantId,
        agent: Uuid,
        from: &str,
        to: &str,
        details: &OfferDetails,
        events: UnboundedSender<CallEvent>,
        report: impl Fn(Report) + Send + Sync + 'static,
        by_router: bool,
    ) -> Result<(), u16> {
        self.ring_with(
            id,
            tenant,
            agent,
            from,
            to,
            details,
            events,
            Some(Reporter(Arc::new(report))),
            by_router,
        )
    }

    /// The router took its offer back (rang out): the desk stops ringing.
    pub fn withdraw(&self, id: Uuid, agent: Uuid) {
        let mut inner = self.lock();
        let ringing = inner.calls.get(&id).is_some_and(|s| {
            s.also_ringing.contains(&agent) || (s.agent == agent && s.bridge.is_none())
        });
        if ringing {
            self.stop_ringing(&mut inner, id, agent);
        }
    }

    /// An offer to `agent` that will not be answered: their desk stops ringing and is free.
    /// The call's slot goes when no desk rings with it any more.
    fn stop_ringing(&self, inner: &mut Inner, id: Uuid, agent: Uuid) {
        let Some(slot) = inner.calls.get_mut(&id) else {
            return;
        };
        let message = slot.message(id, CallState::Ended);
        if let Some(i) = slot.also_ringing.iter().position(|a| *a == agent) {
            slot.also_ringing.remove(i);
        } else if slot.agent == agent {
            if slot.also_ringing.is_empty() {
                inner.calls.remove(&id);
            } else {
                slot.agent = slot.also_ringing.remove(0);
            }
        } else {
            return;
        }
        if let Some(desk) = inner.desks.get_mut(&agent)
            && desk.call == Some(id)
        {
            self.free(desk, agent);
            desk.send(message);
        }
    }

    /// Send a message to a user's desk, if it is connected.
    pub fn tell_user(&self, user: Uuid, message: ServerMessage) {
        if let Some(desk) = self.lock().desks.get(&user) {
            desk.send(message);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ring_with(
        &self,
        id: Uuid,
        tenant: TenantId,
        agent: Uuid,
        from: &str,
        to: &str,
        details: &OfferDetails,
        events: UnboundedSender<CallEvent>,
        routed: Option<Reporter>,
        by_router: bool,
    ) -> Result<(), u16> {
        let mut inner = self.lock();
        // A routed call that is still ringing may ring more desks (a ring-all queue); any
        // other call rings one desk at a time.
        let ring_all = match inner.calls.get(&id) {
            Some(slot) if routed.is_some() && slot.routed.is_some() && slot.bridge.is_none() => {
                true
            }
            Some(_) => return Err(486),
            None => false,
        };
        let desk = inner
            .desks
            .get_mut(&agent)
            .filter(|d| d.tenant == tenant && d.conn.is_some() && d.connected_leg().is_some())
            .ok_or(480u16)?;
        if desk.call.is_some() {
            return Err(486);
        }
        self.occupy(desk, agent, id, by_router);
        desk.send(ServerMessage::Incoming {
            call_id: id,
            from: from.to_owned(),
            to: to.to_owned(),
            transfer_from: None,
            queue_id: details.queue_id,
            queue_name: details.queue_name.clone(),
            ivr: details.ivr.clone(),
            contact: details.contact.clone(),
        });
        if ring_all {
            if let Some(slot) = inner.calls.get_mut(&id) {
                slot.also_ringing.push(agent);
            }
            return Ok(());
        }
        let mut slot = Slot::new(tenant, agent, from, to, events, details.clone());
        slot.routed = routed;
        inner.calls.insert(id, slot);
        Ok(())
    }

    /// The agent's call, checked: it exists, belongs to `user`.
    fn own_slot(inner: &Inner, user: Uuid, id: Uuid) -> Result<&Slot, DeskError> {
        inner
            .calls
            .get(&id)
            .filter(|s| s.leg_of.is_none() && (s.agent == user || s.also_ringing.contains(&user)))
            .ok_or_else(|| refused(ErrorCode::NoSuchCall, "no such call on this desk"))
    }

    /// The agent's own connected call with only the caller on it (to send elsewhere), and
    /// its bridge.
    fn own_connected(
        inner: &Inner,
        user: Uuid,
        id: Uuid,
    ) -> Result<(&Slot, UnboundedSender<BridgeCmd>), DeskError> {
        let slot = Self::own_slot(inner, user, id)?;
        if slot.agent != user {
            return Err(refused(ErrorCode::NoSuchCall, "no such call on this desk"));
        }
        let bridge = slot
            .bridge
            .clone()
            .ok_or_else(|| refused(ErrorCode::NotConnected, "the call is not connected yet"))?;
        if !slot.is_alone() {
            return Err(refused(ErrorCode::Busy, "someone else is on this call"));
        }
        Ok((slot, bridge))
    }

    /// Of a ring-all offer, `user` is the one who answers: they become the call's agent, and
    /// the other desks ring on until the router takes its offers back.
    fn take_offer(inner: &mut Inner, user: Uuid, id: Uuid) {
        if let Some(slot) = inner.calls.get_mut(&id)
            && slot.agent != user
            && let Some(i) = slot.also_ringing.iter().position(|a| *a == user)
        {
            slot.also_ringing[i] = slot.agent;
            slot.agent = user;
        }
    }

    /// The agent accepts the call they are offered (or the consultation they are asked to).
    pub fn accept(&self, user: Uuid, id: Uuid) -> Result<(), DeskError> {
        let mut inner = self.lock();
        if inner
            .calls
            .get(&id)
            .is_some_and(|s| s.consult == Some((user, None)))
        {
            return self.join_consult(&mut inner, user, id);
        }
        let slot = Self::own_slot(&inner, user, id)?;
        if slot.bridge.is_some() {
            return Err(refused(
                ErrorCode::AlreadyAnswered,
                "the call is already connected",
            ));
        }
        if inner
            .desks
            .get(&user)
            .and_then(Desk::connected_leg)
            .is_none()
        {
            return Err(refused(
                ErrorCode::NoMedia,
                "the media session is not connected",
            ));
        }
        let report = slot.routed.clone();
        Self::take_offer(&mut inner, user, id);
        if let Some(bridge) = inner.waiting.remove(&id) {
            // A queued call, answered already: the agent joins its bridge, the music stops.
            drop(inner);
            self.bridged(id, bridge.clone());
            let _ = bridge.send(BridgeCmd::Hold(false));
            if let Some(report) = report {
                (report.0)(Report::Answered {
                    call: id,
                    agent: user,
                });
            }
            return Ok(());
        }
        let slot = Self::own_slot(&inner, user, id)?;
        let _ = slot.events.send(CallEvent::Accept);
        if let Some(report) = &report {
            (report.0)(Report::Answered {
                call: id,
                agent: user,
            });
        }
        Ok(())
    }

    /// The agent refuses an offered call, or hangs up a connected one. A consulted agent
    /// leaves the consultation instead.
    pub fn hang_up(&self, user: Uuid, id: Uuid) -> Result<(), DeskError> {
        let mut inner = self.lock();
        if inner
            .calls
            .get(&id)
            .is_some_and(|s| s.consult.is_some_and(|(c, _)| c == user))
        {
            self.end_consult(&mut inner, id, Some("the colleague refused the call"));
            return Ok(());
        }
        let slot = Self::own_slot(&inner, user, id)?;
        if slot.bridge.is_none()
            && let Some(report) = slot.routed.clone()
        {
            // A refused offer goes back to the router; the caller keeps waiting.
            self.stop_ringing(&mut inner, id, user);
            (report.0)(Report::Refused {
                call: id,
                agent: user,
            });
            return Ok(());
        }
        let slot = Self::own_slot(&inner, user, id)?;
        let event = if slot.bridge.is_some() || slot.outbound {
            CallEvent::LocalHangup
        } else {
            // RFC 3261 21.6.2: the callee declined.
            CallEvent::Refuse(603)
        };
        let _ = slot.events.send(event);
        Ok(())
    }

    /// A command from the agent for their connected call's media.
    pub fn control(&self, user: Uuid, id: Uuid, cmd: BridgeCmd) -> Result<(), DeskError> {
        let inner = self.lock();
        let slot = Self::own_slot(&inner, user, id)?;
        let bridge = slot
            .bridge
            .as_ref()
            .ok_or_else(|| refused(ErrorCode::NotConnected, "the call is not connected yet"))?;
        let _ = bridge.send(cmd);
        Ok(())
    }

    /// Attended transfer, step 1: ring `other` (an agent of the same tenant, signed in and
    /// free) for a consultation about the agent's connected call. With `blind`, the caller
    /// hears music at once and `other` takes the call when they answer (a blind transfer to
    /// an agent); the agent keeps the call, on hold, until then, so a refusal or an offer
    /// that rings out (after [`CONSULT_RING`]) gives it back to them.
    pub fn consult(&self, user: Uuid, id: Uuid, other: Uuid, blind: bool) -> Result<(), DeskError> {
        let mut inner = self.lock();
        let slot = Self::own_slot(&inner, user, id)?;
        let bridge = slot
            .bridge
            .clone()
            .ok_or_else(|| refused(ErrorCode::NotConnected, "the call is not connected yet"))?;
        if !slot.is_alone() {
            return Err(refused(
                ErrorCode::Busy,
                "someone else is already on this call",
            ));
        }
        let (tenant, from, to) = (slot.tenant, slot.from.clone(), slot.to.clone());
        let details = slot.details.clone();
        // Another tenant's user is "unavailable" like an absent one: nothing is disclosed.
        let desk = inner
            .desks
            .get_mut(&other)
            .filter(|d| {
                other != user
                    && d.tenant == tenant
                    && d.conn.is_some()
                    && d.call.is_none()
                    && d.connected_leg().is_some()
            })
            .ok_or_else(|| refused(ErrorCode::Unavailable, "that agent cannot take a call now"))?;
        self.occupy(desk, other, id, false);
        desk.send(ServerMessage::Incoming {
            call_id: id,
            from,
            to,
            transfer_from: Some(user),
            queue_id: details.queue_id,
            queue_name: details.queue_name,
            ivr: details.ivr,
            contact: details.contact,
        });
        let Some(slot) = inner.calls.get_mut(&id) else {
            return Ok(());
        };
        slot.consult = Some((other, None));
        slot.blind = blind;
        slot.consults += 1;
        let attempt = slot.consults;
        if blind {
            let _ = bridge.send(BridgeCmd::Music(true));
            let _ = bridge.send(BridgeCmd::Hold(true));
            // The colleague's desk rings on; only the agent hears the transfer is under way.
            let message = slot.message(id, CallState::Transferring);
            if let Some(desk) = inner.desks.get(&user) {
                desk.send(message);
            }
        }
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(CONSULT_RING).await;
            this.consult_rang_out(id, other, attempt);
        });
        Ok(())
    }

    /// Nobody answered consultation `attempt` of call `id`: it ends.
    fn consult_rang_out(&self, id: Uuid, other: Uuid, attempt: u64) {
        let mut inner = self.lock();
        let unanswered = inner
            .calls
            .get(&id)
            .is_some_and(|s| s.consult == Some((other, None)) && s.consults == attempt);
        if unanswered {
            self.end_consult(&mut inner, id, Some("the colleague did not answer"));
        }
    }

    /// The consulted agent accepted: they and the agent talk, the caller hears music. After
    /// a blind transfer they take the call at once.
    fn join_consult(&self, inner: &mut Inner, user: Uuid, id: Uuid) -> Result<(), DeskError> {
        let (leg, laws) = inner
            .desks
            .get(&user)
            .and_then(Desk::connected_leg)
            .ok_or_else(|| refused(ErrorCode::NoMedia, "the media session is not connected"))?;
        let Some(slot) = inner.calls.get_mut(&id) else {
            return Err(refused(ErrorCode::NoSuchCall, "no such call on this desk"));
        };
        let Some(bridge) = slot.bridge.clone() else {
            return Err(refused(
                ErrorCode::NotConnected,
                "the call is not connected yet",
            ));
        };
        if slot.blind {
            let _ = bridge.send(BridgeCmd::Hold(false));
            self.hand_over(inner, id, user, (leg, laws), &bridge);
            return Ok(());
        }
        slot.consult = Some((user, Some(MonitorMode::Consult)));
        self.hub
            .attach(leg, Some((bridge.clone(), Party::Supervisor)));
        let _ = bridge.send(BridgeCmd::Supervisor(Some((
            leg,
            MonitorMode::Consult,
            laws[0],
        ))));
        Self::tell(inner, id, CallState::Consulting);
        Ok(())
    }

    /// Send the call's state to its agent and consulted agent.
    fn tell(inner: &Inner, id: Uuid, state: CallState) {
        let Some(slot) = inner.calls.get(&id) else {
            return;
        };
        let message = slot.message(id, state);
        for user in std::iter::once(slot.agent).chain(slot.consult.map(|(c, _)| c)) {
            if let Some(desk) = inner.desks.get(&user) {
                desk.send(message.clone());
            }
        }
    }

    /// Tell the call's agent why their transfer did not happen; the call is theirs again.
    fn transfer_failed(inner: &Inner, id: Uuid, why: &str) {
        if let Some(desk) = inner.calls.get(&id).and_then(|s| inner.desks.get(&s.agent)) {
            desk.send(ServerMessage::Error {
                code: ErrorCode::TransferFailed,
                message: why.to_owned(),
            });
        }
    }

    /// The consultation ends without a transfer: the consulted agent leaves (`failed` says
    /// why, unless the agent cancelled it). After a blind transfer the caller is the agent's
    /// again.
    fn end_consult(&self, inner: &mut Inner, id: Uuid, failed: Option<&str>) {
        let Some(slot) = inner.calls.get_mut(&id) else {
            return;
        };
        let Some((other, joined)) = slot.consult.take() else {
            return;
        };
        let message = slot.message(id, CallState::Ended);
        if let Some(bridge) = &slot.bridge {
            if joined.is_some() {
                let _ = bridge.send(BridgeCmd::Supervisor(None));
            }
            if std::mem::take(&mut slot.blind) {
                let _ = bridge.send(BridgeCmd::Hold(false));
            }
        }
        if let Some(desk) = inner.desks.get_mut(&other) {
            self.leave(desk, other, message);
        }
        Self::tell(inner, id, CallState::Connected);
        if let Some(why) = failed {
            Self::transfer_failed(inner, id, why);
        }
    }

    /// `other` (consulted, or taking a blind transfer) becomes the call's agent, on `leg`;
    /// the agent who had it is free, and the router and the record hear of it.
    fn hand_over(
        &self,
        inner: &mut Inner,
        id: Uuid,
        other: Uuid,
        (leg, laws): (LegId, Vec<Law>),
        bridge: &UnboundedSender<BridgeCmd>,
    ) {
        let _ = bridge.send(BridgeCmd::Supervisor(None));
        self.hub.attach(leg, Some((bridge.clone(), Party::Agent)));
        let _ = bridge.send(BridgeCmd::AgentLeg(Some((leg, laws))));
        let Some(slot) = inner.calls.get_mut(&id) else {
            return;
        };
        let user = slot.agent;
        slot.consult = None;
        slot.blind = false;
        slot.agent = other;
        let (message, tenant) = (slot.message(id, CallState::Ended), slot.tenant);
        self.changed(
            tenant,
            DeskChange::HandedOver {
                call: id,
                from: user,
                to: Some(other),
            },
        );
        // The record names the agent who has the call now.
        let store = self.store.clone();
        tokio::spawn(async move {
            let saved = async {
                let mut db = store.tenant_tx(tenant).await?;
                crate::store::call::assign_agent(&mut db, tenant, id, other).await?;
                db.commit().await
            }
            .await;
            if let Err(e) = saved {
                tracing::error!(error = %e, call_id = %id, "noting a transfer on the record failed");
            }
        });
        if let Some(desk) = inner.desks.get_mut(&user) {
            self.leave(desk, user, message);
        }
        Self::tell(inner, id, CallState::Connected);
    }

    /// The agent dials out: their desk holds call `id` while it rings at the far end, and
    /// joins its bridge when it is answered. Refused when the desk has no media session or
    /// another call.
    pub fn dialing(
        &self,
        id: Uuid,
        tenant: TenantId,
        agent: Uuid,
        to: &str,
        events: UnboundedSender<CallEvent>,
    ) -> Result<(), DeskError> {
        let mut inner = self.lock();
        let desk = inner
            .desks
            .get_mut(&agent)
            .filter(|d| d.tenant == tenant && d.conn.is_some() && d.connected_leg().is_some())
            .ok_or_else(|| refused(ErrorCode::NoMedia, "the media session is not connected"))?;
        if desk.call.is_some() {
            return Err(refused(ErrorCode::Busy, "finish the current call first"));
        }
        desk.call = Some(id);
        let mut slot = Slot::new(tenant, agent, "", to, events, OfferDetails::default());
        slot.outbound = true;
        desk.send(slot.message(id, CallState::Dialing));
        inner.calls.insert(id, slot);
        Ok(())
    }

    /// Blind transfer to a queue, step 1: the agent lets go of their connected call, which
    /// goes back on hold (music) with its bridge waiting for the next agent. The caller
    /// stays connected. The router is told next ([`crate::routing::Routing::transfer`]).
    pub fn release(&self, user: Uuid, id: Uuid) -> Result<(), DeskError> {
        let mut inner = self.lock();
        let (slot, bridge) = Self::own_connected(&inner, user, id)?;
        if slot.routed.is_none() || slot.details.queue_id.is_none() {
            // A direct line's call, or one a flow sent to this agent, has no queue to go
            // back through.
            return Err(refused(
                ErrorCode::NotQueued,
                "only calls from a queue can go to another queue",
            ));
        }
        let Some(slot) = inner.calls.remove(&id) else {
            return Ok(());
        };
        let _ = bridge.send(BridgeCmd::AgentLeg(None));
        let _ = bridge.send(BridgeCmd::Music(true));
        let _ = bridge.send(BridgeCmd::Hold(true));
        inner.waiting.insert(id, bridge);
        if let Some(desk) = inner.desks.get_mut(&user) {
            self.leave(desk, user, slot.message(id, CallState::Ended));
        }
        Ok(())
    }

    /// The agent's step in an attended transfer, once the consulted agent has answered:
    /// `Conference` (all three), `Transfer` (the consulted agent takes the call) or
    /// `Cancel` (back to the caller; it also cancels a transfer that still rings).
    pub fn transfer_step(&self, user: Uuid, id: Uuid, step: TransferStep) -> Result<(), DeskError> {
        let mut inner = self.lock();
        let slot = Self::own_slot(&inner, user, id)?;
        if let Some(leg) = slot.external {
            if step != TransferStep::Cancel {
                return Err(refused(
                    ErrorCode::NoConsultation,
                    "the transfer is still ringing",
                ));
            }
            // The outside leg is cancelled; when it ends, the caller is the agent's again.
            if let Some(outside) = inner.calls.get(&leg) {
                let _ = outside.events.send(CallEvent::LocalHangup);
            }
            return Ok(());
        }
        let (other, joined) = slot.consult.ok_or_else(|| {
            refused(
                ErrorCode::NoConsultation,
                "no agent is consulted on this call",
            )
        })?;
        if step == TransferStep::Cancel {
            self.end_consult(&mut inner, id, None);
            return Ok(());
        }
        if joined.is_none() {
            return Err(refused(
                ErrorCode::NotJoined,
                "the consulted agent has not answered yet",
            ));
        }
        let bridge = slot.bridge.clone();
        let (leg, laws) = inner
            .desks
            .get(&other)
            .and_then(Desk::connected_leg)
            .ok_or_else(|| {
                refused(
                    ErrorCode::NoMedia,
                    "the consulted agent's media is not connected",
                )
            })?;
        let Some(bridge) = bridge else {
            return Err(refused(
                ErrorCode::NotConnected,
                "the call is not connected yet",
            ));
        };
        match step {
            TransferStep::Conference => {
                if let Some(slot) = inner.calls.get_mut(&id) {
                    slot.consult = Some((other, Some(MonitorMode::Barge)));
                }
                let _ = bridge.send(BridgeCmd::Supervisor(Some((
                    leg,
                    MonitorMode::Barge,
                    laws[0],
                ))));
                Self::tell(&inner, id, CallState::Conference);
            }
            TransferStep::Transfer => self.hand_over(&mut inner, id, other, (leg, laws), &bridge),
            TransferStep::Cancel => {}
        }
        Ok(())
    }

    /// Blind transfer to an outside number, step 1: the caller hears music while call
    /// `leg` (placed next through the trunk, see [`crate::api`]'s `transfer_to_number`) rings
    /// `to`. When it answers, the two calls are patched together and the agent is free; when
    /// it fails or the agent cancels, the caller is the agent's again.
    pub fn transfer_out(
        &self,
        user: Uuid,
        id: Uuid,
        leg: Uuid,
        to: &str,
        events: UnboundedSender<CallEvent>,
    ) -> Result<(), DeskError> {
        let mut inner = self.lock();
        let (slot, bridge) = Self::own_connected(&inner, user, id)?;
        let tenant = slot.tenant;
        let _ = bridge.send(BridgeCmd::Music(true));
        let _ = bridge.send(BridgeCmd::Hold(true));
        if let Some(slot) = inner.calls.get_mut(&id) {
            slot.external = Some(leg);
        }
        let mut outside = Slot::new(tenant, user, "", to, events, OfferDetails::default());
        outside.leg_of = Some(id);
        inner.calls.insert(leg, outside);
        Self::tell(&inner, id, CallState::Transferring);
        Ok(())
    }

    /// The outside leg of a transfer answered: patch it to the caller's call and free the
    /// agent.
    fn patch(&self, inner: &mut Inner, leg: Uuid, id: Uuid, outside: UnboundedSender<BridgeCmd>) {
        let caller = inner
            .calls
            .get(&id)
            .filter(|s| s.external == Some(leg))
            .and_then(|s| s.bridge.clone());
        let Some(caller) = caller else {
            // Cancelled, or the caller left, while it rang.
            if let Some(slot) = inner.calls.get(&leg) {
                let _ = slot.events.send(CallEvent::LocalHangup);
            }
            return;
        };
        let _ = caller.send(BridgeCmd::Patch(Some(outside.clone())));
        let _ = outside.send(BridgeCmd::Patch(Some(caller.clone())));
        let _ = caller.send(BridgeCmd::Hold(false));
        let Some(slot) = inner.calls.get_mut(&id) else {
            return;
        };
        slot.external = None;
        slot.patched = Some(leg);
        let (user, tenant, message) = (slot.agent, slot.tenant, slot.message(id, CallState::Ended));
        self.changed(
            tenant,
            DeskChange::HandedOver {
                call: id,
                from: user,
                to: None,
            },
        );
        if let Some(desk) = inner.desks.get_mut(&user)
            && desk.call == Some(id)
        {
            self.leave(desk, user, message);
        }
    }

    /// The outside leg of a transfer of call `id` ended: after the patch the caller's call
    /// ends too; before it, the caller is the agent's again.
    fn outside_ended(inner: &mut Inner, leg: Uuid, id: Uuid) {
        let Some(slot) = inner.calls.get_mut(&id) else {
            return;
        };
        if slot.patched == Some(leg) {
            let _ = slot.events.send(CallEvent::LocalHangup);
        } else if slot.external == Some(leg) {
            slot.external = None;
            if let Some(bridge) = &slot.bridge {
                let _ = bridge.send(BridgeCmd::Hold(false));
            }
            Self::tell(inner, id, CallState::Connected);
            Self::transfer_failed(inner, id, "the number did not answer");
        }
    }

    /// A supervisor starts, changes or stops (`None`) monitoring a call of their tenant.
    pub fn monitor(
        &self,
        user: Uuid,
        role: Role,
        tenant: TenantId,
        id: Uuid,
        mode: Option<MonitorMode>,
    ) -> Result<(), DeskError> {
        if !matches!(role, Role::Supervisor | Role::TenantAdmin) {
            return Err(refused(
                ErrorCode::Forbidden,
                "only supervisors monitor calls",
            ));
        }
        let mut inner = self.lock();
        // Another tenant's call is "no such call": its existence is not disclosed.
        let slot = inner
            .calls
            .get(&id)
            .filter(|s| s.tenant == tenant)
            .ok_or_else(|| refused(ErrorCode::NoSuchCall, "no such call"))?;
        let bridge = slot
            .bridge
            .clone()
            .ok_or_else(|| refused(ErrorCode::NotConnected, "the call is not connected yet"))?;
        if slot.supervisor.is_some_and(|s| s != user) || slot.consult.is_some() {
            return Err(refused(
                ErrorCode::Busy,
                "someone else is already on this call",
            ));
        }
        let desk = inner
            .desks
            .get_mut(&user)
            .ok_or_else(|| refused(ErrorCode::NoMedia, "the media session is not connected"))?;
        let (leg, laws) = desk
            .connected_leg()
            .ok_or_else(|| refused(ErrorCode::NoMedia, "the media session is not connected"))?;
        match mode {
            Some(mode) => {
                desk.monitoring = Some((id, mode));
                desk.send(ServerMessage::Monitoring {
                    call_id: id,
                    mode: shown(mode),
                });
                self.hub
                    .attach(leg, Some((bridge.clone(), Party::Supervisor)));
                let _ = bridge.send(BridgeCmd::Supervisor(Some((leg, mode, laws[0]))));
            }
            None => {
                desk.monitoring = None;
                desk.send(ServerMessage::Monitoring {
                    call_id: id,
                    mode: Monitoring::Off,
                });
                self.hub.attach(leg, None);
                let _ = bridge.send(BridgeCmd::Supervisor(None));
            }
        }
        if let Some(slot) = inner.calls.get_mut(&id) {
            slot.supervisor = mode.map(|_| user);
        }
        Ok(())
    }

    /// The call driver connected call `id`: attach the agent's leg to its bridge.
    pub fn bridged(&self, id: Uuid, bridge: UnboundedSender<BridgeCmd>) {
        let mut inner = self.lock();
        let Some(slot) = inner.calls.get_mut(&id) else {
            // A queued call: its bridge waits for the agent who will accept it.
            inner.waiting.insert(id, bridge);
            return;
        };
        if let Some(caller) = slot.leg_of {
            self.patch(&mut inner, id, caller, bridge);
            return;
        }
        slot.bridge = Some(bridge.clone());
        let agent = slot.agent;
        let message = slot.message(id, CallState::Connected);
        if let Some(desk) = inner.desks.get(&agent) {
            desk.send(message);
            if let Some((leg, laws)) = desk.connected_leg() {
                self.hub.attach(leg, Some((bridge.clone(), Party::Agent)));
                let _ = bridge.send(BridgeCmd::AgentLeg(Some((leg, laws))));
            }
        }
    }

    /// Call `id` ended: free the agent and any supervisor; a call patched to it or ringing
    /// for its transfer ends too.
    pub fn ended(&self, id: Uuid) {
        let mut inner = self.lock();
        inner.waiting.remove(&id);
        let Some(slot) = inner.calls.remove(&id) else {
            return;
        };
        if let Some(caller) = slot.leg_of {
            Self::outside_ended(&mut inner, id, caller);
            return;
        }
        if let Some(outside) = slot
            .patched
            .or(slot.external)
            .and_then(|leg| inner.calls.get(&leg))
        {
            let _ = outside.events.send(CallEvent::LocalHangup);
        }
        let message = slot.message(id, CallState::Ended);
        let consulted = slot.consult.map(|(c, _)| c);
        for user in std::iter::once(slot.agent)
            .chain(slot.supervisor)
            .chain(consulted)
            .chain(slot.also_ringing)
        {
            let Some(desk) = inner.desks.get_mut(&user) else {
                continue;
            };
            // A desk that moved on (a transfer, a patch) is left alone.
            let monitoring = desk.monitoring.is_some_and(|(c, _)| c == id);
            if desk.call != Some(id) && !monitoring {
                continue;
            }
            if monitoring {
                desk.monitoring = None;
            } else {
                self.free(desk, user);
            }
            if let Some(leg) = desk.leg {
                self.hub.attach(leg, None);
            }
            desk.send(message.clone());
        }
    }
}
