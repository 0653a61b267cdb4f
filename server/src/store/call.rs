//! Call records (CDRs). A record is written when a call starts and completed when it ends, so
//! a node that dies leaves an open record, which [`close_orphans`] closes when the node starts
//! again: nothing that was accepted is lost.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageRequest, PlatformTx, TenantId};

/// A call record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallRecord {
    pub id: Uuid,
    /// `inbound` or `outbound`.
    pub direction: String,
    pub trunk_id: Option<Uuid>,
    pub number_id: Option<Uuid>,
    pub from_number: String,
    pub to_number: String,
    pub sip_call_id: String,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// From answer to end, in milliseconds (0 for unanswered calls).
    pub duration_ms: Option<i64>,
    /// `answered`, `no_answer`, `busy`, `cancelled`, `rejected`, `failed`, `max_duration`,
    /// `crashed`, `blocked` (the caller is on the tenant's blacklist).
    pub hangup_cause: Option<String>,
    /// `caller`, `callee` or `system`.
    pub hangup_side: Option<String>,
    /// Final SIP status of the INVITE.
    pub sip_code: Option<i32>,
    pub codec: Option<String>,
    /// Digits the caller pressed.
    pub dtmf_digits: String,
    /// Reception quality: `packets`, `lost`, `jitter_ms`, `mos`.
    #[schema(value_type = Object)]
    pub quality: serde_json::Value,
    /// The agent who was offered or answered the call.
    pub agent_id: Option<Uuid>,
    /// Whether the call has a recording (`GET /api/v1/calls/{id}/recording`).
    pub has_recording: bool,
    /// Spans of the recording that were paused, in ms from its start.
    #[schema(value_type = Vec<Object>)]
    pub recording_pauses: serde_json::Value,
    /// The queue the call waited in.
    pub queue_id: Option<Uuid>,
    /// What the caller chose and entered in the IVR:
    /// `{"choices": [{"node", "key"}], "variables": {name: value}}`.
    #[schema(value_type = Option<Object>)]
    pub ivr: Option<serde_json::Value>,
}

/// A call that has just started.
#[derive(Debug, Clone)]
pub struct NewCall<'a> {
    pub id: Uuid,
    pub tenant: TenantId,
    pub direction: &'a str,
    pub trunk_id: Option<Uuid>,
    pub number_id: Option<Uuid>,
    pub from_number: &'a str,
    pub to_number: &'a str,
    pub sip_call_id: &'a str,
    pub started_at: DateTime<Utc>,
    pub node: &'a str,
}

/// How a call ended.
#[derive(Debug, Clone)]
pub struct CallEnd<'a> {
    pub ended_at: DateTime<Utc>,
    pub hangup_cause: &'a str,
    pub hangup_side: &'a str,
    pub sip_code: Option<i32>,
    pub codec: Option<&'a str>,
    pub dtmf_digits: &'a str,
    pub quality: serde_json::Value,
}

/// Filters of the call list.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub direction: Option<String>,
    /// E.164 number that is either the caller or the callee.
    pub number: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut PgConnection, c: &NewCall<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into call (id, tenant_id, direction, trunk_id, number_id, from_number, to_number, sip_call_id,
                           started_at, node)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        c.id,
        c.tenant.0,
        c.direction,
        c.trunk_id,
        c.number_id,
        c.from_number,
        c.to_number,
        c.sip_call_id,
        c.started_at,
        c.node
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_answered(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update call set answered_at = $3, updated_at = now() where tenant_id = $1 and id = $2",
        tenant.0,
        id,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Complete a record. Only an open record is changed: ending twice keeps the first ending.
pub async fn close(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    end: &CallEnd<'_>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "update call set ended_at = $3, hangup_cause = $4, hangup_side = $5, sip_code = $6, codec = $7,
                dtmf_digits = $8, quality = $9, updated_at = now(),
                duration_ms = coalesce((extract(epoch from ($3 - answered_at)) * 1000)::bigint, 0)
         where tenant_id = $1 and id = $2 and ended_at is null",
        tenant.0,
        id,
        end.ended_at,
        end.hangup_cause,
        end.hangup_side,
        end.sip_code,
        end.codec,
        end.dtmf_digits,
        end.quality
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Close the records a previous run of `node` left open (it crashed or was killed). Their end
/// is the last time the record was touched. Returns how many were closed.
pub async fn close_orphans(ptx: &mut PlatformTx, node: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "update call set ended_at = updated_at, hangup_cause = 'crashed', hangup_side = 'system',
                duration_ms = coalesce((extract(epoch from (updated_at - answered_at)) * 1000)::bigint, 0)
         where node = $1 and ended_at is null",
        node
    )
    .execute(ptx.conn())
    .await?;
    Ok(done.rows_affected())
}

pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    filter: &CallFilter,
    page: PageRequest,
) -> Result<(Vec<CallRecord>, Option<Uuid>), sqlx::Error> {
    let rows = sqlx::query_as!(
        CallRecord,
        "select id, direction, trunk_id, number_id, from_number, to_number, sip_call_id, started_at, answered_at,
                ended_at, duration_ms, hangup_cause, hangup_side, sip_code, codec, dtmf_digits, quality,
                agent_id, recording_key is not null as \"has_recording!\", recording_pauses, queue_id, ivr
         from call
         where tenant_id = $1 and ($2::uuid is null or id > $2)
           and ($3::text is null or direction = $3)
           and ($4::text is null or from_number = $4 or to_number = $4)
           and ($5::timestamptz is null or started_at >= $5)
           and ($6::timestamptz is null or started_at < $6)
         order by id limit $7",
        tenant.0,
        page.after,
        filter.direction,
        filter.number,
        filter.since,
        filter.until,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(page.finish(rows, |c| c.id))
}

pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<CallRecord>, sqlx::Error> {
    sqlx::query_as!(
        CallRecord,
        "select id, direction, trunk_id, number_id, from_number, to_number, sip_call_id, started_at, answered_at,
                ended_at, duration_ms, hangup_cause, hangup_side, sip_code, codec, dtmf_digits, quality,
                agent_id, recording_key is not null as \"has_recording!\", recording_pauses, queue_id, ivr
         from call where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Name the agent who has call `id` now, in a transaction of its own: for the background
/// (a call's driver, a router, a transfer must not wait for it). A failure is logged; the
/// record keeps the agent it had.
pub async fn name_agent(store: super::Store, tenant: TenantId, id: Uuid, agent: Uuid) {
    let saved = async {
        let mut db = store.tenant_tx(tenant).await?;
        assign_agent(&mut db, tenant, id, agent).await?;
        db.commit().await
    }
    .await;
    if let Err(e) = saved {
        tracing::error!(error = %e, call_id = %id, "naming the call's agent failed");
    }
}

/// Name the agent a call is offered to.
pub async fn assign_agent(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    agent: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update call set agent_id = $3, updated_at = now() where tenant_id = $1 and id = $2",
        tenant.0,
        id,
        agent
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Note the queue a call entered, and what the caller did in the IVR before.
pub async fn set_queue(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    queue: Option<Uuid>,
    ivr: Option<&serde_json::Value>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update call set queue_id = coalesce($3, queue_id), ivr = coalesce($4, ivr), updated_at = now()
         where tenant_id = $1 and id = $2",
        tenant.0,
        id,
        queue,
        ivr
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Note a call's recording and the spans it was paused for.
pub async fn set_recording(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    key: &str,
    pauses: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update call set recording_key = $3, recording_pauses = $4, updated_at = now()
         where tenant_id = $1 and id = $2",
        tenant.0,
        id,
        key,
        pauses
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The recording key of a call, if it has one.
pub async fn recording_key(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "select recording_key from call where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Calls of a tenant in progress now (for the concurrent-call quota).
pub async fn count_open(conn: &mut PgConnection, tenant: TenantId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from call where tenant_id = $1 and ended_at is null"#,
        tenant.0
    )
    .fetch_one(conn)
    .await
}
