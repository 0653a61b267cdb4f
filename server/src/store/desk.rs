//! What the agent desktop reads and writes besides calls and contacts: disposition codes,
//! call scripts per queue, the wrap-up of a call, and a contact's call history.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::TenantId;

/// A disposition code agents pick after a call.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Disposition {
    pub id: Uuid,
    pub code: String,
    pub label: String,
    /// Offered only after calls of this queue; none: after every call.
    pub queue_id: Option<Uuid>,
}

pub async fn dispositions(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<Disposition>, sqlx::Error> {
    sqlx::query_as!(
        Disposition,
        "select id, code, label, queue_id from disposition where tenant_id = $1
         order by label limit 500",
        tenant.0
    )
    .fetch_all(conn)
    .await
}

/// A taken code fails with `disposition_tenant_id_code_key`.
pub async fn insert_disposition(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    code: &str,
    label: &str,
    queue: Option<Uuid>,
) -> Result<Disposition, sqlx::Error> {
    sqlx::query_as!(
        Disposition,
        "insert into disposition (id, tenant_id, code, label, queue_id) values ($1, $2, $3, $4, $5)
         returning id, code, label, queue_id",
        id,
        tenant.0,
        code,
        label,
        queue
    )
    .fetch_one(conn)
    .await
}

pub async fn delete_disposition(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from disposition where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A reason an agent gives for a break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakReason {
    /// Short and stable, e.g. `lunch` (letters, digits, `-`, `_`; up to 40): what the agent's
    /// state records.
    pub code: String,
    /// What agents see, e.g. "Coaching session". The desk shows the built-in codes (`lunch`,
    /// `training`, `meeting`) in the agent's language.
    pub label: String,
}

/// The built-in reasons of a tenant that has set none.
pub fn default_break_reasons() -> Vec<BreakReason> {
    [
        ("lunch", "Lunch"),
        ("training", "Training"),
        ("meeting", "Meeting"),
    ]
    .into_iter()
    .map(|(code, label)| BreakReason {
        code: code.into(),
        label: label.into(),
    })
    .collect()
}

/// The tenant's break reasons in order (the built-in ones when it has none).
pub async fn break_reasons(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<BreakReason>, sqlx::Error> {
    let set = sqlx::query_as!(
        BreakReason,
        "select code, label from break_reason where tenant_id = $1 order by position limit 100",
        tenant.0
    )
    .fetch_all(conn)
    .await?;
    Ok(if set.is_empty() {
        default_break_reasons()
    } else {
        set
    })
}

/// Replace the tenant's break reasons (none: back to the built-in ones).
pub async fn set_break_reasons(
    conn: &mut PgConnection,
    tenant: TenantId,
    reasons: &[BreakReason],
) -> Result<(), sqlx::Error> {
    sqlx::query!("delete from break_reason where tenant_id = $1", tenant.0)
        .execute(&mut *conn)
        .await?;
    for (position, r) in (0i32..).zip(reasons) {
        sqlx::query!(
            "insert into break_reason (tenant_id, code, label, position) values ($1, $2, $3, $4)",
            tenant.0,
            r.code,
            r.label,
            position
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The call script of a queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Script {
    pub id: Uuid,
    pub queue_id: Uuid,
    pub greeting: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn scripts(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<Script>, sqlx::Error> {
    sqlx::query_as!(
        Script,
        "select id, queue_id, greeting, body, updated_at from script where tenant_id = $1
         order by queue_id limit 500",
        tenant.0
    )
    .fetch_all(conn)
    .await
}

/// Create or replace the script of a queue.
pub async fn save_script(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    queue: Uuid,
    greeting: &str,
    body: &str,
) -> Result<Script, sqlx::Error> {
    sqlx::query_as!(
        Script,
        "insert into script (id, tenant_id, queue_id, greeting, body) values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, queue_id)
         do update set greeting = excluded.greeting, body = excluded.body, updated_at = now()
         returning id, queue_id, greeting, body, updated_at",
        id,
        tenant.0,
        queue,
        greeting,
        body
    )
    .fetch_one(conn)
    .await
}

pub async fn delete_script(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from script where tenant_id = $1 and queue_id = $2",
        tenant.0,
        queue
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The wrap-up of a call.
#[derive(Debug, Clone)]
pub struct WrapUp<'a> {
    pub disposition: &'a str,
    pub notes: Option<&'a str>,
    pub follow_up: bool,
}

/// Write the wrap-up on the call record; false when there is no such call.
pub async fn wrap_up(
    conn: &mut PgConnection,
    tenant: TenantId,
    call: Uuid,
    w: &WrapUp<'_>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "update call set disposition = $3, notes = $4, follow_up = $5, wrapped_up_at = now(),
                updated_at = now()
         where tenant_id = $1 and id = $2",
        tenant.0,
        call,
        w.disposition,
        w.notes,
        w.follow_up
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One earlier call of a contact, as the desk shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryItem {
    pub id: Uuid,
    pub direction: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: Option<i64>,
    pub agent_name: Option<String>,
    pub queue_name: Option<String>,
    pub hangup_cause: Option<String>,
    pub disposition: Option<String>,
    pub notes: Option<String>,
    pub follow_up: bool,
    pub has_recording: bool,
}

/// The calls from or to any of a contact's numbers, newest first (at most 100).
pub async fn history(
    conn: &mut PgConnection,
    tenant: TenantId,
    contact: Uuid,
) -> Result<Vec<HistoryItem>, sqlx::Error> {
    sqlx::query_as!(
        HistoryItem,
        r#"select c.id, c.direction, c.started_at, c.duration_ms, u.display_name as "agent_name?",
                  q.name as "queue_name?", c.hangup_cause, c.disposition, c.notes, c.follow_up,
                  c.recording_key is not null as "has_recording!"
           from call c
           left join app_user u on u.id = c.agent_id
           left join queue q on q.tenant_id = c.tenant_id and q.id = c.queue_id
           where c.tenant_id = $1
             and (c.from_number in (select number from contact_phone where tenant_id = $1 and contact_id = $2)
                  or c.to_number in (select number from contact_phone where tenant_id = $1 and contact_id = $2))
           order by c.started_at desc limit 100"#,
        tenant.0,
        contact
    )
    .fetch_all(conn)
    .await
}
