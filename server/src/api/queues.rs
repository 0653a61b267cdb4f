//! `/api/v1/queues` and `/api/v1/skills`: queues (strategy, priority, required skill,
//! timers, overflow, service level) with the agents who serve them, skills, and agents' skill
//! levels (`/api/v1/users/{id}/skills`). Tenant admins write; supervisors read. See
//! `docs/routing.md`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::audit::{delete_audited, entry};
use super::error::{ApiError, Validator};
use super::extract::{ApiJson, ApiPath, ClientAddr, IdPath};
use crate::auth::Principal;
use crate::domain::{Role, check_text};
use crate::store::queue::{self, QueueRecord, QueueSettings, Skill, SkillLevel};
use crate::store::{TenantId, audit, is_unique_violation, user};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_queues, create_queue))
        .routes(routes!(get_queue, replace_queue, delete_queue))
        .routes(routes!(set_members))
        .routes(routes!(live_queue))
        .routes(routes!(queue_stats))
        .routes(routes!(list_skills, create_skill))
        .routes(routes!(delete_skill))
        .routes(routes!(get_agent_skills, set_agent_skills))
        .routes(routes!(agent_states))
}

const STRATEGIES: [&str; 5] = [
    "longest_idle",
    "round_robin",
    "fewest_calls",
    "skills",
    "ring_all",
];

fn default_strategy() -> String {
    "longest_idle".into()
}

/// A queue as written: everything but the name has a default.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueBody {
    pub name: String,
    #[serde(default = "default_strategy")]
    pub strategy: String,
    #[serde(default)]
    pub priority: i32,
    pub skill_id: Option<Uuid>,
    pub min_level: Option<i16>,
    pub ring_timeout_secs: Option<i32>,
    pub wrap_up_secs: Option<i32>,
    pub max_wait_secs: Option<i32>,
    pub max_len: Option<i32>,
    pub overflow_queue_id: Option<Uuid>,
    pub announce_every_secs: Option<i32>,
    pub service_level_secs: Option<i32>,
    pub service_level_target: Option<i32>,
}

/// Check a queue body against its rules and the tenant's skills and queues.
async fn check(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    id: Option<Uuid>,
    b: QueueBody,
) -> Result<QueueSettings, ApiError> {
    let mut v = Validator::default();
    let name = v.check("name", check_text(&b.name, 100));
    if !STRATEGIES.contains(&b.strategy.as_str()) {
        v.add(
            "strategy",
            format!("must be one of {}", STRATEGIES.join(", ")),
        );
    }
    let mut range = |field: &str, value: Option<i32>, lo: i32, hi: i32| {
        if value.is_some_and(|x| !(lo..=hi).contains(&x)) {
            v.add(field, format!("must be {lo}-{hi}"));
        }
    };
    range("min_level", b.min_level.map(i32::from), 1, 5);
    range("ring_timeout_secs", b.ring_timeout_secs, 5, 300);
    range("wrap_up_secs", b.wrap_up_secs, 0, 3600);
    range("max_wait_secs", b.max_wait_secs, 10, 86_400);
    range("max_len", b.max_len, 1, 100_000);
    range("announce_every_secs", b.announce_every_secs, 10, 600);
    range("service_level_secs", b.service_level_secs, 1, 600);
    range("service_level_target", b.service_level_target, 1, 100);
    if b.strategy == "skills" && b.skill_id.is_none() {
        v.add("skill_id", "the skills strategy needs a skill");
    }
    if let Some(skill) = b.skill_id
        && !queue::skill_exists(conn, tenant, skill).await?
    {
        v.add("skill_id", "no such skill");
    }
    if let Some(to) = b.overflow_queue_id {
        let known = queue::list(conn, tenant, Some(to)).await?;
        if known.is_empty() || Some(to) == id {
            v.add("overflow_queue_id", "must be another queue of the tenant");
        }
    }
    let Some(name) = name else {
        return Err(v.into_error());
    };
    v.finish()?;
    Ok(QueueSettings {
        name,
        strategy: b.strategy,
        priority: b.priority,
        skill_id: b.skill_id,
        min_level: b.min_level.unwrap_or(1),
        ring_timeout_secs: b.ring_timeout_secs.unwrap_or(20),
        wrap_up_secs: b.wrap_up_secs.unwrap_or(30),
        max_wait_secs: b.max_wait_secs,
        max_len: b.max_len,
        overflow_queue_id: b.overflow_queue_id,
        announce_every_secs: b.announce_every_secs,
        service_level_secs: b.service_level_secs.unwrap_or(20),
        service_level_target: b.service_level_target.unwrap_or(80),
    })
}

fn taken(e: sqlx::Error, constraint: &str, what: &str) -> ApiError {
    if is_unique_violation(&e, constraint) {
        ApiError::Conflict {
            code: "name_taken",
            detail: format!("another {what} has this name"),
        }
    } else {
        e.into()
    }
}

#[utoipa::path(get, path = "/queues", tag = "routing", responses((status = 200, body = Vec<QueueRecord>)))]
async fn list_queues(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<QueueRecord>>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let queues = queue::list(&mut tx, tenant, None).await?;
    tx.commit().await?;
    Ok(axum::Json(queues))
}

async fn save(
    state: &AppState,
    principal: &Principal,
    addr: Option<std::net::IpAddr>,
    id: Option<Uuid>,
    body: QueueBody,
) -> Result<QueueRecord, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let settings = check(&mut tx, tenant, id, body).await?;
    let saved = queue::save(&mut tx, tenant, id, &settings)
        .await
        .map_err(|e| taken(e, "queue_tenant_id_name_key", "queue"))?
        .ok_or(ApiError::NotFound)?;
    let action = if id.is_none() {
        "queue.create"
    } else {
        "queue.update"
    };
    let record = entry(
        principal,
        addr,
        action,
        "queue",
        Some(saved),
        json!({ "name": settings.name }),
    );
    audit::record(&mut tx, &record).await?;
    let found = queue::list(&mut tx, tenant, Some(saved))
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(found)
}

#[utoipa::path(post, path = "/queues", tag = "routing", request_body = QueueBody,
    responses((status = 201, body = QueueRecord), (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn create_queue(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<QueueBody>,
) -> Result<impl IntoResponse, ApiError> {
    let created = save(&state, &principal, addr, None, body).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

#[utoipa::path(get, path = "/queues/{id}", tag = "routing", params(("id" = Uuid, Path)),
    responses((status = 200, body = QueueRecord), (status = 404, body = super::error::Problem)))]
async fn get_queue(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<QueueRecord>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let found = queue::list(&mut tx, tenant, Some(id))
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(axum::Json(found))
}

#[utoipa::path(put, path = "/queues/{id}", tag = "routing", params(("id" = Uuid, Path)), request_body = QueueBody,
    responses((status = 200, body = QueueRecord), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn replace_queue(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<QueueBody>,
) -> Result<axum::Json<QueueRecord>, ApiError> {
    Ok(axum::Json(
        save(&state, &principal, addr, Some(id), body).await?,
    ))
}

#[utoipa::path(delete, path = "/queues/{id}", tag = "routing", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_queue(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    let tenant = delete_audited(
        &state,
        &principal,
        addr,
        Role::TenantAdmin,
        "queue.delete",
        "queue",
        id,
        |c, t, id| Box::pin(queue::delete(c, t, id)),
    )
    .await?;
    state.queues_changed(tenant);
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/queues/{id}/live", tag = "routing", params(("id" = Uuid, Path)),
    responses((status = 200, body = switchboard_proto::Live, description = "Calls waiting, agents by state, today's counters"),
              (status = 404, body = super::error::Problem), (status = 503, body = super::error::Problem)))]
async fn live_queue(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<switchboard_proto::Live>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let routers = state.routers.clone();
    let mut tx = state.store.tenant_tx(tenant).await?;
    if queue::list(&mut tx, tenant, Some(id)).await?.is_empty() {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    let live = routers
        .live(tenant, id)
        .await
        .ok_or(ApiError::Unavailable)?;
    Ok(axum::Json(live))
}

/// Which day's figures.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// A date (`YYYY-MM-DD`) in the tenant's time zone; today when absent.
    pub date: Option<chrono::NaiveDate>,
}

/// A queue's figures for one day, from the recorded queue events.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct DayStats {
    pub date: chrono::NaiveDate,
    #[serde(flatten)]
    pub counters: crate::store::queue_event::Counters,
    /// Percent of answered calls answered within the service-level time; none before the
    /// first answer.
    pub service_level_percent: Option<f64>,
}

#[utoipa::path(get, path = "/queues/{id}/stats", tag = "routing",
    params(("id" = Uuid, Path), StatsQuery),
    responses((status = 200, body = DayStats, description = "One day's counters; today's equal the live ones"),
              (status = 404, body = super::error::Problem)))]
async fn queue_stats(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    super::extract::ApiQuery(query): super::extract::ApiQuery<StatsQuery>,
) -> Result<axum::Json<DayStats>, ApiError> {
    use chrono::TimeZone;
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    if queue::list(&mut tx, tenant, Some(id)).await?.is_empty() {
        return Err(ApiError::NotFound);
    }
    let tz = crate::store::tenant::get(&mut tx, tenant)
        .await?
        .and_then(|t| t.time_zone.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(chrono_tz::Tz::UTC);
    let date = query
        .date
        .unwrap_or_else(|| chrono::Utc::now().with_timezone(&tz).date_naive());
    let start = |d: chrono::NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let (Some(since), Some(until)) = (start(date), date.succ_opt().and_then(start)) else {
        return Err(ApiError::field("date", "out of range"));
    };
    let counters = crate::store::queue_event::counters(&mut tx, tenant, since, until)
        .await?
        .into_iter()
        .find(|(q, _)| *q == id)
        .map(|(_, c)| c)
        .unwrap_or_default();
    tx.commit().await?;
    Ok(axum::Json(DayStats {
        date,
        counters,
        service_level_percent: (counters.answered > 0)
            .then(|| 100.0 * counters.answered_in_service_level as f64 / counters.answered as f64),
    }))
}

/// Who serves a queue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Members {
    pub user_ids: Vec<Uuid>,
}

#[utoipa::path(put, path = "/queues/{id}/members", tag = "routing", params(("id" = Uuid, Path)), request_body = Members,
    responses((status = 200, body = QueueRecord), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn set_members(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<Members>,
) -> Result<axum::Json<QueueRecord>, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let mut users = body.user_ids;
    users.sort_unstable();
    users.dedup();
    if users.len() > 10_000 {
        return Err(ApiError::field("user_ids", "at most 10,000 members"));
    }
    let mut tx = state.store.tenant_tx(tenant).await?;
    if queue::list(&mut tx, tenant, Some(id)).await?.is_empty() {
        return Err(ApiError::NotFound);
    }
    if queue::count_users(&mut tx, tenant, &users).await? != users.len() as i64 {
        return Err(ApiError::field(
            "user_ids",
            "every member must be a user of the tenant",
        ));
    }
    queue::set_members(&mut tx, tenant, id, &users).await?;
    audit::record(
        &mut tx,
        &entry(
            &principal,
            addr,
            "queue.members",
            "queue",
            Some(id),
            json!({ "members": users.len() }),
        ),
    )
    .await?;
    let found = queue::list(&mut tx, tenant, Some(id))
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(axum::Json(found))
}

#[utoipa::path(get, path = "/skills", tag = "routing", responses((status = 200, body = Vec<Skill>)))]
async fn list_skills(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<Skill>>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let skills = queue::skills(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(axum::Json(skills))
}

/// A new skill.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillBody {
    pub name: String,
}

#[utoipa::path(post, path = "/skills", tag = "routing", request_body = SkillBody,
    responses((status = 201, body = Skill), (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn create_skill(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<SkillBody>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let name = check_text(&body.name, 100).map_err(|m| ApiError::field("name", m))?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let skill = queue::insert_skill(&mut tx, tenant, &name)
        .await
        .map_err(|e| taken(e, "skill_tenant_id_name_key", "skill"))?;
    audit::record(
        &mut tx,
        &entry(
            &principal,
            addr,
            "skill.create",
            "skill",
            Some(skill.id),
            json!({ "name": name }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(skill)))
}

#[utoipa::path(delete, path = "/skills/{id}", tag = "routing", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_skill(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    delete_audited(
        &state,
        &principal,
        addr,
        Role::TenantAdmin,
        "skill.delete",
        "skill",
        id,
        |c, t, id| Box::pin(queue::delete_skill(c, t, id)),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/users/{id}/skills", tag = "routing", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<SkillLevel>), (status = 404, body = super::error::Problem)))]
async fn get_agent_skills(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<Vec<SkillLevel>>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    user::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let skills = queue::agent_skills(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(axum::Json(skills))
}

/// From when.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatesQuery {
    /// Changes at or after this time (RFC 3339); the last 24 hours when absent.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

#[utoipa::path(get, path = "/users/{id}/states", tag = "routing", params(("id" = Uuid, Path), StatesQuery),
    responses((status = 200, body = Vec<crate::store::queue_event::AgentStateEvent>, description = "The agent's state changes, oldest first (at most 1,000)"),
              (status = 404, body = super::error::Problem)))]
async fn agent_states(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    super::extract::ApiQuery(query): super::extract::ApiQuery<StatesQuery>,
) -> Result<axum::Json<Vec<crate::store::queue_event::AgentStateEvent>>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    user::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let since = query
        .since
        .unwrap_or_else(|| chrono::Utc::now() - chrono::Duration::days(1));
    let states = crate::store::queue_event::agent_states(&mut tx, tenant, id, since).await?;
    tx.commit().await?;
    Ok(axum::Json(states))
}

#[utoipa::path(put, path = "/users/{id}/skills", tag = "routing", params(("id" = Uuid, Path)), request_body = Vec<SkillLevel>,
    responses((status = 200, body = Vec<SkillLevel>), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn set_agent_skills(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<Vec<SkillLevel>>,
) -> Result<axum::Json<Vec<SkillLevel>>, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    user::get(&mut tx, tenant, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut v = Validator::default();
    for (i, s) in body.iter().enumerate() {
        if !(1..=5).contains(&s.level) {
            v.add(format!("[{i}].level"), "must be 1-5");
        }
        if !queue::skill_exists(&mut tx, tenant, s.skill_id).await? {
            v.add(format!("[{i}].skill_id"), "no such skill");
        }
    }
    if body
        .iter()
        .enumerate()
        .any(|(i, s)| body[..i].iter().any(|o| o.skill_id == s.skill_id))
    {
        v.add("skill_id", "each skill once");
    }
    v.finish()?;
    queue::set_agent_skills(&mut tx, tenant, id, &body).await?;
    audit::record(
        &mut tx,
        &entry(
            &principal,
            addr,
            "user.skills",
            "app_user",
            Some(id),
            json!({ "skills": body.len() }),
        ),
    )
    .await?;
    let skills = queue::agent_skills(&mut tx, tenant, id).await?;
    tx.commit().await?;
    state.queues_changed(tenant);
    Ok(axum::Json(skills))
}
