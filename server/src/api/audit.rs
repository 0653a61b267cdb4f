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
