//! What the routing documents share: business-hours schedules (`/schedules`) and IVR flows
//! (`/ivr-flows`) are named JSON documents of a tenant, validated before they are stored.
//! Tenant admins write them; supervisors read them.

use std::net::IpAddr;

use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::audit::entry;
use super::error::{ApiError, FieldError};
use crate::auth::Principal;
use crate::domain::{Role, check_text};
use crate::store::document::{self, Document, Kind};
use crate::store::{audit, is_unique_violation, new_id};

/// The names of a kind's audit actions and unique constraint.
struct Names {
    create: &'static str,
    update: &'static str,
    delete: &'static str,
    target: &'static str,
    unique: &'static str,
}

fn names(kind: Kind) -> Names {
    match kind {
        Kind::Schedule => Names {
            create: "schedule.create",
            update: "schedule.update",
            delete: "schedule.delete",
            target: "schedule",
            unique: "schedule_tenant_id_name_key",
        },
        Kind::IvrFlow => Names {
            create: "ivr_flow.create",
            update: "ivr_flow.update",
            delete: "ivr_flow.delete",
            target: "ivr_flow",
            unique: "ivr_flow_tenant_id_name_key",
        },
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    check_text(name, 100).map_err(|m| ApiError::field("name", m))
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    kind: Kind,
) -> Result<Vec<Document>, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let docs = document::list(&mut tx, tenant, kind).await?;
    tx.commit().await?;
    Ok(docs)
}

pub async fn get(
    state: &AppState,
    principal: &Principal,
    kind: Kind,
    id: Uuid,
) -> Result<Document, ApiError> {
    let tenant = principal.require(Role::Supervisor)?;
    let mut tx = state.store.tenant_tx(tenant).await?;
    let doc = document::get(&mut tx, tenant, kind, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(doc)
}

/// Create (`id` none) or replace a document whose body `check` has validated.
pub async fn save(
    state: &AppState,
    principal: &Principal,
    addr: Option<IpAddr>,
    kind: Kind,
    id: Option<Uuid>,
    name: &str,
    body: &Value,
) -> Result<Document, ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let name = check_name(name)?;
    let n = names(kind);
    let mut tx = state.store.tenant_tx(tenant).await?;
    let saved = match id {
        None => document::insert(&mut tx, tenant, kind, new_id(), &name, body)
            .await
            .map(Some),
        Some(id) => document::update(&mut tx, tenant, kind, id, &name, body).await,
    }
    .map_err(|e| {
        if is_unique_violation(&e, n.unique) {
            ApiError::Conflict {
                code: "name_taken",
                detail: format!("another {} is named {name:?}", n.target.replace('_', " ")),
            }
        } else {
            e.into()
        }
    })?
    .ok_or(ApiError::NotFound)?;
    let action = if id.is_none() { n.create } else { n.update };
    let record = entry(
        principal,
        addr,
        action,
        n.target,
        Some(saved.id),
        json!({ "name": name }),
    );
    audit::record(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(saved)
}

pub async fn delete(
    state: &AppState,
    principal: &Principal,
    addr: Option<IpAddr>,
    kind: Kind,
    id: Uuid,
) -> Result<(), ApiError> {
    let tenant = principal.require(Role::TenantAdmin)?;
    let n = names(kind);
    let mut tx = state.store.tenant_tx(tenant).await?;
    if !document::delete(&mut tx, tenant, kind, id).await? {
        return Err(ApiError::NotFound);
    }
    let record = entry(principal, addr, n.delete, n.target, Some(id), json!({}));
    audit::record(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(())
}

/// Validation problems of a document body, under `field`.
pub fn invalid(field: &str, problems: impl IntoIterator<Item = (String, String)>) -> ApiError {
    ApiError::Validation(
        problems
            .into_iter()
            .map(|(f, m)| {
                let path = if f.is_empty() {
                    field.to_owned()
                } else {
                    format!("{field}.{f}")
                };
                FieldError::new(path, m)
            })
            .collect(),
    )
}
