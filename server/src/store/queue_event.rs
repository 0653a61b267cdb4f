//! Counted events of calls in queues (offered, answered, abandoned, overflowed): the record
//! behind the queues' live counters and their daily figures.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{TenantId, new_id};

/// One counted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Offered,
    Answered {
        wait_ms: i64,
        in_service_level: bool,
    },
    Abandoned,
    Overflowed,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Offered => "offered",
            Kind::Answered { .. } => "answered",
            Kind::Abandoned => "abandoned",
            Kind::Overflowed => "overflowed",
        }
    }
}

pub async fn record(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue: Uuid,
    call: Uuid,
    kind: Kind,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (wait_ms, in_sl) = match kind {
        Kind::Answered {
            wait_ms,
            in_service_level,
        } => (Some(wait_ms), Some(in_service_level)),
        _ => (None, None),
    };
    sqlx::query!(
        "insert into queue_event (id, tenant_id, queue_id, call_id, kind, wait_ms, in_service_level, at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        new_id(),
        tenant.0,
        queue,
        call,
        kind.name(),
        wait_ms,
        in_sl,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A queue's counters over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Counters {
    pub offered: i64,
    pub answered: i64,
    pub answered_in_service_level: i64,
    pub abandoned: i64,
    pub overflowed: i64,
    /// Total wait of the answered calls, in ms.
    pub answered_wait_ms: i64,
}

/// Every queue's counters from `since` (inclusive) to `until` (exclusive).
pub async fn counters(
    conn: &mut PgConnection,
    tenant: TenantId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<(Uuid, Counters)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select queue_id,
                  count(*) filter (where kind = 'offered') as "offered!",
                  count(*) filter (where kind = 'answered') as "answered!",
                  count(*) filter (where kind = 'answered' and in_service_level) as "in_sl!",
                  count(*) filter (where kind = 'abandoned') as "abandoned!",
                  count(*) filter (where kind = 'overflowed') as "overflowed!",
                  coalesce(sum(wait_ms) filter (where kind = 'answered'), 0)::bigint as "wait!"
           from queue_event
           where tenant_id = $1 and at >= $2 and at < $3
           group by queue_id"#,
        tenant.0,
        since,
        until
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.queue_id,
                Counters {
                    offered: r.offered,
                    answered: r.answered,
                    answered_in_service_level: r.in_sl,
                    abandoned: r.abandoned,
                    overflowed: r.overflowed,
                    answered_wait_ms: r.wait,
                },
            )
        })
        .collect())
}

/// An agent's state changed (kept with the queue events: both are the routing service's record).
pub async fn record_agent_state(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: Uuid,
    state: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into agent_state_event (id, tenant_id, user_id, state, reason, at)
         values ($1, $2, $3, $4, $5, $6)",
        new_id(),
        tenant.0,
        user,
        state,
        reason,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An agent's state changes from `since`, oldest first (at most 1,000).
pub async fn agent_states(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<AgentStateEvent>, sqlx::Error> {
    sqlx::query_as!(
        AgentStateEvent,
        "select state, reason, at from agent_state_event
         where tenant_id = $1 and user_id = $2 and at >= $3 order by at, id limit 1000",
        tenant.0,
        user,
        since
    )
    .fetch_all(conn)
    .await
}

/// One recorded state change of an agent.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AgentStateEvent {
    pub state: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}
