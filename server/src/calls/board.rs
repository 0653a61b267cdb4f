//! The board, sans-IO: which desk rings with, talks on, consults about or monitors which call
//! on this node, from the offer to the agent's last word on it. Requests from desks, reports
//! from the calls and the time go in; effects come out ([`Effect`]): messages to desks,
//! commands to calls' bridges and machines, legs attached to bridges, changes the router must
//! hear, reports to whoever offered a call, notes on call records.
//!
//! No channel, task, lock or clock: [`super::Agents`] carries the effects out, and tests
//! play whole shifts of transfers with a simulated clock (`tests` below).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use switchboard_media::bridge::MonitorMode;
use switchboard_media::g711::Law;
use switchboard_media::webrtc::{LegId, LegQuality};
use switchboard_proto::{CallState, ErrorCode, MediaState, Monitoring, ServerMessage};
use switchboard_sip::call::Event as CallEvent;
use uuid::Uuid;

use crate::media::hub::Party;
use crate::media::rtp::BridgeCmd;
use crate::routing::{DeskChange, OfferDetails, Report, RingRefused};
use crate::store::TenantId;

/// How long a consulted colleague's desk rings before the consultation (or blind transfer)
/// is given up and the call is the agent's again.
pub(crate) const CONSULT_RING: Duration = Duration::from_secs(30);

/// An agent's step in an attended transfer, once the consulted agent has answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferStep {
    /// All three hear each other.
    Conference,
    /// The consulted agent takes the call; the agent is free.
    Transfer,
    /// Back to the caller: the consulted agent leaves (or a ringing transfer stops).
    Cancel,
}

/// A refused desk request; the call and the session are unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeskError {
    /// Why, for programs.
    pub code: ErrorCode,
    /// Why, for people.
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

/// What the board asks its driver to do, in order.
#[derive(Debug)]
pub(crate) enum Effect {
    /// Send a message to the user's desk, if it is connected.
    Tell { user: Uuid, message: ServerMessage },
    /// A command to the bridge of a connected (or waiting) call.
    Bridge { call: Uuid, cmd: BridgeCmd },
    /// Patch a call's bridge to another call's bridge in its agent's place (or unpatch).
    Patch { call: Uuid, to: Option<Uuid> },
    /// Send a leg's audio to a call's bridge as that party, or nowhere.
    Attach {
        leg: LegId,
        to: Option<(Uuid, Party)>,
    },
    /// An event for the call's machine (accept, refuse, hang up).
    Call { call: Uuid, event: CallEvent },
    /// The tenant's router must hear this.
    Router {
        tenant: TenantId,
        change: DeskChange,
    },
    /// Whoever offered the call hears what the agent did with it.
    Report { call: Uuid, report: Report },
    /// The call's record names the agent who has it now.
    AssignAgent {
        tenant: TenantId,
        call: Uuid,
        agent: Uuid,
    },
    /// The board holds nothing of the call any more: its channels can go.
    Forget { call: Uuid },
}

/// A user's desk as the board knows it.
#[derive(Debug)]
struct Desk {
    tenant: TenantId,
    /// A page is connected (its WebSocket is open).
    connected: bool,
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
    fn connected_leg(&self) -> Option<(LegId, Vec<Law>)> {
        self.leg
            .filter(|_| !self.laws.is_empty())
            .map(|l| (l, self.laws.clone()))
    }

    /// A call offered now would ring: the page is connected and so is its media session.
    fn can_ring(&self) -> bool {
        self.connected && self.connected_leg().is_some()
    }
}

/// A call on the board.
#[derive(Debug)]
struct Slot {
    tenant: TenantId,
    agent: Uuid,
    from: String,
    to: String,
    /// The call is connected: its bridge takes commands.
    bridged: bool,
    supervisor: Option<Uuid>,
    /// The agent consulted for an attended transfer, and the mode once they joined
    /// (`Consult`, then `Barge` for the three-way conference).
    consult: Option<(Uuid, Option<MonitorMode>)>,
    /// Someone offered the call (a router, a flow) and hears the agent's answer.
    reported: bool,
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

impl Slot {
    fn new(tenant: TenantId, agent: Uuid, from: String, to: String, details: OfferDetails) -> Slot {
        Slot {
            tenant,
            agent,
            from,
            to,
            bridged: false,
            supervisor: None,
            consult: None,
            reported: false,
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
        if self.bridged {
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

/// A call to ring on a desk, as the board takes it.
#[derive(Debug)]
pub(crate) struct Offer {
    pub(crate) call: Uuid,
    pub(crate) tenant: TenantId,
    pub(crate) agent: Uuid,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) details: OfferDetails,
    /// Someone (a router, a flow) hears the agent's answer or refusal.
    pub(crate) reported: bool,
    /// The router offered it (so the router knows the agent is on it).
    pub(crate) by_router: bool,
}

/// A supervisor's mode as the desk shows it.
fn shown(mode: MonitorMode) -> Monitoring {
    match mode {
        MonitorMode::Listen => Monitoring::Listen,
        MonitorMode::Whisper => Monitoring::Whisper,
        // A consulted colleague joins like a supervisor; the desk shows them barging.
        MonitorMode::Barge | MonitorMode::Consult => Monitoring::Barge,
    }
}

type Effects = VecDeque<Effect>;

fn tell(out: &mut Effects, user: Uuid, message: ServerMessage) {
    out.push_back(Effect::Tell { user, message });
}

fn bridge(out: &mut Effects, call: Uuid, cmd: BridgeCmd) {
    out.push_back(Effect::Bridge { call, cmd });
}

/// `leg` joins call `id`'s bridge beside the agent (a supervisor, or a consulted colleague),
/// in `mode`, hearing `law`.
fn join_beside(out: &mut Effects, id: Uuid, leg: LegId, mode: MonitorMode, law: Law) {
    out.push_back(Effect::Attach {
        leg,
        to: Some((id, Party::Supervisor)),
    });
    bridge(out, id, BridgeCmd::Supervisor(Some((leg, mode, law))));
}

/// Tell the router when whether `user`'s phone can ring has changed.
fn phone_changed(out: &mut Effects, desk: &mut Desk, user: Uuid) {
    let can_ring = desk.can_ring();
    if desk.can_ring != can_ring {
        desk.can_ring = can_ring;
        out.push_back(Effect::Router {
            tenant: desk.tenant,
            change: DeskChange::Phone {
                agent: user,
                can_ring,
            },
        });
    }
}

/// `user`'s desk takes call `id`; the router hears of it unless it offered the call.
fn occupy(out: &mut Effects, desk: &mut Desk, user: Uuid, id: Uuid, by_router: bool) {
    desk.call = Some(id);
    if !by_router && !desk.engaged {
        desk.engaged = true;
        out.push_back(Effect::Router {
            tenant: desk.tenant,
            change: DeskChange::Engaged {
                agent: user,
                on: true,
            },
        });
    }
}

/// `user`'s desk is free of its call.
fn free(out: &mut Effects, desk: &mut Desk, user: Uuid) {
    desk.call = None;
    if desk.engaged {
        desk.engaged = false;
        out.push_back(Effect::Router {
            tenant: desk.tenant,
            change: DeskChange::Engaged {
                agent: user,
                on: false,
            },
        });
    }
}

/// `user`'s desk leaves the call it was on: it is free, its leg hears nothing, and the page
/// gets `message` (the call `ended` for it).
fn leave(out: &mut Effects, desk: &mut Desk, user: Uuid, message: ServerMessage) {
    free(out, desk, user);
    if let Some(leg) = desk.leg {
        out.push_back(Effect::Attach { leg, to: None });
    }
    tell(out, user, message);
}

/// Timers of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// Consultation `attempt` of a call rings its colleague no longer.
    ConsultRing { call: Uuid, attempt: u64 },
}

/// Every desk and every call that reaches a desk on this node.
#[derive(Debug, Default)]
pub(crate) struct Board {
    desks: HashMap<Uuid, Desk>,
    calls: HashMap<Uuid, Slot>,
    /// Answered calls that wait in a queue for an agent: their bridges play music.
    waiting: HashSet<Uuid>,
    timers: BTreeSet<(Instant, Timer)>,
    out: Effects,
}

impl Board {
    /// The next effect to carry out.
    pub(crate) fn poll_effect(&mut self) -> Option<Effect> {
        self.out.pop_front()
    }

    /// When [`Board::handle_timeout`] must be called next, if ever.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first().map(|(at, _)| *at)
    }

    /// Let time pass to `now`.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(at, timer)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            match timer {
                Timer::ConsultRing { call, attempt } => {
                    let unanswered = self.calls.get(&call).is_some_and(|s| {
                        s.consult.is_some_and(|(_, joined)| joined.is_none())
                            && s.consults == attempt
                    });
                    if unanswered {
                        self.end_consult(call, Some("the colleague did not answer"));
                    }
                }
            }
        }
    }

    /// A page of `user` connected (a second one takes over from the first). It is told where
    /// the desk is: its live call, its monitoring.
    pub(crate) fn connect(&mut self, user: Uuid, tenant: TenantId) {
        let desk = self.desks.entry(user).or_insert_with(|| Desk {
            tenant,
            connected: false,
            leg: None,
            laws: Vec::new(),
            call: None,
            monitoring: None,
            engaged: false,
            can_ring: false,
        });
        desk.connected = true;
        phone_changed(&mut self.out, desk, user);
        let (call, monitoring) = (desk.call, desk.monitoring);
        // A reconnect during a call: tell the page where it is.
        if let Some((id, slot)) = call.and_then(|c| self.calls.get(&c).map(|s| (c, s))) {
            tell(&mut self.out, user, slot.message(id, slot.state()));
        }
        if let Some((id, mode)) = monitoring {
            tell(
                &mut self.out,
                user,
                ServerMessage::Monitoring {
                    call_id: id,
                    mode: shown(mode),
                },
            );
        }
    }

    /// The page of `user` went away. The media leg and any call stay: it may be reloading.
    pub(crate) fn disconnect(&mut self, user: Uuid) {
        if let Some(desk) = self.desks.get_mut(&user) {
            desk.connected = false;
            phone_changed(&mut self.out, desk, user);
        }
    }

    /// Whether a call offered to `user` now would ring on their desk.
    pub(crate) fn can_ring(&self, user: Uuid) -> bool {
        self.desks.get(&user).is_some_and(Desk::can_ring)
    }

    /// The leg `user`'s desk has now, if any.
    pub(crate) fn leg(&self, user: Uuid) -> Option<LegId> {
        self.desks.get(&user).and_then(|d| d.leg)
    }

    /// `user`'s desk negotiated a new media leg (it connects later).
    pub(crate) fn new_leg(&mut self, user: Uuid, leg: LegId) {
        if let Some(desk) = self.desks.get_mut(&user) {
            desk.leg = Some(leg);
            desk.laws.clear();
            phone_changed(&mut self.out, desk, user);
        }
    }

    /// `user`'s leg connected, accepting `laws`: a live call is re-attached to it (after a
    /// reload or an ICE restart on a new leg), and so is a supervisor's monitoring.
    pub(crate) fn leg_connected(&mut self, user: Uuid, leg: LegId, laws: Vec<Law>) {
        let Some(desk) = self.desks.get_mut(&user).filter(|d| d.leg == Some(leg)) else {
            return;
        };
        desk.laws = laws.clone();
        tell(
            &mut self.out,
            user,
            ServerMessage::Media {
                state: MediaState::Connected,
            },
        );
        phone_changed(&mut self.out, desk, user);
        let (call, monitoring) = (desk.call, desk.monitoring);
        if let Some(c) = call.filter(|c| self.calls.get(c).is_some_and(|s| s.bridged)) {
            self.out.push_back(Effect::Attach {
                leg,
                to: Some((c, Party::Agent)),
            });
            bridge(
                &mut self.out,
                c,
                BridgeCmd::AgentLeg(Some((leg, laws.clone()))),
            );
        }
        if let Some((c, mode)) = monitoring
            && self.calls.get(&c).is_some_and(|s| s.bridged)
            && let Some(law) = laws.first()
        {
            join_beside(&mut self.out, c, leg, mode, *law);
        }
    }

    /// Quality figures of `user`'s leg: shown on the desk, kept by the call's bridge.
    pub(crate) fn leg_quality(&mut self, user: Uuid, quality: LegQuality) {
        let Some(desk) = self.desks.get(&user) else {
            return;
        };
        tell(
            &mut self.out,
            user,
            ServerMessage::Quality {
                jitter_ms: (quality.jitter_ms * 10.0).round() / 10.0,
                loss: quality.loss,
                rtt_ms: quality.rtt_ms.map(f64::round),
                mos: crate::media::quality::mos(quality.loss, quality.jitter_ms),
            },
        );
        if let Some(c) = desk
            .call
            .filter(|c| self.calls.get(c).is_some_and(|s| s.bridged))
        {
            bridge(&mut self.out, c, BridgeCmd::AgentQuality(quality));
        }
    }

    /// `user`'s leg closed: the call's bridge loses its agent until a new leg connects.
    pub(crate) fn leg_closed(&mut self, user: Uuid, leg: LegId) {
        let Some(desk) = self.desks.get_mut(&user).filter(|d| d.leg == Some(leg)) else {
            return;
        };
        desk.leg = None;
        desk.laws.clear();
        tell(
            &mut self.out,
            user,
            ServerMessage::Media {
                state: MediaState::Closed,
            },
        );
        phone_changed(&mut self.out, desk, user);
        if let Some(c) = desk
            .call
            .filter(|c| self.calls.get(c).is_some_and(|s| s.bridged))
        {
            bridge(&mut self.out, c, BridgeCmd::AgentLeg(None));
        }
    }

    /// Ring a desk with a call. Refused when the desk is not connected with a live media
    /// session, or is on another call. A call that is offered and still rings may ring more
    /// desks (a ring-all queue); any other rings one desk at a time.
    pub(crate) fn ring(&mut self, offer: Offer) -> Result<(), RingRefused> {
        let id = offer.call;
        let ring_all = match self.calls.get(&id) {
            Some(slot) if offer.reported && slot.reported && !slot.bridged => true,
            Some(_) => return Err(RingRefused::Busy),
            None => false,
        };
        let desk = self
            .desks
            .get_mut(&offer.agent)
            .filter(|d| d.tenant == offer.tenant && d.can_ring())
            .ok_or(RingRefused::Unavailable)?;
        if desk.call.is_some() {
            return Err(RingRefused::Busy);
        }
        occupy(&mut self.out, desk, offer.agent, id, offer.by_router);
        let details = &offer.details;
        tell(
            &mut self.out,
            offer.agent,
            ServerMessage::Incoming {
                call_id: id,
                from: offer.from.clone(),
                to: offer.to.clone(),
                transfer_from: None,
                queue_id: details.queue_id,
                queue_name: details.queue_name.clone(),
                ivr: details.ivr.clone(),
                contact: details.contact.clone(),
            },
        );
        if ring_all {
            if let Some(slot) = self.calls.get_mut(&id) {
                slot.also_ringing.push(offer.agent);
            }
            return Ok(());
        }
        let mut slot = Slot::new(
            offer.tenant,
            offer.agent,
            offer.from,
            offer.to,
            offer.details,
        );
        slot.reported = offer.reported;
        self.calls.insert(id, slot);
        Ok(())
    }

    /// The router took its offer back (it rang out): the desk stops ringing.
    pub(crate) fn withdraw(&mut self, id: Uuid, agent: Uuid) {
        let ringing = self
            .calls
            .get(&id)
            .is_some_and(|s| s.also_ringing.contains(&agent) || (s.agent == agent && !s.bridged));
        if ringing {
            self.stop_ringing(id, agent);
        }
    }

    /// An offer to `agent` that will not be answered: their desk stops ringing and is free.
    /// The call's slot goes when no desk rings with it any more.
    fn stop_ringing(&mut self, id: Uuid, agent: Uuid) {
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        let message = slot.message(id, CallState::Ended);
        if let Some(i) = slot.also_ringing.iter().position(|a| *a == agent) {
            slot.also_ringing.remove(i);
        } else if slot.agent == agent {
            if slot.also_ringing.is_empty() {
                self.calls.remove(&id);
                if !self.waiting.contains(&id) {
                    self.out.push_back(Effect::Forget { call: id });
                }
            } else {
                slot.agent = slot.also_ringing.remove(0);
            }
        } else {
            return;
        }
        if let Some(desk) = self.desks.get_mut(&agent)
            && desk.call == Some(id)
        {
            free(&mut self.out, desk, agent);
            tell(&mut self.out, agent, message);
        }
    }

    /// The agent's call, checked: it exists and belongs to `user`.
    fn own_slot(&self, user: Uuid, id: Uuid) -> Result<&Slot, DeskError> {
        self.calls
            .get(&id)
            .filter(|s| s.leg_of.is_none() && (s.agent == user || s.also_ringing.contains(&user)))
            .ok_or_else(|| refused(ErrorCode::NoSuchCall, "no such call on this desk"))
    }

    /// The agent's call, checked as by [`Board::own_slot`], and connected.
    fn own_bridged(&self, user: Uuid, id: Uuid) -> Result<&Slot, DeskError> {
        let slot = self.own_slot(user, id)?;
        if !slot.bridged {
            return Err(refused(
                ErrorCode::NotConnected,
                "the call is not connected yet",
            ));
        }
        Ok(slot)
    }

    /// The agent's own connected call with only the caller on it (to send elsewhere).
    fn own_connected(&self, user: Uuid, id: Uuid) -> Result<&Slot, DeskError> {
        let slot = self.own_bridged(user, id)?;
        if slot.agent != user {
            return Err(refused(ErrorCode::NoSuchCall, "no such call on this desk"));
        }
        if !slot.is_alone() {
            return Err(refused(ErrorCode::Busy, "someone else is on this call"));
        }
        Ok(slot)
    }

    /// Of a ring-all offer, `user` is the one who answers: they become the call's agent, and
    /// the other desks ring on until the router takes its offers back.
    fn take_offer(&mut self, user: Uuid, id: Uuid) {
        if let Some(slot) = self.calls.get_mut(&id)
            && slot.agent != user
            && let Some(i) = slot.also_ringing.iter().position(|a| *a == user)
        {
            slot.also_ringing[i] = slot.agent;
            slot.agent = user;
        }
    }

    /// The agent accepts the call they are offered (or the consultation they are asked to).
    pub(crate) fn accept(&mut self, user: Uuid, id: Uuid) -> Result<(), DeskError> {
        if self
            .calls
            .get(&id)
            .is_some_and(|s| s.consult == Some((user, None)))
        {
            return self.join_consult(user, id);
        }
        let slot = self.own_slot(user, id)?;
        if slot.bridged {
            return Err(refused(
                ErrorCode::AlreadyAnswered,
                "the call is already connected",
            ));
        }
        if self
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
        let reported = slot.reported;
        self.take_offer(user, id);
        if self.waiting.remove(&id) {
            // A queued call, answered already: the agent joins its bridge, the music stops.
            self.bridged(id);
            bridge(&mut self.out, id, BridgeCmd::Hold(false));
        } else {
            self.out.push_back(Effect::Call {
                call: id,
                event: CallEvent::Accept,
            });
        }
        if reported {
            self.out.push_back(Effect::Report {
                call: id,
                report: Report::Answered {
                    call: id,
                    agent: user,
                },
            });
        }
        Ok(())
    }

    /// The agent refuses an offered call, or hangs up a connected one. A consulted agent
    /// leaves the consultation instead.
    pub(crate) fn hang_up(&mut self, user: Uuid, id: Uuid) -> Result<(), DeskError> {
        if self
            .calls
            .get(&id)
            .is_some_and(|s| s.consult.is_some_and(|(c, _)| c == user))
        {
            self.end_consult(id, Some("the colleague refused the call"));
            return Ok(());
        }
        let slot = self.own_slot(user, id)?;
        if !slot.bridged && slot.reported {
            // A refused offer goes back to whoever offered it; the caller keeps waiting.
            self.out.push_back(Effect::Report {
                call: id,
                report: Report::Refused {
                    call: id,
                    agent: user,
                },
            });
            self.stop_ringing(id, user);
            return Ok(());
        }
        let event = if slot.bridged || slot.outbound {
            CallEvent::LocalHangup
        } else {
            // RFC 3261 21.6.2: the callee declined.
            CallEvent::Refuse(603)
        };
        self.out.push_back(Effect::Call { call: id, event });
        Ok(())
    }

    /// A command from the agent for their connected call's media.
    pub(crate) fn control(
        &mut self,
        user: Uuid,
        id: Uuid,
        cmd: BridgeCmd,
    ) -> Result<(), DeskError> {
        self.own_bridged(user, id)?;
        bridge(&mut self.out, id, cmd);
        Ok(())
    }

    /// Attended transfer, step 1: ring `other` (an agent of the same tenant, signed in and
    /// free) for a consultation about the agent's connected call. With `blind`, the caller
    /// hears music at once and `other` takes the call when they answer (a blind transfer to
    /// an agent); the agent keeps the call, on hold, until then, so a refusal or an offer
    /// that rings out (after [`CONSULT_RING`]) gives it back to them.
    pub(crate) fn consult(
        &mut self,
        now: Instant,
        user: Uuid,
        id: Uuid,
        other: Uuid,
        blind: bool,
    ) -> Result<(), DeskError> {
        let slot = self.own_bridged(user, id)?;
        if !slot.is_alone() {
            return Err(refused(
                ErrorCode::Busy,
                "someone else is already on this call",
            ));
        }
        let (tenant, from, to) = (slot.tenant, slot.from.clone(), slot.to.clone());
        let details = slot.details.clone();
        // Another tenant's user is "unavailable" like an absent one: nothing is disclosed.
        let desk = self
            .desks
            .get_mut(&other)
            .filter(|d| other != user && d.tenant == tenant && d.call.is_none() && d.can_ring())
            .ok_or_else(|| refused(ErrorCode::Unavailable, "that agent cannot take a call now"))?;
        occupy(&mut self.out, desk, other, id, false);
        tell(
            &mut self.out,
            other,
            ServerMessage::Incoming {
                call_id: id,
                from,
                to,
                transfer_from: Some(user),
                queue_id: details.queue_id,
                queue_name: details.queue_name,
                ivr: details.ivr,
                contact: details.contact,
            },
        );
        let Some(slot) = self.calls.get_mut(&id) else {
            return Ok(());
        };
        slot.consult = Some((other, None));
        slot.blind = blind;
        slot.consults += 1;
        let attempt = slot.consults;
        if blind {
            bridge(&mut self.out, id, BridgeCmd::Music(true));
            bridge(&mut self.out, id, BridgeCmd::Hold(true));
            // The colleague's desk rings on; only the agent hears the transfer is under way.
            let message = slot.message(id, CallState::Transferring);
            tell(&mut self.out, user, message);
        }
        self.timers
            .insert((now + CONSULT_RING, Timer::ConsultRing { call: id, attempt }));
        Ok(())
    }

    /// The consulted agent accepted: they and the agent talk, the caller hears music. After
    /// a blind transfer they take the call at once.
    fn join_consult(&mut self, user: Uuid, id: Uuid) -> Result<(), DeskError> {
        let (leg, laws) = self
            .desks
            .get(&user)
            .and_then(Desk::connected_leg)
            .ok_or_else(|| refused(ErrorCode::NoMedia, "the media session is not connected"))?;
        let Some(slot) = self.calls.get_mut(&id) else {
            return Err(refused(ErrorCode::NoSuchCall, "no such call on this desk"));
        };
        if !slot.bridged {
            return Err(refused(
                ErrorCode::NotConnected,
                "the call is not connected yet",
            ));
        }
        if slot.blind {
            bridge(&mut self.out, id, BridgeCmd::Hold(false));
            self.hand_over(id, user, (leg, laws));
            return Ok(());
        }
        slot.consult = Some((user, Some(MonitorMode::Consult)));
        join_beside(&mut self.out, id, leg, MonitorMode::Consult, laws[0]);
        self.tell_parties(id, CallState::Consulting);
        Ok(())
    }

    /// Send the call's state to its agent and consulted agent.
    fn tell_parties(&mut self, id: Uuid, state: CallState) {
        let Some(slot) = self.calls.get(&id) else {
            return;
        };
        let message = slot.message(id, state);
        for user in std::iter::once(slot.agent).chain(slot.consult.map(|(c, _)| c)) {
            tell(&mut self.out, user, message.clone());
        }
    }

    /// Tell the call's agent why their transfer did not happen; the call is theirs again.
    fn transfer_failed(&mut self, id: Uuid, why: &str) {
        if let Some(slot) = self.calls.get(&id) {
            tell(
                &mut self.out,
                slot.agent,
                ServerMessage::Error {
                    code: ErrorCode::TransferFailed,
                    message: why.to_owned(),
                },
            );
        }
    }

    /// The consultation ends without a transfer: the consulted agent leaves (`failed` says
    /// why, unless the agent cancelled it). After a blind transfer the caller is the agent's
    /// again.
    fn end_consult(&mut self, id: Uuid, failed: Option<&str>) {
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((other, joined)) = slot.consult.take() else {
            return;
        };
        let message = slot.message(id, CallState::Ended);
        if slot.bridged {
            if joined.is_some() {
                bridge(&mut self.out, id, BridgeCmd::Supervisor(None));
            }
            if std::mem::take(&mut slot.blind) {
                bridge(&mut self.out, id, BridgeCmd::Hold(false));
            }
        }
        if let Some(desk) = self.desks.get_mut(&other) {
            leave(&mut self.out, desk, other, message);
        }
        self.tell_parties(id, CallState::Connected);
        if let Some(why) = failed {
            self.transfer_failed(id, why);
        }
    }

    /// `other` (consulted, or taking a blind transfer) becomes the call's agent, on `leg`;
    /// the agent who had it is free, and the router and the record hear of it.
    fn hand_over(&mut self, id: Uuid, other: Uuid, (leg, laws): (LegId, Vec<Law>)) {
        bridge(&mut self.out, id, BridgeCmd::Supervisor(None));
        self.out.push_back(Effect::Attach {
            leg,
            to: Some((id, Party::Agent)),
        });
        bridge(&mut self.out, id, BridgeCmd::AgentLeg(Some((leg, laws))));
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        let user = slot.agent;
        slot.consult = None;
        slot.blind = false;
        slot.agent = other;
        let (message, tenant) = (slot.message(id, CallState::Ended), slot.tenant);
        self.out.push_back(Effect::Router {
            tenant,
            change: DeskChange::HandedOver {
                call: id,
                from: user,
                to: Some(other),
            },
        });
        self.out.push_back(Effect::AssignAgent {
            tenant,
            call: id,
            agent: other,
        });
        if let Some(desk) = self.desks.get_mut(&user) {
            leave(&mut self.out, desk, user, message);
        }
        self.tell_parties(id, CallState::Connected);
    }

    /// The agent's step in an attended transfer, once the consulted agent has answered:
    /// `Conference` (all three), `Transfer` (the consulted agent takes the call) or
    /// `Cancel` (back to the caller; it also cancels a transfer that still rings).
    pub(crate) fn transfer_step(
        &mut self,
        user: Uuid,
        id: Uuid,
        step: TransferStep,
    ) -> Result<(), DeskError> {
        let slot = self.own_slot(user, id)?;
        if let Some(outside) = slot.external {
            if step != TransferStep::Cancel {
                return Err(refused(
                    ErrorCode::NoConsultation,
                    "the transfer is still ringing",
                ));
            }
            // The outside call is cancelled; when it ends, the caller is the agent's again.
            self.out.push_back(Effect::Call {
                call: outside,
                event: CallEvent::LocalHangup,
            });
            return Ok(());
        }
        let (other, joined) = slot.consult.ok_or_else(|| {
            refused(
                ErrorCode::NoConsultation,
                "no agent is consulted on this call",
            )
        })?;
        if step == TransferStep::Cancel {
            self.end_consult(id, None);
            return Ok(());
        }
        if joined.is_none() {
            return Err(refused(
                ErrorCode::NotJoined,
                "the consulted agent has not answered yet",
            ));
        }
        let bridged = slot.bridged;
        let (leg, laws) = self
            .desks
            .get(&other)
            .and_then(Desk::connected_leg)
            .ok_or_else(|| {
                refused(
                    ErrorCode::NoMedia,
                    "the consulted agent's media is not connected",
                )
            })?;
        if !bridged {
            return Err(refused(
                ErrorCode::NotConnected,
                "the call is not connected yet",
            ));
        }
        match step {
            TransferStep::Conference => {
                if let Some(slot) = self.calls.get_mut(&id) {
                    slot.consult = Some((other, Some(MonitorMode::Barge)));
                }
                bridge(
                    &mut self.out,
                    id,
                    BridgeCmd::Supervisor(Some((leg, MonitorMode::Barge, laws[0]))),
                );
                self.tell_parties(id, CallState::Conference);
            }
            TransferStep::Transfer => self.hand_over(id, other, (leg, laws)),
            TransferStep::Cancel => {}
        }
        Ok(())
    }

    /// Blind transfer to a queue, step 1: the agent lets go of their connected call, which
    /// goes back on hold (music) and waits for the next agent. The caller stays connected.
    /// The router is told next.
    pub(crate) fn release(&mut self, user: Uuid, id: Uuid) -> Result<(), DeskError> {
        let slot = self.own_connected(user, id)?;
        if !slot.reported || slot.details.queue_id.is_none() {
            // A direct line's call, or one a flow sent to this agent, has no queue to go
            // back through.
            return Err(refused(
                ErrorCode::NotQueued,
                "only calls from a queue can go to another queue",
            ));
        }
        let Some(slot) = self.calls.remove(&id) else {
            return Ok(());
        };
        bridge(&mut self.out, id, BridgeCmd::AgentLeg(None));
        bridge(&mut self.out, id, BridgeCmd::Music(true));
        bridge(&mut self.out, id, BridgeCmd::Hold(true));
        self.waiting.insert(id);
        // Desks a ring-all offer still rings stop now: the call is nobody's.
        for other in &slot.also_ringing {
            if let Some(desk) = self.desks.get_mut(other)
                && desk.call == Some(id)
            {
                free(&mut self.out, desk, *other);
                tell(&mut self.out, *other, slot.message(id, CallState::Ended));
            }
        }
        if let Some(desk) = self.desks.get_mut(&user) {
            leave(
                &mut self.out,
                desk,
                user,
                slot.message(id, CallState::Ended),
            );
        }
        Ok(())
    }

    /// The agent dials out: their desk holds call `id` while it rings at the far end, and
    /// joins its bridge when it is answered. Refused when the desk has no media session or
    /// another call.
    pub(crate) fn dialing(
        &mut self,
        id: Uuid,
        tenant: TenantId,
        agent: Uuid,
        to: &str,
    ) -> Result<(), DeskError> {
        let desk = self
            .desks
            .get_mut(&agent)
            .filter(|d| d.tenant == tenant && d.can_ring())
            .ok_or_else(|| refused(ErrorCode::NoMedia, "the media session is not connected"))?;
        if desk.call.is_some() {
            return Err(refused(ErrorCode::Busy, "finish the current call first"));
        }
        desk.call = Some(id);
        let mut slot = Slot::new(
            tenant,
            agent,
            String::new(),
            to.to_owned(),
            OfferDetails::default(),
        );
        slot.outbound = true;
        tell(&mut self.out, agent, slot.message(id, CallState::Dialing));
        self.calls.insert(id, slot);
        Ok(())
    }

    /// Blind transfer to an outside number, step 1: the caller hears music while call
    /// `outside` (placed next through the trunk) rings `to`. When it answers, the two calls
    /// are patched together and the agent is free; when it fails or the agent cancels, the
    /// caller is the agent's again.
    pub(crate) fn transfer_out(
        &mut self,
        user: Uuid,
        id: Uuid,
        outside: Uuid,
        to: &str,
    ) -> Result<(), DeskError> {
        let tenant = self.own_connected(user, id)?.tenant;
        bridge(&mut self.out, id, BridgeCmd::Music(true));
        bridge(&mut self.out, id, BridgeCmd::Hold(true));
        if let Some(slot) = self.calls.get_mut(&id) {
            slot.external = Some(outside);
        }
        let mut leg = Slot::new(
            tenant,
            user,
            String::new(),
            to.to_owned(),
            OfferDetails::default(),
        );
        leg.leg_of = Some(id);
        self.calls.insert(outside, leg);
        self.tell_parties(id, CallState::Transferring);
        Ok(())
    }

    /// The outside call of a transfer answered: patch it to the caller's call and free the
    /// agent.
    fn patch(&mut self, outside: Uuid, id: Uuid) {
        let ringing = self
            .calls
            .get(&id)
            .is_some_and(|s| s.external == Some(outside) && s.bridged);
        if !ringing {
            // Cancelled, or the caller left, while it rang.
            self.out.push_back(Effect::Call {
                call: outside,
                event: CallEvent::LocalHangup,
            });
            return;
        }
        self.out.push_back(Effect::Patch {
            call: id,
            to: Some(outside),
        });
        self.out.push_back(Effect::Patch {
            call: outside,
            to: Some(id),
        });
        bridge(&mut self.out, id, BridgeCmd::Hold(false));
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        slot.external = None;
        slot.patched = Some(outside);
        let (user, tenant, message) = (slot.agent, slot.tenant, slot.message(id, CallState::Ended));
        self.out.push_back(Effect::Router {
            tenant,
            change: DeskChange::HandedOver {
                call: id,
                from: user,
                to: None,
            },
        });
        if let Some(desk) = self.desks.get_mut(&user)
            && desk.call == Some(id)
        {
            leave(&mut self.out, desk, user, message);
        }
    }

    /// The outside call of a transfer of call `id` ended: after the patch the caller's call
    /// ends too; before it, the caller is the agent's again.
    fn outside_ended(&mut self, outside: Uuid, id: Uuid) {
        let Some(slot) = self.calls.get_mut(&id) else {
            return;
        };
        if slot.patched == Some(outside) {
            self.out.push_back(Effect::Call {
                call: id,
                event: CallEvent::LocalHangup,
            });
        } else if slot.external == Some(outside) {
            slot.external = None;
            if slot.bridged {
                bridge(&mut self.out, id, BridgeCmd::Hold(false));
            }
            self.tell_parties(id, CallState::Connected);
            self.transfer_failed(id, "the number did not answer");
        }
    }

    /// A supervisor starts, changes or stops (`None`) monitoring a call of their tenant.
    pub(crate) fn monitor(
        &mut self,
        user: Uuid,
        tenant: TenantId,
        id: Uuid,
        mode: Option<MonitorMode>,
    ) -> Result<(), DeskError> {
        // Another tenant's call is "no such call": its existence is not disclosed.
        let slot = self
            .calls
            .get(&id)
            .filter(|s| s.tenant == tenant)
            .ok_or_else(|| refused(ErrorCode::NoSuchCall, "no such call"))?;
        if !slot.bridged {
            return Err(refused(
                ErrorCode::NotConnected,
                "the call is not connected yet",
            ));
        }
        if slot.supervisor.is_some_and(|s| s != user) || slot.consult.is_some() {
            return Err(refused(
                ErrorCode::Busy,
                "someone else is already on this call",
            ));
        }
        let no_media = || refused(ErrorCode::NoMedia, "the media session is not connected");
        let desk = self.desks.get_mut(&user).ok_or_else(no_media)?;
        let (leg, laws) = desk.connected_leg().ok_or_else(no_media)?;
        match mode {
            Some(mode) => {
                desk.monitoring = Some((id, mode));
                tell(
                    &mut self.out,
                    user,
                    ServerMessage::Monitoring {
                        call_id: id,
                        mode: shown(mode),
                    },
                );
                join_beside(&mut self.out, id, leg, mode, laws[0]);
            }
            None => {
                desk.monitoring = None;
                tell(
                    &mut self.out,
                    user,
                    ServerMessage::Monitoring {
                        call_id: id,
                        mode: Monitoring::Off,
                    },
                );
                self.out.push_back(Effect::Attach { leg, to: None });
                bridge(&mut self.out, id, BridgeCmd::Supervisor(None));
            }
        }
        if let Some(slot) = self.calls.get_mut(&id) {
            slot.supervisor = mode.map(|_| user);
        }
        Ok(())
    }

    /// Call `id` is connected and its bridge takes commands: the agent's leg is attached. A
    /// call the board does not hold is a queued call, whose bridge waits for the agent who
    /// accepts it; the outside call of a transfer is patched to the caller.
    pub(crate) fn bridged(&mut self, id: Uuid) {
        let Some(slot) = self.calls.get_mut(&id) else {
            self.waiting.insert(id);
            return;
        };
        if let Some(caller) = slot.leg_of {
            slot.bridged = true;
            self.patch(id, caller);
            return;
        }
        slot.bridged = true;
        let agent = slot.agent;
        let message = slot.message(id, CallState::Connected);
        tell(&mut self.out, agent, message);
        if let Some((leg, laws)) = self.desks.get(&agent).and_then(Desk::connected_leg) {
            self.out.push_back(Effect::Attach {
                leg,
                to: Some((id, Party::Agent)),
            });
            bridge(&mut self.out, id, BridgeCmd::AgentLeg(Some((leg, laws))));
        }
    }

    /// Call `id` ended: free the agent and any supervisor; a call patched to it or ringing
    /// for its transfer ends too.
    pub(crate) fn ended(&mut self, id: Uuid) {
        self.waiting.remove(&id);
        self.out.push_back(Effect::Forget { call: id });
        let Some(slot) = self.calls.remove(&id) else {
            return;
        };
        if let Some(caller) = slot.leg_of {
            self.outside_ended(id, caller);
            return;
        }
        if let Some(outside) = slot.patched.or(slot.external) {
            self.out.push_back(Effect::Call {
                call: outside,
                event: CallEvent::LocalHangup,
            });
        }
        let message = slot.message(id, CallState::Ended);
        let consulted = slot.consult.map(|(c, _)| c);
        for user in std::iter::once(slot.agent)
            .chain(slot.supervisor)
            .chain(consulted)
            .chain(slot.also_ringing)
        {
            let Some(desk) = self.desks.get_mut(&user) else {
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
                free(&mut self.out, desk, user);
            }
            if let Some(leg) = desk.leg {
                self.out.push_back(Effect::Attach { leg, to: None });
            }
            tell(&mut self.out, user, message.clone());
        }
    }

    /// Check every invariant; `Err` names the first broken one. For tests.
    #[cfg(test)]
    pub(crate) fn check(&self) -> Result<(), String> {
        for (user, desk) in &self.desks {
            if let Some(call) = desk.call {
                let Some(slot) = self.calls.get(&call) else {
                    return Err(format!(
                        "{user} is on {call}, which the board does not hold"
                    ));
                };
                let names = slot.agent == *user
                    || slot.also_ringing.contains(user)
                    || slot.consult.is_some_and(|(c, _)| c == *user);
                if !names {
                    return Err(format!("{user} is on {call}, which does not name them"));
                }
            }
        }
        for (call, slot) in &self.calls {
            if slot.leg_of.is_some() {
                continue;
            }
            let held = self
                .desks
                .get(&slot.agent)
                .is_some_and(|d| d.call == Some(*call));
            // A call whose agent let go of it (a patch, a hand-over) is theirs no more.
            if !held && slot.patched.is_none() {
                return Err(format!("{call}'s agent {} is not on it", slot.agent));
            }
        }
        Ok(())
    }

    /// Calls the board holds.
    #[cfg(test)]
    pub(crate) fn calls(&self) -> usize {
        self.calls.len() + self.waiting.len()
    }
}

#[cfg(test)]
#[path = "board_tests.rs"]
mod tests;
