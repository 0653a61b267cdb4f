//! Outbound calls: Switchboard dials a number through a carrier trunk (digest authentication
//! on 401/407 by rsipstack), and when the far end answers, a built-in service takes the call.
//! Agents and campaigns will use the same path with a WebRTC leg or a queue as the other end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::sip::Uri;
use rsipstack::transport::SipAddr;
use serde_json::json;
use switchboard_sip::sdp::{self, Codec, Direction, LocalAudio};
use uuid::Uuid;

use super::driver::{Leg, drive};
use super::record::close_record;
use super::{ActiveCall, Edge};
use crate::domain::PhoneNumber;
use crate::store::call::{self, CallEnd, NewCall};
use crate::store::{TenantId, tenant, trunk};
use crate::telephony::numbers::Destination;
use switchboard_sip::call::{Call, Event as CallEvent, Role};

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
#[derive(Debug)]
pub struct DialRequest {
    pub tenant: TenantId,
    pub to: PhoneNumber,
    /// Caller ID; default: the trunk's.
    pub from: Option<PhoneNumber>,
    pub destination: Destination,
    pub trunk: Option<Uuid>,
    /// The record's id, when the caller chose it (an agent's desk holds it while dialling).
    pub id: Option<Uuid>,
    /// The agent who dials, named on the record.
    pub agent: Option<Uuid>,
    /// Reports to the call's driver (the agent's desk hangs up through it).
    pub events: Option<(
        tokio::sync::mpsc::UnboundedSender<CallEvent>,
        tokio::sync::mpsc::UnboundedReceiver<CallEvent>,
    )>,
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

        let call_id = req.id.unwrap_or_else(crate::store::new_id);
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
        if let Some(agent) = req.agent {
            call::assign_agent(&mut db, req.tenant, call_id, agent).await?;
        }
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
        let events = req.events;
        tokio::spawn(async move {
            let call = Outbound {
                events,
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
    events: Option<(
        tokio::sync::mpsc::UnboundedSender<CallEvent>,
        tokio::sync::mpsc::UnboundedReceiver<CallEvent>,
    )>,
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

    async fn run(mut self, edge: Arc<Edge>) {
        let socket = match edge.ports.bind().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "no RTP port for an outbound call");
                return self.end(&edge, "failed", "system", 503).await;
            }
        };
        let rtp_port = socket.port();
        let local = LocalAudio {
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
            headers: Some(crate::telephony::timers::outbound_headers(&edge.settings)),
            ..Default::default()
        };
        let (dialog, join) = match edge.dialogs.do_invite_async(option, edge.state_tx.clone()) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "sending an outbound INVITE failed");
                return self.end(&edge, "failed", "system", 500).await;
            }
        };
        // The call is registered under the early dialog id; the driver moves it to the
        // confirmed id when the far end answers.
        let key = dialog.id().to_string();
        let (events, events_rx) = match self.events.take() {
            Some(pair) => pair,
            None => tokio::sync::mpsc::unbounded_channel(),
        };
        let events_tx = events.clone();
        let (sendrecv, sendrecv_rx) = tokio::sync::watch::channel(true);
        if let Ok(mut calls) = edge.calls.lock() {
            calls.insert(
                key.clone(),
                ActiveCall {
                    trunk: self.trunk,
                    codec: Codec::Pcmu,
                    local,
                    events,
                    sendrecv,
                },
            );
        }
        let leg = Leg {
            id: self.call_id,
            tenant: self.tenant,
            dialog,
            events: events_tx,
            from_number: self.from.clone(),
            to_number: self.to.clone(),
            key,
            sockets: Some(socket),
            session: None,
            destination: self.destination,
            locale: self.locale.clone(),
            answer: None,
            dialling: Some(join),
            media: None,
            watch: edge.media_watch(sendrecv_rx),
            answer_headers: Vec::new(),
            refresh: None,
        };
        let mut machine = Call::new(Role::Outbound, edge.call_config(None));
        machine.handle(std::time::Instant::now(), CallEvent::Start);
        drive(edge, machine, leg, events_rx).await;
    }
}
