//! A queue now, as supervisors watch it (`queue_live`, and `GET /queues/{id}/live`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AgentStatus;

/// A queue now: who waits, how long, the agents by state, today's counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Live {
    /// Calls waiting, in the order they will be taken.
    pub waiting: Vec<LiveCall>,
    /// The queue's members and their states.
    pub agents: Vec<LiveAgent>,
    /// Calls that entered the queue today.
    pub offered: u64,
    /// Calls an agent answered today.
    pub answered: u64,
    /// Of those, answered within the queue's service-level time.
    pub answered_in_service_level: u64,
    /// Callers who hung up before an agent answered, today.
    pub abandoned: u64,
    /// Calls that left for another queue or were given up, today.
    pub overflowed: u64,
    /// Percent of answered calls answered within the service-level time; none before the
    /// first answer.
    pub service_level_percent: Option<f64>,
}

/// A call waiting in a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveCall {
    /// The call.
    pub call_id: Uuid,
    /// The caller's number.
    pub from: String,
    /// How long it has waited, in seconds.
    pub waiting_secs: u64,
}

/// A member of a queue and their state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveAgent {
    /// The agent.
    pub user_id: Uuid,
    /// Their state as the router sees it.
    pub state: AgentStatus,
    /// Whether a call offered now would ring on their desk (signed in, media connected).
    pub can_ring: bool,
    /// The call they are offered or on (a supervisor listens, whispers or barges in on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<Uuid>,
}
