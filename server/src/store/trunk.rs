//! SIP trunks: carrier connections, managed by platform admins (platform scope). The SIP edge
//! reads all of them into memory to identify inbound calls by source address or credentials.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PageRequest, PlatformTx};

/// A trunk as the API shows it: secrets are never returned, only whether they are set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trunk {
    pub id: Uuid,
    /// The tenant the trunk is dedicated to; `null` for a shared trunk.
    pub tenant_id: Option<Uuid>,
    pub name: String,
    /// Source addresses (CIDR) allowed to send calls on this trunk.
    pub inbound_cidrs: Vec<String>,
    /// Username a carrier authenticates with instead of (or besides) its address.
    pub inbound_username: Option<String>,
    pub outbound_proxy: Option<String>,
    /// `udp`, `tcp` or `tls`.
    pub outbound_transport: String,
    pub outbound_username: Option<String>,
    pub has_outbound_password: bool,
    pub register: bool,
    pub register_expires_secs: i32,
    pub options_interval_secs: i32,
    /// Caller ID presented on outbound calls (E.164); `null` passes the caller's through.
    pub caller_id: Option<String>,
    pub channel_limit: i32,
    /// `up`, `down` or `unknown`, from the OPTIONS keep-alive.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Everything the SIP edge needs, secrets included. Never serialised.
#[derive(Debug, Clone)]
pub struct TrunkConfig {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub name: String,
    pub inbound_cidrs: Vec<String>,
    pub inbound_username: Option<String>,
    pub inbound_ha1: Option<String>,
    pub outbound_proxy: Option<String>,
    pub outbound_transport: String,
    pub outbound_username: Option<String>,
    pub outbound_password: Option<String>,
    pub register: bool,
    pub register_expires_secs: i32,
    pub options_interval_secs: i32,
    pub caller_id: Option<String>,
    pub channel_limit: i32,
}

/// The fields of a trunk to write (create, or the merged result of an update).
#[derive(Debug, Clone)]
pub struct TrunkFields {
    pub tenant_id: Option<Uuid>,
    pub name: String,
    pub inbound_cidrs: Vec<String>,
    pub inbound_username: Option<String>,
    pub inbound_ha1: Option<String>,
    pub outbound_proxy: Option<String>,
    pub outbound_transport: String,
    pub outbound_username: Option<String>,
    pub outbound_password: Option<String>,
    pub register: bool,
    pub register_expires_secs: i32,
    pub options_interval_secs: i32,
    pub caller_id: Option<String>,
    pub channel_limit: i32,
}

pub async fn list(
    ptx: &mut PlatformTx,
    page: PageRequest,
) -> Result<(Vec<Trunk>, Option<Uuid>), sqlx::Error> {
    let rows = sqlx::query_as!(
        Trunk,
        r#"select id, tenant_id, name, inbound_cidrs, inbound_username, outbound_proxy, outbound_transport,
                  outbound_username, outbound_password is not null as "has_outbound_password!",
                  register, register_expires_secs, options_interval_secs, caller_id, channel_limit, status,
                  created_at, updated_at
           from trunk where ($1::uuid is null or id > $1) order by id limit $2"#,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(ptx.conn())
    .await?;
    Ok(page.finish(rows, |t| t.id))
}

pub async fn get(ptx: &mut PlatformTx, id: Uuid) -> Result<Option<Trunk>, sqlx::Error> {
    sqlx::query_as!(
        Trunk,
        r#"select id, tenant_id, name, inbound_cidrs, inbound_username, outbound_proxy, outbound_transport,
                  outbound_username, outbound_password is not null as "has_outbound_password!",
                  register, register_expires_secs, options_interval_secs, caller_id, channel_limit, status,
                  created_at, updated_at
           from trunk where id = $1"#,
        id
    )
    .fetch_optional(ptx.conn())
    .await
}

/// Every trunk with its secrets, for the SIP edge.
pub async fn all_configs(ptx: &mut PlatformTx) -> Result<Vec<TrunkConfig>, sqlx::Error> {
    sqlx::query_as!(
        TrunkConfig,
        "select id, tenant_id, name, inbound_cidrs, inbound_username, inbound_ha1, outbound_proxy,
                outbound_transport, outbound_username, outbound_password, register, register_expires_secs,
                options_interval_secs, caller_id, channel_limit
         from trunk order by id"
    )
    .fetch_all(ptx.conn())
    .await
}

/// The stored fields of a trunk, secrets included, for merging an update.
pub async fn fields(ptx: &mut PlatformTx, id: Uuid) -> Result<Option<TrunkFields>, sqlx::Error> {
    sqlx::query_as!(
        TrunkFields,
        "select tenant_id, name, inbound_cidrs, inbound_username, inbound_ha1, outbound_proxy,
                outbound_transport, outbound_username, outbound_password, register, register_expires_secs,
                options_interval_secs, caller_id, channel_limit
         from trunk where id = $1",
        id
    )
    .fetch_optional(ptx.conn())
    .await
}

pub async fn insert(ptx: &mut PlatformTx, id: Uuid, f: &TrunkFields) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into trunk (id, tenant_id, name, inbound_cidrs, inbound_username, inbound_ha1, outbound_proxy,
                            outbound_transport, outbound_username, outbound_password, register,
                            register_expires_secs, options_interval_secs, caller_id, channel_limit)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        id,
        f.tenant_id,
        f.name,
        &f.inbound_cidrs,
        f.inbound_username,
        f.inbound_ha1,
        f.outbound_proxy,
        f.outbound_transport,
        f.outbound_username,
        f.outbound_password,
        f.register,
        f.register_expires_secs,
        f.options_interval_secs,
        f.caller_id,
        f.channel_limit
    )
    .execute(ptx.conn())
    .await?;
    Ok(())
}

pub async fn update(ptx: &mut PlatformTx, id: Uuid, f: &TrunkFields) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "update trunk set tenant_id = $2, name = $3, inbound_cidrs = $4, inbound_username = $5, inbound_ha1 = $6,
                outbound_proxy = $7, outbound_transport = $8, outbound_username = $9, outbound_password = $10,
                register = $11, register_expires_secs = $12, options_interval_secs = $13, caller_id = $14,
                channel_limit = $15, updated_at = now()
         where id = $1",
        id,
        f.tenant_id,
        f.name,
        &f.inbound_cidrs,
        f.inbound_username,
        f.inbound_ha1,
        f.outbound_proxy,
        f.outbound_transport,
        f.outbound_username,
        f.outbound_password,
        f.register,
        f.register_expires_secs,
        f.options_interval_secs,
        f.caller_id,
        f.channel_limit
    )
    .execute(ptx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(ptx: &mut PlatformTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!("delete from trunk where id = $1", id)
        .execute(ptx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Record the keep-alive's verdict when it changes.
pub async fn set_status(ptx: &mut PlatformTx, id: Uuid, status: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update trunk set status = $2, status_changed_at = now() where id = $1 and status <> $2",
        id,
        status
    )
    .execute(ptx.conn())
    .await?;
    Ok(())
}
