//! Outbound calls: Switchboard dials a number through a carrier trunk (digest authentication
//! on 401/407 by rsipstack), and when the far end answers, a built-in service takes the call.
//! Agents and campaigns will use the same path with a WebRTC leg or a queue as the other end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::sip::{StatusCode, Uri};
use rsipstack::transport::SipAddr;
use serde_json::json;
use switchboard_sip::sdp::{self, AudioPolicy, Codec, Direction, LocalAudio, SessionDescription};
use uuid::Uuid;

use super::edge::{ActiveCall, Edge, close_record, custom_prompt, start_service, watch_duration};
use super::routing::Destination;
use crate::domain::PhoneNumber;
use crate::store::call::{self, CallEnd, NewCall};
use crate::store::{TenantId, tenant, trunk};

/// How long an outbound call may ring before it is cancelled.
pub const RING_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an outbound call could not be started.
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    /// No trunk with an outbound proxy serves this tenant (or the one named does not).
    #[error("no trunk with an outbound proxy is available for this call")]
    NoTrunk,
    /// The trunk's proxy does not resolve to an address.
    #[error("the trunk's outbound proxy '{0}' does not resolve")]
    BadProxy(String),
    /// The tenant's concurrent-call quota is reached.
    #[error("the tenant's concurrent-call quota is reached")]
    Quota,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// An outbound call to place.
#[derive(Debug, Clone)]
pub struct DialRequest {
    pub tenant: TenantId,
    pub to: PhoneNumber,
    /// Caller ID; default: the trunk's.
    pub from: Option<PhoneNumber>,
    pub destination: Destination,
    pub trunk: Option<Uuid>,
}

/// Places outbound calls through the SIP edge. Cheap to clone.
#[derive(Clone)]
pub struct CallControl {
    pub(super) edge: Arc<Edge>,
}

impl CallControl {
    /// Check the request, write the call record and start dialling. Returns the record's id at
    /// once; how the call went is on the record when it ends.
    pub async fn dial(&self, req: DialRequest) -> Result<Uuid, DialError> {
        let edge = &self.edge;
        let mut ptx = edge.store.platform_tx().await?;
        let trunks = trunk::all_configs(&mut ptx).await?;
        ptx.commit().await?;
        let usable = |t: &&trunk::TrunkConfig| {
            t.outbound_proxy.is_some() && t.tenant_id.is_none_or(|owner| owner == req.tenant.0)
        };
        let chosen = match req.trunk {
            Some(id) => trunks.iter().filter(usable).find(|t| t.id == id),
            // A trunk dedicated to the tenant first, then a shared one.
            None => trunks
                .iter()
                .filter(usable)
                .find(|t| t.tenant_id.is_some())
                .or_else(|| trunks.iter().filter(usable).find(|t| t.tenant_id.is_none())),
        }
        .ok_or(DialError::NoTrunk)?
        .clone();
        let proxy = chosen.outbound_proxy.clone().unwrap_or_default();
        let with_port = if proxy.contains(':') {
            proxy.clone()
        } else {
            format!("{proxy}:5060")
        };
        let proxy_addr: SocketAddr = tokio::net::lookup_host(with_port.as_str())
            .await
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| DialError::BadProxy(proxy.clone()))?;

        let call_id = crate::store::new_id();
        let sip_call_id = format!("{}@switchboard", call_id.simple());
        let from = req
            .from
            .as_ref()
            .map(|n| n.as_str().to_owned())
            .or_else(|| chosen.caller_id.clone())
            .unwrap_or_else(|| "anonymous".into());
        let mut db = edge.store.tenant_tx(req.tenant).await?;
        let t = tenant::get(&mut db, req.tenant).await?;
        let max = t.as_ref().map_or(0, |t| i64::from(t.max_concurrent_calls));
        if call::count_open(&mut db, req.tenant).await? >= max {
            return Err(DialError::Quota);
        }
        call::insert(
            &mut db,
            &NewCall {
                id: call_id,
                tenant: req.tenant,
                direction: "outbound",
                trunk_id: Some(chosen.id),
                number_id: None,
                from_number: &from,
                to_number: req.to.as_str(),
                sip_call_id: &sip_call_id,
                started_at: Utc::now(),
                node: &edge.settings.node,
            },
        )
        .await?;
        db.commit().await?;
        let locale = t.map(|t| t.locale).unwrap_or_default();
        let credential = match (&chosen.outbound_username, &chosen.outbound_password) {
            (Some(username), Some(password)) => Some(Credential {
                username: username.clone(),
                password: password.clone(),
                realm: None,
                auth_username: None,
            }),
            _ => None,
        };
        let edge = edge.clone();
        tokio::spawn(async move {
            let call = Outbound {
                call_id,
                tenant: req.tenant,
                trunk: chosen.id,
                to: req.to.as_str().to_owned(),
                from,
                proxy: proxy_addr,
                sip_call_id,
                credential,
                destination: req.destination,
                locale,
            };
            call.run(edge).await;
        });
        Ok(call_id)
    }
}

struct Outbound {
    call_id: Uuid,
    tenant: TenantId,
    trunk: Uuid,
    to: String,
    from: String,
    proxy: SocketAddr,
    sip_call_id: String,
    credential: Option<Credential>,
    destination: Destination,
    locale: String,
}

fn failure(code: u16) -> (&'static str, &'static str) {
    match code {
        486 | 600 => ("busy", "callee"),
        408 | 480 => ("no_answer", "callee"),
        487 => ("cancelled", "system"),
        _ => ("failed", "callee"),
    }
}

impl Outbound {
    async fn end(&self, edge: &Edge, cause: &'static str, side: &'static str, code: u16) {
        let end = CallEnd {
            ended_at: Utc::now(),
            hangup_cause: cause,
            hangup_side: side,
            sip_code: Some(i32::from(code)),
            codec: None,
            dtmf_digits: "",
            quality: json!({}),
        };
        close_record(&edge.store, self.tenant, self.call_id, &end).await;
    }

    async fn run(self, edge: Arc<Edge>) {
        let socket = match edge.ports.bind().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "no RTP port for an outbound call");
                return self.end(&edge, "failed", "system", 503).await;
            }
        };
        let rtp_port = socket.port();
        let mut local = LocalAudio {
            session_id: u64::from(rand::random::<u32>()),
            session_version: 1,
            addr: edge.media_ip,
            port: rtp_port,
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            telephone_event: Some(101),
            direction: Direction::SendRecv,
            ptime: 20,
        };
        let uri = |s: String| Uri::try_from(s.as_str()).ok();
        let (Some(caller), Some(callee)) = (
            uri(format!("sip:{}@{}", self.from, edge.media_ip)),
            uri(format!("sip:{}@{}", self.to, self.proxy)),
        ) else {
            return self.end(&edge, "failed", "system", 400).await;
        };
        let option = InviteOption {
            caller,
            callee,
            destination: Some(SipAddr::from(self.proxy)),
            contact: edge.contact.clone(),
            content_type: Some("application/sdp".into()),
            offer: Some(sdp::write(&local, None).into_bytes()),
            credential: self.credential.clone(),
            call_id: Some(self.sip_call_id.clone()),
            ..Default::default()
        };
        let (dialog, mut join) = match edge.dialogs.do_invite_async(option, edge.state_tx.clone()) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "sending an outbound INVITE failed");
                return self.end(&edge, "failed", "system", 500).await;
            }
        };
        let outcome = match tokio::time::timeout(RING_TIMEOUT, &mut join).await {
            Ok(done) => done,
            Err(_) => {
                let _ = dialog.cancel().await;
                let _ = join.await;
                return self.end(&edge, "no_answer", "callee", 487).await;
            }
        };
        let response = match outcome {
            Ok(Ok((_, Some(r)))) => r,
            _ => return self.end(&edge, "failed", "system", 500).await,
        };
        if response.status_code != StatusCode::OK {
            let code = response.status_code.code();
            let (cause, side) = failure(code);
            tracing::info!(call_id = %self.call_id, code, "outbound call not answered");
            return self.end(&edge, cause, side, code).await;
        }
        let answer = std::str::from_utf8(&response.body)
            .ok()
            .and_then(|b| SessionDescription::parse(b).ok());
        let session = answer
            .as_ref()
            .and_then(|a| sdp::negotiate(a, &AudioPolicy::default()).ok());
        let Some(session) = session else {
            tracing::warn!(call_id = %self.call_id, "the answer has no usable audio; hanging up");
            let _ = dialog.bye().await;
            return self.end(&edge, "failed", "system", 488).await;
        };
        local.codecs = vec![session.codec];
        let key = dialog.id().to_string();
        let custom = custom_prompt(&edge.store, self.tenant, self.destination).await;
        let media = start_service(
            &edge,
            socket,
            &session,
            self.destination,
            &self.locale,
            custom,
        );
        if let Ok(mut calls) = edge.calls.lock() {
            calls.insert(
                key.clone(),
                ActiveCall {
                    id: self.call_id,
                    tenant: self.tenant,
                    trunk: self.trunk,
                    codec: session.codec,
                    local,
                    media: Some(media),
                    ending: None,
                    outbound: true,
                },
            );
        }
        if let Ok(mut db) = edge.store.tenant_tx(self.tenant).await {
            let _ = call::mark_answered(&mut db, self.tenant, self.call_id, Utc::now()).await;
            let _ = db.commit().await;
        }
        tracing::info!(call_id = %self.call_id, to = %self.to, "outbound call answered");
        watch_duration(edge, key, dialog);
    }
}
