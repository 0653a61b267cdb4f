//! Queues, their members, skills and agents' skill levels.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::TenantId;

/// A queue's settings (see `docs/routing.md`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueSettings {
    pub name: String,
    /// `longest_idle`, `round_robin`, `fewest_calls`, `skills` or `ring_all`.
    pub strategy: String,
    /// Across queues, higher goes first.
    pub priority: i32,
    pub skill_id: Option<Uuid>,
    /// The lowest skill level (1-5) that serves the queue.
    pub min_level: i16,
    pub ring_timeout_secs: i32,
    pub wrap_up_secs: i32,
    pub max_wait_secs: Option<i32>,
    pub max_len: Option<i32>,
    pub overflow_queue_id: Option<Uuid>,
    pub announce_every_secs: Option<i32>,
    pub service_level_secs: i32,
    /// Percent to answer within `service_level_secs`.
    pub service_level_target: i32,
}

/// A queue with its id, members and times.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueRecord {
    pub id: Uuid,
    #[serde(flatten)]
    pub settings: QueueSettings,
    /// The users who serve it.
    pub members: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

struct Row {
    id: Uuid,
    name: String,
    strategy: String,
    priority: i32,
    skill_id: Option<Uuid>,
    min_level: i16,
    ring_timeout_secs: i32,
    wrap_up_secs: i32,
    max_wait_secs: Option<i32>,
    max_len: Option<i32>,
    overflow_queue_id: Option<Uuid>,
    announce_every_secs: Option<i32>,
    service_level_secs: i32,
    service_level_target: i32,
    members: Vec<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for QueueRecord {
    fn from(r: Row) -> QueueRecord {
        QueueRecord {
            id: r.id,
            settings: QueueSettings {
                name: r.name,
                strategy: r.strategy,
                priority: r.priority,
                skill_id: r.skill_id,
                min_level: r.min_level,
                ring_timeout_secs: r.ring_timeout_secs,
                wrap_up_secs: r.wrap_up_secs,
                max_wait_secs: r.max_wait_secs,
                max_len: r.max_len,
                overflow_queue_id: r.overflow_queue_id,
                announce_every_secs: r.announce_every_secs,
                service_level_secs: r.service_level_secs,
                service_level_target: r.service_level_target,
            },
            members: r.members,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A tenant's queues (or one), with their members.
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    only: Option<Uuid>,
) -> Result<Vec<QueueRecord>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"select q.id, q.name, q.strategy, q.priority, q.skill_id, q.min_level, q.ring_timeout_secs,
                  q.wrap_up_secs, q.max_wait_secs, q.max_len, q.overflow_queue_id, q.announce_every_secs,
                  q.service_level_secs, q.service_level_target, q.created_at, q.updated_at,
                  coalesce(array_agg(m.user_id order by m.user_id) filter (where m.user_id is not null), '{}') as "members!"
           from queue q left join queue_member m on m.tenant_id = q.tenant_id and m.queue_id = q.id
           where q.tenant_id = $1 and ($2::uuid is null or q.id = $2)
           group by q.id order by q.name limit 1000"#,
        tenant.0,
        only
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(QueueRecord::from).collect())
}

/// Create (`None`) or replace a queue's settings; a taken name fails with
/// `queue_tenant_id_name_key`. Returns the id, or `None` when there is no such queue.
pub async fn save(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Option<Uuid>,
    s: &QueueSettings,
) -> Result<Option<Uuid>, sqlx::Error> {
    match id {
        None => sqlx::query_scalar!(
            "insert into queue (id, tenant_id, name, strategy, priority, skill_id, min_level, ring_timeout_secs,
                                wrap_up_secs, max_wait_secs, max_len, overflow_queue_id, announce_every_secs,
                                service_level_secs, service_level_target)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) returning id",
            super::new_id(), tenant.0, s.name, s.strategy, s.priority, s.skill_id, s.min_level, s.ring_timeout_secs,
            s.wrap_up_secs, s.max_wait_secs, s.max_len, s.overflow_queue_id, s.announce_every_secs,
            s.service_level_secs, s.service_level_target
        )
        .fetch_one(conn)
        .await
        .map(Some),
        Some(id) => sqlx::query_scalar!(
            "update queue set name = $3, strategy = $4, priority = $5, skill_id = $6, min_level = $7,
                    ring_timeout_secs = $8, wrap_up_secs = $9, max_wait_secs = $10, max_len = $11,
                    overflow_queue_id = $12, announce_every_secs = $13, service_level_secs = $14,
                    service_level_target = $15, updated_at = now()
             where tenant_id = $1 and id = $2 returning id",
            tenant.0, id, s.name, s.strategy, s.priority, s.skill_id, s.min_level, s.ring_timeout_secs,
            s.wrap_up_secs, s.max_wait_secs, s.max_len, s.overflow_queue_id, s.announce_every_secs,
            s.service_level_secs, s.service_level_target
        )
        .fetch_optional(conn)
        .await,
    }
}

pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from queue where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replace who serves a queue.
pub async fn set_members(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue: Uuid,
    users: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from queue_member where tenant_id = $1 and queue_id = $2",
        tenant.0,
        queue
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into queue_member (tenant_id, queue_id, user_id) select $1, $2, unnest($3::uuid[])",
        tenant.0,
        queue,
        users
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How many of `ids` are users of the tenant.
pub async fn count_users(
    conn: &mut PgConnection,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from app_user where tenant_id = $1 and id = any($2)"#,
        tenant.0,
        ids
    )
    .fetch_one(conn)
    .await
}

/// A skill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Skill {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

pub async fn skills(conn: &mut PgConnection, tenant: TenantId) -> Result<Vec<Skill>, sqlx::Error> {
    sqlx::query_as!(
        Skill,
        "select id, name, created_at from skill where tenant_id = $1 order by name limit 1000",
        tenant.0
    )
    .fetch_all(conn)
    .await
}

/// A taken name fails with `skill_tenant_id_name_key`.
pub async fn insert_skill(
    conn: &mut PgConnection,
    tenant: TenantId,
    name: &str,
) -> Result<Skill, sqlx::Error> {
    sqlx::query_as!(
        Skill,
        "insert into skill (id, tenant_id, name) values ($1, $2, $3) returning id, name, created_at",
        super::new_id(),
        tenant.0,
        name
    )
    .fetch_one(conn)
    .await
}

pub async fn delete_skill(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "delete from skill where tenant_id = $1 and id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a skill is the tenant's.
pub async fn skill_exists(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from skill where tenant_id = $1 and id = $2) as "e!""#,
        tenant.0,
        id
    )
    .fetch_one(conn)
    .await
}

/// An agent's level in a skill.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SkillLevel {
    pub skill_id: Uuid,
    /// 1 (novice) to 5 (expert).
    pub level: i16,
}

pub async fn agent_skills(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: Uuid,
) -> Result<Vec<SkillLevel>, sqlx::Error> {
    sqlx::query_as!(
        SkillLevel,
        "select skill_id, level from agent_skill where tenant_id = $1 and user_id = $2 order by skill_id",
        tenant.0,
        user
    )
    .fetch_all(conn)
    .await
}

/// Replace an agent's skills.
pub async fn set_agent_skills(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: Uuid,
    skills: &[SkillLevel],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from agent_skill where tenant_id = $1 and user_id = $2",
        tenant.0,
        user
    )
    .execute(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = skills.iter().map(|s| s.skill_id).collect();
    let levels: Vec<i16> = skills.iter().map(|s| s.level).collect();
    sqlx::query!(
        "insert into agent_skill (tenant_id, user_id, skill_id, level)
         select $1, $2, s, l from unnest($3::uuid[], $4::smallint[]) as t(s, l)",
        tenant.0,
        user,
        &ids,
        &levels
    )
    .execute(conn)
    .await?;
    Ok(())
}
