//! What a tenant's router needs of the desks, and what it hears from them. The router
//! defines it and the desks implement it, so the router knows nothing of how a desk rings.

use std::sync::Arc;

use switchboard_proto::{ContactCard, IvrInputs, ServerMessage};
use switchboard_sip::call::Event as CallEvent;
use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

use crate::store::TenantId;

/// The desks, as the routers use them.
pub trait DeskLink: Send + Sync + 'static {
    /// Ring a desk with a call.
    fn ring(&self, ring: Ring) -> Result<(), RingRefused>;
    /// The router took its offer back (it rang out): the desk stops ringing.
    fn withdraw(&self, call: Uuid, agent: Uuid);
    /// Tell a user's desk, if it is connected.
    fn tell(&self, user: Uuid, message: ServerMessage);
    /// Whether a call offered to `user` now would ring on their desk.
    fn can_ring(&self, user: Uuid) -> bool;
}

/// A call to ring on an agent's desk.
#[derive(Debug)]
pub struct Ring {
    pub call: Uuid,
    pub tenant: TenantId,
    pub agent: Uuid,
    pub from: String,
    pub to: String,
    pub details: OfferDetails,
    /// The call's machine: the desk accepts and refuses through it.
    pub events: UnboundedSender<CallEvent>,
    /// Who hears the agent's answer or refusal (a router, a flow); none for a direct line.
    pub report: Option<Reporter>,
    /// The router offered it (so the router knows the agent is on it).
    pub by_router: bool,
}

/// Why a desk cannot ring now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RingRefused {
    /// The user is not signed in, or their media session is not connected.
    #[error("the desk is not connected")]
    Unavailable,
    /// The desk is on another call.
    #[error("the desk is on another call")]
    Busy,
}

impl RingRefused {
    /// The SIP status a caller ringing this desk directly gets (RFC 3261 21.4.18, 21.4.24).
    pub fn sip_code(self) -> u16 {
        match self {
            RingRefused::Unavailable => 480,
            RingRefused::Busy => 486,
        }
    }
}

/// Where an agent's answer to an offer goes.
#[derive(Clone)]
pub struct Reporter(Arc<dyn Fn(Report) + Send + Sync>);

impl Reporter {
    pub fn new(report: impl Fn(Report) + Send + Sync + 'static) -> Reporter {
        Reporter(Arc::new(report))
    }

    /// Report `what`.
    pub fn report(&self, what: Report) {
        (self.0)(what);
    }
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter")
    }
}

/// What the router hears from the desks about calls it did not route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskChange {
    /// The agent took (`on`) or left a call the router did not offer: a colleague's
    /// consultation, a direct line's call, a call a flow sent them.
    Engaged { agent: Uuid, on: bool },
    /// The desk's phone can ring (`true`: a WebSocket and a connected media session) or
    /// cannot (either is gone). The router offers calls only to a phone that can ring.
    Phone { agent: Uuid, can_ring: bool },
    /// A transfer completed: `to` has the connected call now, or nobody (`None`: it went to
    /// an outside number). `from` is done with it.
    HandedOver {
        call: Uuid,
        from: Uuid,
        to: Option<Uuid>,
    },
}

/// What the desks report to whoever offered a call (a tenant's router, a flow's driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Answered { call: Uuid, agent: Uuid },
    Refused { call: Uuid, agent: Uuid },
}

/// What an agent is told about a call offered to them, besides its numbers.
#[derive(Debug, Clone, Default)]
pub struct OfferDetails {
    pub queue_id: Option<Uuid>,
    pub queue_name: Option<String>,
    pub ivr: Option<IvrInputs>,
    pub contact: Option<Box<ContactCard>>,
}
