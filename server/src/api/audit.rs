//! `GET /audit-log` and the helper every admin action uses to write its audit entry.

use std::net::IpAddr;

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::ApiError;
use super::extract::ApiQuery;
use super::page::{Page, page_request};
use crate::auth::Principal;
use crate::domain::Role;
use crate::store::audit::{self, AuditEntry, AuditRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_log))
}

/// Deletes one row of a tenant; the future borrows the connection.
pub type Deleter = for<'c> fn(
    &'c mut sqlx::PgConnection,
    crate::store::TenantId,
    Uuid,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<bool, sqlx::Error>> + Send + 'c>,
>;

/// Delete row `id` of the principal's tenant (who must have `role`) with `delete`, and audit
/// it as `action` on `target`, in one transaction; 404 when there was no such row.
#[allow(clippy::too_many_arguments)]
pub async fn delete_audited(
    state: &AppState,
    principal: &Principal,
    addr: Option<IpAddr>,
    role: Role,
    action: &'static str,
    target: &'static str,
    id: Uuid,
    delete: Deleter,
) -> Result<crate::store::TenantId, ApiError> {
    let tenant = principal.require(role)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    if !delete(&mut tx, tenant, id).await? {
        return Err(ApiError::NotFound);
    }
    let record = entry(
        principal,
        addr,
        action,
        target,
        Some(id),
        serde_json::json!({}),
    );
    audit::record(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(tenant)
}

/// An audit entry for an action `principal` takes in its own tenant.
pub fn entry(
    principal: &Principal,
    addr: Option<IpAddr>,
    action: &'static str,
    target_type: &'static str,
    target_id: Option<Uuid>,
    details: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        tenant: principal.tenant,
        actor_kind: principal.actor_kind(),
        actor_id: Some(principal.id),
        action,
        target_type,
        target_id,
        details,
        source_ip: addr.map(|a| a.to_string()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only entries of this action, e.g. `user.create`.
    pub action: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(
    get, path = "/audit-log", tag = "audit", params(AuditQuery),
    responses(
        (status = 200, body = Page<AuditRecord>, description = "The tenant's audit log, oldest first"),
        (status = 403, body = super::error::Problem),
    )
)]
async fn list_audit_log(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<axum::Json<Page<AuditRecord>>, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let rows = audit::list(&mut tx, tenant, q.action.as_deref(), page).await?;
    tx.commit().await?;
    Ok(axum::Json(Page::new(rows)))
}
