//! A queue now, as supervisors watch it (`queue_live`, and `GET /queues/{id}/live`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AgentStatus;

/// A queue now: who waits, how long, the agents by state, today's counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Live {
    pub waiting: Vec<LiveCall>,
    pub agents: Vec<LiveAgent>,
    pub offered: u64,
    pub answered: u64,
    pub answered_in_service_level: u64,
    pub abandoned: u64,
    pub overflowed: u64,
    /// Percent of answered calls answered within the service-level time; none before the
    /// first answer.
    pub service_level_percent: Option<f64>,
}

/// A call waiting in a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveCall {
    pub call_id: Uuid,
    pub from: String,
    pub waiting_secs: u64,
}

/// A member of a queue and their state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveAgent {
    pub user_id: Uuid,
    pub state: AgentStatus,
    /// Whether a call offered now would ring on their desk (signed in, media connected).
    pub can_ring: bool,
    /// The call they are offered or on (a supervisor listens, whispers or barges in on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<Uuid>,
}
