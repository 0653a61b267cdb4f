//! SIP trunks, managed by platform admins. Secrets (the inbound password, stored only as the
//! digest HA1, and the outbound password) are written, never read back.

use std::net::IpAddr;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::error::{ApiError, Validator};
use super::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr, IdPath};
use super::page::{Page, page_request};
use crate::auth::Principal;
use crate::domain::parse_cidr;
use crate::domain::{DialPlan, PhoneNumber, check_text};
use crate::store::audit::{self, AuditEntry};
use crate::store::trunk::{self, Trunk, TrunkFields};
use crate::store::{PlatformTx, is_unique_violation, new_id};
use crate::telephony::digest::digest_ha1;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_trunks, create_trunk))
        .routes(routes!(get_trunk, update_trunk, delete_trunk))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TrunkQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A trunk to create, or the fields to change (all optional on update; `null` clears).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrunkInput {
    pub name: Option<String>,
    /// Dedicate the trunk to one tenant.
    pub tenant_id: Option<Uuid>,
    /// Source addresses allowed to send calls, e.g. `203.0.113.0/24` or `198.51.100.7`.
    pub inbound_cidrs: Option<Vec<String>>,
    pub inbound_username: Option<String>,
    /// Stored only as the digest HA1 for the configured realm.
    pub inbound_password: Option<String>,
    /// `host` or `host:port` of the carrier's proxy for outbound calls.
    pub outbound_proxy: Option<String>,
    /// `udp` (default), `tcp` or `tls`.
    pub outbound_transport: Option<String>,
    pub outbound_username: Option<String>,
    pub outbound_password: Option<String>,
    /// Register to the carrier with the outbound credentials.
    pub register: Option<bool>,
    pub register_expires_secs: Option<i32>,
    /// OPTIONS keep-alive interval; 0 disables it. Default 30.
    pub options_interval_secs: Option<i32>,
    /// Caller ID for outbound calls, E.164.
    pub caller_id: Option<String>,
    /// Concurrent calls allowed on the trunk. Default 30.
    pub channel_limit: Option<i32>,
}

fn merge(
    v: &mut Validator,
    input: TrunkInput,
    current: Option<TrunkFields>,
    realm: &str,
) -> Option<TrunkFields> {
    let creating = current.is_none();
    let base = current.unwrap_or(TrunkFields {
        tenant_id: None,
        name: String::new(),
        inbound_cidrs: Vec::new(),
        inbound_username: None,
        inbound_ha1: None,
        outbound_proxy: None,
        outbound_transport: "udp".into(),
        outbound_username: None,
        outbound_password: None,
        register: false,
        register_expires_secs: 600,
        options_interval_secs: 30,
        caller_id: None,
        channel_limit: 30,
    });
    let name = match input.name {
        Some(n) => v.check("name", check_text(&n, 100))?,
        None if creating => {
            v.add("name", "is required");
            return None;
        }
        None => base.name,
    };
    let inbound_cidrs = match input.inbound_cidrs {
        Some(list) => {
            let mut out = Vec::new();
            for (i, c) in list.iter().enumerate() {
                if let Some((ip, bits)) = v.check(&format!("inbound_cidrs[{i}]"), parse_cidr(c)) {
                    out.push(format!("{ip}/{bits}"));
                }
            }
            out
        }
        None => base.inbound_cidrs,
    };
    let inbound_username = input.inbound_username.or(base.inbound_username);
    let inbound_ha1 = match (&input.inbound_password, &inbound_username) {
        (Some(p), Some(u)) => Some(digest_ha1(u, realm, p)),
        (Some(_), None) => {
            v.add("inbound_username", "is required with inbound_password");
            None
        }
        (None, _) => base.inbound_ha1,
    };
    let outbound_transport = input.outbound_transport.unwrap_or(base.outbound_transport);
    if !["udp", "tcp", "tls"].contains(&outbound_transport.as_str()) {
        v.add("outbound_transport", "must be udp, tcp or tls");
    }
    let outbound_proxy = input.outbound_proxy.or(base.outbound_proxy);
    if let Some(p) = &outbound_proxy
        && (p.is_empty() || p.len() > 255 || p.contains(char::is_whitespace))
    {
        v.add("outbound_proxy", "must be host or host:port");
    }
    let register = input.register.unwrap_or(base.register);
    let outbound_username = input.outbound_username.or(base.outbound_username);
    let outbound_password = input.outbound_password.or(base.outbound_password);
    if register
        && (outbound_proxy.is_none() || outbound_username.is_none() || outbound_password.is_none())
    {
        v.add(
            "register",
            "needs outbound_proxy, outbound_username and outbound_password",
        );
    }
    let register_expires_secs = input
        .register_expires_secs
        .unwrap_or(base.register_expires_secs);
    if !(60..=86_400).contains(&register_expires_secs) {
        v.add("register_expires_secs", "must be between 60 and 86400");
    }
    let options_interval_secs = input
        .options_interval_secs
        .unwrap_or(base.options_interval_secs);
    if !(0..=3600).contains(&options_interval_secs) {
        v.add("options_interval_secs", "must be between 0 and 3600");
    }
    let channel_limit = input.channel_limit.unwrap_or(base.channel_limit);
    if !(0..=100_000).contains(&channel_limit) {
        v.add("channel_limit", "must be between 0 and 100000");
    }
    let caller_id = match input.caller_id {
        Some(c) => {
            let us = DialPlan::for_country_or_default("US");
            v.check("caller_id", PhoneNumber::parse(&c, us))
                .map(|n| n.as_str().to_owned())
        }
        None => base.caller_id,
    };
    Some(TrunkFields {
        tenant_id: input.tenant_id.or(base.tenant_id),
        name,
        inbound_cidrs,
        inbound_username,
        inbound_ha1,
        outbound_proxy,
        outbound_transport,
        outbound_username,
        outbound_password,
        register,
        register_expires_secs,
        options_interval_secs,
        caller_id,
        channel_limit,
    })
}

async fn platform(state: &AppState, principal: &Principal) -> Result<PlatformTx, ApiError> {
    principal.require_platform_admin()?;
    Ok(state.store.platform_tx().await?)
}

fn audit_entry(
    principal: &Principal,
    addr: Option<IpAddr>,
    action: &'static str,
    id: Uuid,
    name: &str,
) -> AuditEntry {
    AuditEntry {
        tenant: None,
        actor_kind: principal.actor_kind(),
        actor_id: Some(principal.id),
        action,
        target_type: "trunk",
        target_id: Some(id),
        details: json!({ "name": name }),
        source_ip: addr.map(|a| a.to_string()),
    }
}

fn conflict(e: sqlx::Error) -> ApiError {
    if is_unique_violation(&e, "trunk_name_key") {
        ApiError::Conflict {
            code: "name_taken",
            detail: "a trunk with this name already exists".into(),
        }
    } else if matches!(&e, sqlx::Error::Database(d) if d.is_foreign_key_violation()) {
        ApiError::field("tenant_id", "no such tenant")
    } else {
        e.into()
    }
}

#[utoipa::path(
    get, path = "/trunks", tag = "trunks", params(TrunkQuery),
    responses((status = 200, body = Page<Trunk>), (status = 403, body = super::error::Problem))
)]
async fn list_trunks(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<TrunkQuery>,
) -> Result<axum::Json<Page<Trunk>>, ApiError> {
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let mut ptx = platform(&state, &principal).await?;
    let rows = trunk::list(&mut ptx, page).await?;
    ptx.commit().await?;
    Ok(axum::Json(Page::new(rows)))
}

#[utoipa::path(
    post, path = "/trunks", tag = "trunks", request_body = TrunkInput,
    responses((status = 201, body = Trunk), (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem))
)]
async fn create_trunk(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<TrunkInput>,
) -> Result<impl IntoResponse, ApiError> {
    let mut ptx = platform(&state, &principal).await?;
    let mut v = Validator::default();
    let fields = merge(&mut v, body, None, &state.settings.sip.realm);
    let Some(fields) = fields else {
        return Err(v.into_error());
    };
    v.finish()?;
    let id = new_id();
    trunk::insert(&mut ptx, id, &fields)
        .await
        .map_err(conflict)?;
    audit::record(
        ptx.conn(),
        &audit_entry(&principal, addr, "trunk.create", id, &fields.name),
    )
    .await?;
    let created = trunk::get(&mut ptx, id).await?.ok_or(ApiError::NotFound)?;
    ptx.commit().await?;
    state.routing_changed();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/trunks/{id}"))],
        axum::Json(created),
    ))
}

#[utoipa::path(
    get, path = "/trunks/{id}", tag = "trunks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Trunk), (status = 404, body = super::error::Problem))
)]
async fn get_trunk(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<axum::Json<Trunk>, ApiError> {
    let mut ptx = platform(&state, &principal).await?;
    let found = trunk::get(&mut ptx, id).await?.ok_or(ApiError::NotFound)?;
    ptx.commit().await?;
    Ok(axum::Json(found))
}

#[utoipa::path(
    patch, path = "/trunks/{id}", tag = "trunks", params(("id" = Uuid, Path)), request_body = TrunkInput,
    responses((status = 200, body = Trunk), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem))
)]
async fn update_trunk(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
    ApiJson(body): ApiJson<TrunkInput>,
) -> Result<axum::Json<Trunk>, ApiError> {
    let mut ptx = platform(&state, &principal).await?;
    let current = trunk::fields(&mut ptx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut v = Validator::default();
    let fields = merge(&mut v, body, Some(current), &state.settings.sip.realm);
    let Some(fields) = fields else {
        return Err(v.into_error());
    };
    v.finish()?;
    trunk::update(&mut ptx, id, &fields)
        .await
        .map_err(conflict)?;
    audit::record(
        ptx.conn(),
        &audit_entry(&principal, addr, "trunk.update", id, &fields.name),
    )
    .await?;
    let updated = trunk::get(&mut ptx, id).await?.ok_or(ApiError::NotFound)?;
    ptx.commit().await?;
    state.routing_changed();
    Ok(axum::Json(updated))
}

#[utoipa::path(
    delete, path = "/trunks/{id}", tag = "trunks", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = super::error::Problem))
)]
async fn delete_trunk(
    State(state): State<AppState>,
    principal: Principal,
    ClientAddr(addr): ClientAddr,
    ApiPath(IdPath { id }): ApiPath<IdPath>,
) -> Result<StatusCode, ApiError> {
    let mut ptx = platform(&state, &principal).await?;
    let gone = trunk::get(&mut ptx, id).await?.ok_or(ApiError::NotFound)?;
    trunk::delete(&mut ptx, id).await?;
    audit::record(
        ptx.conn(),
        &audit_entry(&principal, addr, "trunk.delete", id, &gone.name),
    )
    .await?;
    ptx.commit().await?;
    state.routing_changed();
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ha1_matches_rfc_2617_example() {
        // RFC 2617 3.5: Mufasa / testrealm@host.com / Circle Of Life.
        assert_eq!(
            digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9"
        );
    }
}
