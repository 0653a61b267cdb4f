//! The routing service: one task per tenant runs the tenant's sans-IO router
//! (`switchboard-acd`) behind a handle, fed by the call driver (a call for a queue arrived or
//! ended) and the agents' desks (state changes, answers, refusals), and carries out its
//! decisions: offers ring the agent's desk, withdrawn offers stop ringing, state changes are
//! shown on the desk, overflowing calls are refused.
//!
//! The router of a tenant lives on one node at a time; everything reaches it through its
//! command channel (no shared memory), which is the seam for moving it between nodes later.
//!
//! A queued call is answered at once and hears music on hold while it waits, with its position
//! and expected wait announced every `announce_every_secs`; the agent who accepts the offer
//! joins its bridge. A `ring_all` queue rings every free member's desk at once; the first to
//! answer takes the call and the others stop ringing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_acd::AgentState;
use switchboard_proto::Live;
use switchboard_sip::call::Event as CallEvent;
use tokio::sync::mpsc::{self, UnboundedSender};
use uuid::Uuid;

mod desk_link;
mod task;

pub use desk_link::{DeskChange, DeskLink, OfferDetails, Report, Reporter, Ring, RingRefused};

use crate::store::{Store, TenantId};
use task::Task;

/// An answered call handed to the router, with what the agent is told about it and how the
/// router reaches the call.
#[derive(Debug)]
pub struct Arrival {
    pub call: Uuid,
    pub queue: Uuid,
    /// Higher goes first within the queue (from the IVR's `set_priority`).
    pub priority: i32,
    pub from: String,
    pub to: String,
    pub details: OfferDetails,
    /// The call's state machine (a desk that accepts or hangs up reports there).
    pub events: UnboundedSender<CallEvent>,
    /// The call's driver: announcements, and giving up.
    pub notices: UnboundedSender<QueueNotice>,
}

enum Command {
    Arrived(Arrival),
    Ended {
        call: Uuid,
    },
    State {
        agent: Uuid,
        state: AgentState,
    },
    Report(Report),
    /// The desk was on another call when the offer reached it.
    DeskBusy {
        call: Uuid,
        agent: Uuid,
    },
    Desk(DeskChange),
    Disconnected {
        agent: Uuid,
    },
    ExtendWrapUp {
        agent: Uuid,
        more: Duration,
    },
    Transfer {
        call: Uuid,
        agent: Uuid,
        queue: Uuid,
    },
    Reload,
    Live {
        queue: Uuid,
        reply: tokio::sync::oneshot::Sender<Live>,
    },
}

/// What a tenant's router tells a waiting call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueNotice {
    /// Tell the caller their position and the expected wait.
    Announce {
        position: usize,
        expected_wait: Option<Duration>,
    },
    /// The call can go nowhere (full queue, max wait with no overflow).
    GiveUp,
}

/// The routers of this node's tenants. Cheap to clone.
#[derive(Clone)]
pub struct Routing {
    tenants: Arc<Mutex<HashMap<TenantId, UnboundedSender<Command>>>>,
    store: Store,
    desks: Arc<dyn DeskLink>,
}

impl std::fmt::Debug for Routing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Routing")
    }
}

impl Routing {
    /// The routers, which ring and tell agents through `desks`.
    pub fn new(store: Store, desks: Arc<dyn DeskLink>) -> Routing {
        Routing {
            tenants: Arc::default(),
            store,
            desks,
        }
    }

    /// The desks report a change the router must route around.
    pub fn desk_changed(&self, tenant: TenantId, change: DeskChange) {
        // A tenant with no router yet has nothing to route around.
        if self.running(tenant) {
            self.send(tenant, Command::Desk(change));
        }
    }

    fn running(&self, tenant: TenantId) -> bool {
        self.tenants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(&tenant)
    }

    fn send(&self, tenant: TenantId, command: Command) {
        let mut tenants = self
            .tenants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = tenants.entry(tenant).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let task = Task::new(tenant, self.store.clone(), self.desks.clone(), tx.clone());
            tokio::spawn(task.run(rx));
            tx
        });
        let _ = tx.send(command);
    }

    /// An answered call waits for an agent of a queue, hearing music.
    pub fn arrived(&self, tenant: TenantId, arrival: Arrival) {
        self.send(tenant, Command::Arrived(arrival));
    }

    /// A call of a queue ended (whatever its state).
    pub fn ended(&self, tenant: TenantId, call: Uuid) {
        self.send(tenant, Command::Ended { call });
    }

    /// An agent chose a state: `available`, `break` (with a reason) or `offline`.
    pub fn set_state(&self, tenant: TenantId, agent: Uuid, state: AgentState) {
        self.send(tenant, Command::State { agent, state });
    }

    /// A queue's live state, from its tenant's router.
    pub async fn live(&self, tenant: TenantId, queue: Uuid) -> Option<Live> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.send(tenant, Command::Live { queue, reply });
        rx.await.ok()
    }

    /// An agent in wrap-up wants `more` time from now.
    pub fn extend_wrap_up(&self, tenant: TenantId, agent: Uuid, more: Duration) {
        self.send(tenant, Command::ExtendWrapUp { agent, more });
    }

    /// Blind transfer, step 2: `agent` (who let go of the call on their desk) hands their
    /// call to `queue`. They go to wrap-up; the call arrives in `queue` anew, with its
    /// priority, IVR data and card.
    pub fn transfer(&self, tenant: TenantId, call: Uuid, agent: Uuid, queue: Uuid) {
        self.send(tenant, Command::Transfer { call, agent, queue });
    }

    /// An agent's desk has been gone past its grace period.
    pub fn disconnected(&self, tenant: TenantId, agent: Uuid) {
        self.send(tenant, Command::Disconnected { agent });
    }

    /// Queues changed: reload them.
    pub fn reload(&self, tenant: TenantId) {
        if self.running(tenant) {
            self.send(tenant, Command::Reload);
        }
    }
}
