//! The SIP edge: rsipstack's endpoint (transports, transactions, dialogs) wrapped so the rest
//! of Switchboard sees its own types. Inbound INVITEs are identified (trunk by source address,
//! tenant by dialled number), checked (quota, SDP) and answered by a built-in service; every
//! accepted call has a record from the moment it is accepted.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog::{
    DialogState, DialogStateReceiver, DialogStateSender, TerminatedReason,
};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Method, SipMessage, StatusCode, Uri};
use rsipstack::transaction::endpoint::TransportEventInspector;
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transaction::{Endpoint, TransactionReceiver};
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{
    TcpListenerConnection, TlsConfig, TlsListenerConnection, TransportEvent, TransportLayer,
};
use serde_json::json;
use switchboard_media::g711::Law;
use switchboard_media::service::{MediaParams, Service};
use switchboard_sip::sdp::{self, AudioPolicy, Codec, Direction, LocalAudio, SessionDescription};
use tokio::sync::watch;
use uuid::Uuid;

use super::digest::{self, NonceKey};
use super::driver::{Leg, drive};
use super::media::{self, PortPool};
use super::outbound::CallControl;
use super::prompts::Prompts;
use super::routing::{Destination, RouteError, RoutingTable};
use crate::auth::rate_limit::WindowCounter;
use crate::settings::{MediaSettings, SipSettings};
use crate::store::call::{self, CallEnd, NewCall};
use crate::store::{Store, TenantId, phone_number, tenant, trunk};
use switchboard_sip::call::{Call, CallConfig, Event as CallEvent, Role};

/// A call in progress on this node, as the edge's table keeps it (by dialog id). The call
/// itself runs in its driver task; the table routes the stack's reports to it.
pub(super) struct ActiveCall {
    pub(super) trunk: Uuid,
    pub(super) codec: Codec,
    /// Our side of the session, to answer re-INVITEs (hold, unhold, session refresh).
    pub(super) local: LocalAudio,
    /// Reports for the call's driver.
    pub(super) events: tokio::sync::mpsc::UnboundedSender<CallEvent>,
    /// Whether the stream is `sendrecv` (not on hold), for the media's liveness watch.
    pub(super) sendrecv: watch::Sender<bool>,
}

/// User agents of SIP scanners (friendly-scanner is SIPVicious's default). Their requests are
/// dropped without an answer: answering only helps them map the server.
const SCANNERS: [&str; 6] = [
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "sip-scan",
    "sundayddr",
    "pplsip",
];

/// Drops scanners and sources that send more requests than the per-second limit, before the
/// transaction layer spends anything on them.
struct Gate {
    per_source: Mutex<WindowCounter>,
}

#[async_trait::async_trait]
impl TransportEventInspector for Gate {
    async fn handle(&self, event: TransportEvent) -> Option<TransportEvent> {
        if let TransportEvent::Incoming(SipMessage::Request(req), _, from) = &event {
            if let Some(why) = malformed(req) {
                // RFC 4475 3.1.2: such messages get 400/505 or are dropped; we drop them.
                tracing::debug!(why, "malformed SIP request dropped");
                metrics::counter!("sip_requests_dropped_total", "reason" => "malformed")
                    .increment(1);
                return None;
            }
            let ua = req
                .user_agent_header()
                .map(|h| h.value().to_ascii_lowercase())
                .unwrap_or_default();
            if SCANNERS.iter().any(|s| ua.contains(s)) {
                metrics::counter!("sip_requests_dropped_total", "reason" => "scanner").increment(1);
                return None;
            }
            if let Ok(addr) = from.get_socketaddr() {
                let key = addr.ip().to_string();
                let now = std::time::Instant::now();
                let mut limiter = self.per_source.lock().unwrap_or_else(|p| p.into_inner());
                if limiter.check(now, &key).is_err() {
                    metrics::counter!("sip_requests_dropped_total", "reason" => "rate_limited")
                        .increment(1);
                    return None;
                }
                limiter.hit(now, &key);
            }
        }
        Some(event)
    }
}

/// Checks the parser is lenient about (RFC 3261 7, 8.1.1, 20): why `req` must not be processed.
fn malformed(req: &rsipstack::sip::Request) -> Option<&'static str> {
    if req.version != rsipstack::sip::Version::V2 {
        return Some("SIP version is not 2.0");
    }
    let cseq = req.header_value("CSeq")?;
    let mut parts = cseq.split_whitespace();
    let number_ok = parts
        .next()
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| n < 1 << 31);
    if !number_ok || parts.next() != Some(req.method.to_string().as_str()) || parts.next().is_some()
    {
        return Some("CSeq does not match the request");
    }
    let length = req
        .header_value("Content-Length")
        .or_else(|| req.header_value("l"));
    if let Some(length) = length
        && length
            .trim()
            .parse::<usize>()
            .map_or(true, |n| n > req.body.len())
    {
        return Some("Content-Length is invalid or longer than the body");
    }
    if let Some(mf) = req.header_value("Max-Forwards")
        && mf.trim().parse::<u8>().is_err()
    {
        return Some("Max-Forwards is not 0-255");
    }
    None
}

pub(super) struct Edge {
    pub(super) store: Store,
    pub(super) settings: SipSettings,
    pub(super) dialogs: Arc<DialogLayer>,
    pub(super) state_tx: DialogStateSender,
    table: RwLock<Arc<RoutingTable>>,
    pub(super) calls: Mutex<HashMap<String, ActiveCall>>,
    pub(super) ports: PortPool,
    pub(super) prompts: Prompts,
    pub(super) sessions: crate::webrtc::Sessions,
    pub(super) routing: crate::routing::Routing,
    pub(super) media: MediaSettings,
    pub(super) contact: Uri,
    pub(super) media_ip: IpAddr,
    endpoint: rsipstack::transaction::endpoint::EndpointInnerRef,
    monitors: Mutex<super::monitor::Monitors>,
    nonces: NonceKey,
}

/// The running SIP edge.
pub struct SipEdge {
    /// Where SIP over UDP (and TCP, on the same port) is served.
    pub addr: SocketAddr,
    /// Where SIP over TLS is served, when a certificate is configured.
    pub tls_addr: Option<SocketAddr>,
    cancel: CancellationToken,
    edge: Arc<Edge>,
}

impl SipEdge {
    /// Bind the transports, load the routing table, close the records a crash of this node left
    /// open, and start serving.
    pub async fn start(
        settings: SipSettings,
        media: MediaSettings,
        data_dir: &std::path::Path,
        store: Store,
        mut routing: watch::Receiver<u64>,
    ) -> anyhow::Result<SipEdge> {
        let cancel = CancellationToken::new();
        let transports = TransportLayer::new(cancel.clone());
        let external = settings
            .public_ip
            .map(|ip| SocketAddr::new(ip, settings.listen.port()));
        let udp =
            UdpConnection::create_connection(settings.listen, external, Some(cancel.child_token()))
                .await
                .with_context(|| format!("binding SIP/UDP {}", settings.listen))?;
        let advertised = udp
            .get_addr()
            .get_socketaddr()
            .map_err(|e| anyhow::anyhow!("SIP/UDP address: {e}"))?;
        let bound_port = advertised.port();
        transports.add_transport(udp.into());
        let tcp =
            TcpListenerConnection::new(SocketAddr::new(settings.listen.ip(), bound_port), external)
                .await
                .context("SIP/TCP listener")?;
        transports.add_transport(tcp.into());
        let tls_addr = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => {
                let config = TlsConfig {
                    cert: Some(
                        std::fs::read(cert)
                            .with_context(|| format!("reading {}", cert.display()))?,
                    ),
                    key: Some(
                        std::fs::read(key).with_context(|| format!("reading {}", key.display()))?,
                    ),
                    ..Default::default()
                };
                let external = settings
                    .public_ip
                    .map(|ip| SocketAddr::new(ip, settings.tls_listen.port()));
                let tls = TlsListenerConnection::new(settings.tls_listen, external, config)
                    .await
                    .context("SIP/TLS listener")?;
                transports.add_transport(tls.into());
                Some(settings.tls_listen)
            }
            (None, None) => None,
            _ => anyhow::bail!("SIP over TLS needs both sip.tls_cert and sip.tls_key"),
        };
        let endpoint: Endpoint = EndpointBuilder::new()
            .with_cancel_token(cancel.clone())
            .with_transport_layer(transports)
            .with_user_agent("Switchboard")
            .with_option(rsipstack::transaction::endpoint::EndpointOption {
                callid_suffix: Some("switchboard".into()),
                ..Default::default()
            })
            .with_transport_inspector(Box::new(Gate {
                per_source: Mutex::new(WindowCounter::new(
                    settings.requests_per_source_per_sec,
                    Duration::from_secs(1),
                )),
            }))
            .build();
        let incoming = endpoint
            .incoming_transactions()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let (state_tx, state_rx) = dialogs.new_dialog_state_channel();
        let media_ip = settings.public_ip.unwrap_or(advertised.ip());
        let contact = Uri::try_from(
            format!("sip:switchboard@{}", SocketAddr::new(media_ip, bound_port)).as_str(),
        )
        .map_err(|e| anyhow::anyhow!("contact URI: {e}"))?;
        let ports = PortPool::new(
            if settings.listen.ip().is_unspecified() {
                settings.listen.ip()
            } else {
                media_ip
            },
            settings.rtp_port_min,
            settings.rtp_port_max,
        );
        let sessions = crate::webrtc::start(&media, data_dir, media_ip, store.clone())
            .await
            .context("starting WebRTC media")?;
        let routers = crate::routing::Routing::new(store.clone(), sessions.clone());
        let edge = Arc::new(Edge {
            store,
            dialogs,
            state_tx,
            table: RwLock::new(Arc::new(RoutingTable::default())),
            calls: Mutex::new(HashMap::new()),
            ports,
            prompts: Prompts::load().context("decoding the default prompts")?,
            routing: routers,
            sessions,
            media,
            contact,
            media_ip,
            endpoint: endpoint.inner.clone(),
            monitors: Mutex::new(super::monitor::Monitors::default()),
            nonces: NonceKey::new(rand::random()),
            settings,
        });
        edge.reload().await.context("loading trunks and numbers")?;
        {
            let mut ptx = edge.store.platform_tx().await?;
            let closed = call::close_orphans(&mut ptx, &edge.settings.node).await?;
            ptx.commit().await?;
            if closed > 0 {
                tracing::warn!(closed, "closed call records left open by an unclean stop");
            }
        }
        tokio::spawn({
            let cancel = cancel.clone();
            async move {
                tokio::select! {
                    () = endpoint.serve() => {}
                    () = cancel.cancelled() => {}
                }
            }
        });
        tokio::spawn(incoming_loop(edge.clone(), incoming));
        tokio::spawn(state_loop(edge.clone(), state_rx));
        tokio::spawn({
            let edge = edge.clone();
            let cancel = cancel.clone();
            async move {
                loop {
                    tokio::select! {
                        changed = routing.changed() => if changed.is_err() { break },
                        () = tokio::time::sleep(Duration::from_secs(30)) => {},
                        () = cancel.cancelled() => break,
                    }
                    if let Err(e) = edge.reload().await {
                        tracing::error!(error = %e, "reloading the SIP routing table failed");
                    }
                }
            }
        });
        let addr = SocketAddr::new(advertised.ip(), bound_port);
        tracing::info!(%addr, tls = ?tls_addr, "SIP edge listening (UDP and TCP)");
        Ok(SipEdge {
            addr,
            tls_addr,
            cancel,
            edge,
        })
    }

    /// Hang up every call (BYE), close their records, stop the transports.
    pub async fn shutdown(self) {
        if let Ok(calls) = self.edge.calls.lock() {
            for call in calls.values() {
                let _ = call.events.send(CallEvent::Shutdown);
            }
        }
        // Give the drivers a moment to hang up and write their records.
        for _ in 0..100 {
            if self.edge.calls.lock().map(|c| c.is_empty()).unwrap_or(true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Ok(mut monitors) = self.edge.monitors.lock() {
            monitors.update(&[], &self.edge.store, &self.edge.endpoint);
        }
        self.cancel.cancel();
    }

    /// Reload trunks and numbers now (after seeding them directly in the store).
    pub async fn reload(&self) -> anyhow::Result<()> {
        self.edge.reload().await
    }

    /// The handle the API uses to place outbound calls.
    /// The desks and the WebRTC media of this node.
    pub fn sessions(&self) -> crate::webrtc::Sessions {
        self.edge.sessions.clone()
    }

    /// The routers of this node's tenants.
    pub fn routing(&self) -> crate::routing::Routing {
        self.edge.routing.clone()
    }

    pub fn control(&self) -> CallControl {
        CallControl {
            edge: self.edge.clone(),
        }
    }
}

impl Edge {
    async fn reload(&self) -> anyhow::Result<()> {
        let mut ptx = self.store.platform_tx().await?;
        let trunks = trunk::all_configs(&mut ptx).await?;
        let numbers = phone_number::all(&mut ptx).await?;
        ptx.commit().await?;
        let table = RoutingTable::build(&trunks, &numbers);
        if let Ok(mut monitors) = self.monitors.lock() {
            monitors.update(&trunks, &self.store, &self.endpoint);
        }
        if let Ok(mut t) = self.table.write() {
            *t = Arc::new(table);
        }
        tracing::debug!(
            trunks = trunks.len(),
            numbers = numbers.len(),
            "SIP routing table loaded"
        );
        Ok(())
    }

    /// The liveness watch of a call's media, unless media timeouts are off.
    pub(super) fn media_watch(&self, sendrecv: watch::Receiver<bool>) -> Option<media::MediaWatch> {
        (self.settings.media_timeout_secs > 0).then(|| media::MediaWatch {
            timeout: Duration::from_secs(self.settings.media_timeout_secs),
            sendrecv,
        })
    }

    fn table(&self) -> Arc<RoutingTable> {
        self.table.read().map(|t| t.clone()).unwrap_or_default()
    }

    /// The timers of this node's calls.
    pub(super) fn call_config(&self, destination: Option<Destination>) -> CallConfig {
        // A direct line rings until the agent answers; a queue answers at once and the caller
        // hears music while the router finds an agent.
        let person = matches!(destination, Some(Destination::Agent(_)));
        CallConfig {
            ring: if person {
                Duration::from_secs(self.media.agent_ring_secs)
            } else {
                Duration::from_millis(self.settings.answer_delay_ms)
            },
            answer_when_told: person,
            ring_timeout: super::outbound::RING_TIMEOUT,
            max_duration: Duration::from_secs(self.settings.max_call_secs),
        }
    }
}

async fn incoming_loop(edge: Arc<Edge>, mut incoming: TransactionReceiver) {
    while let Some(mut tx) = incoming.recv().await {
        let in_dialog = tx
            .original
            .to_header()
            .ok()
            .and_then(|h| h.tag().ok().flatten())
            .is_some();
        let method = tx.original.method;
        if in_dialog {
            match edge.dialogs.match_dialog(&tx) {
                Some(mut d) => {
                    tokio::spawn(async move {
                        let _ = d.handle(&mut tx).await;
                    });
                }
                None => {
                    // RFC 3261 12.2.2: a request within an unknown dialog.
                    tokio::spawn(async move {
                        let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
                    });
                }
            }
            continue;
        }
        match method {
            Method::Invite => {
                tokio::spawn(handle_invite(edge.clone(), tx));
            }
            Method::Options => {
                tokio::spawn(async move {
                    let allow = Header::Allow("INVITE, ACK, CANCEL, BYE, OPTIONS".into());
                    let _ = tx.reply_with(StatusCode::OK, vec![allow], None).await;
                });
            }
            Method::Bye => {
                tokio::spawn(async move {
                    let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
                });
            }
            _ => {
                tokio::spawn(async move {
                    let _ = tx.reply(StatusCode::MethodNotAllowed).await;
                });
            }
        }
    }
}

fn count(outcome: &'static str) {
    metrics::counter!("sip_invites_total", "outcome" => outcome).increment(1);
}

/// Refuse an INVITE with a final response, counted by outcome.
async fn refuse(mut tx: Transaction, code: StatusCode, outcome: &'static str) {
    count(outcome);
    if let Err(e) = tx.reply(code).await {
        tracing::debug!(error = %e, "sending a final response failed");
    }
}

async fn handle_invite(edge: Arc<Edge>, tx: Transaction) {
    let req = &tx.original;
    let source = tx
        .connection
        .as_ref()
        .and_then(|c| c.get_remote_addr())
        .and_then(|a| a.get_socketaddr().ok());
    let Some(source) = source else {
        return refuse(tx, StatusCode::BadRequest, "bad_request").await;
    };
    let user = req
        .uri
        .auth
        .as_ref()
        .map(|a| a.user.clone())
        .unwrap_or_default();
    let sip_call_id = req
        .call_id_header()
        .map(|h| h.value().to_owned())
        .unwrap_or_default();
    let from_user = req
        .from_header()
        .ok()
        .and_then(|h| h.uri().ok())
        .and_then(|u| u.auth.map(|a| a.user))
        .unwrap_or_default();
    let table = edge.table();
    let routed = match table.route(source.ip(), &user) {
        Err(RouteError::UnknownSource) if table.has_credentials() => {
            match authenticate(&edge, &table, req) {
                Auth::Trunk(trunk) => table.route_via(trunk, &user).map(|n| (trunk, n)),
                Auth::Challenge(value) => {
                    count("challenged");
                    let header = Header::Other("Proxy-Authenticate".into(), value);
                    let mut tx = tx;
                    let _ = tx
                        .reply_with(StatusCode::ProxyAuthenticationRequired, vec![header], None)
                        .await;
                    return;
                }
                Auth::Refused => {
                    // Unknown users and wrong passwords get the same answer.
                    tracing::info!(%source, "INVITE with wrong or unknown credentials refused");
                    return refuse(tx, StatusCode::Forbidden, "bad_credentials").await;
                }
            }
        }
        other => other,
    };
    let (trunk, number) = match routed {
        Ok(r) => r,
        Err(RouteError::UnknownSource) => {
            tracing::info!(%source, "INVITE from an unknown source refused");
            return refuse(tx, StatusCode::Forbidden, "unknown_source").await;
        }
        Err(RouteError::UnknownNumber) => {
            tracing::info!(%source, dialled = %user, "INVITE to a number nobody owns");
            return refuse(tx, StatusCode::NotFound, "unknown_number").await;
        }
    };
    let tenant = number.tenant;
    // RFC 4028 6: a session interval shorter than ours is refused before anything is kept;
    // the caller retries with our Min-SE.
    let session_timer = match super::timers::inbound(&edge.settings, req) {
        Ok(t) => t,
        Err(min_se) => {
            count("interval_too_small");
            let header = Header::Other("Min-SE".into(), min_se.to_string());
            let mut tx = tx;
            let _ = tx
                .reply_with(StatusCode::SessionIntervalTooSmall, vec![header], None)
                .await;
            return;
        }
    };
    let from_number = super::routing::dialled_number(&from_user)
        .map_or(from_user.clone(), |n| n.as_str().to_owned());
    let call_id = crate::store::new_id();
    let record = NewCall {
        id: call_id,
        tenant,
        direction: "inbound",
        trunk_id: Some(trunk.id),
        number_id: Some(number.id),
        from_number: &from_number,
        to_number: &number.number,
        sip_call_id: &sip_call_id,
        started_at: Utc::now(),
        node: &edge.settings.node,
    };

    // Quota and channel limit; the record is written in the same transaction as the check.
    let admitted = async {
        let mut db = edge.store.tenant_tx(tenant).await?;
        let t = tenant::get(&mut db, tenant).await?;
        let max = t.as_ref().map_or(0, |t| i64::from(t.max_concurrent_calls));
        let open = call::count_open(&mut db, tenant).await?;
        let on_trunk = edge
            .calls
            .lock()
            .map(|c| c.values().filter(|a| a.trunk == trunk.id).count())
            .unwrap_or(0);
        let full = open >= max || on_trunk >= trunk.channel_limit as usize;
        // The tenant's blacklist; the attempt is recorded all the same.
        let blocked =
            crate::store::blocked_number::matching(&mut db, tenant, &from_number, Utc::now())
                .await?
                .map(|b| b.treatment);
        call::insert(&mut db, &record).await?;
        db.commit().await?;
        Ok::<_, sqlx::Error>((full, t.map(|t| t.locale).unwrap_or_default(), blocked))
    }
    .await;
    let (full, locale, blocked) = match admitted {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "admitting a call failed");
            return refuse(tx, StatusCode::ServerInternalError, "error").await;
        }
    };
    let reject = |cause: &'static str, code: u16| CallEnd {
        ended_at: Utc::now(),
        hangup_cause: cause,
        hangup_side: "system",
        sip_code: Some(i32::from(code)),
        codec: None,
        dtmf_digits: "",
        quality: json!({}),
    };
    let mut destination = number.destination;
    if blocked.as_deref() == Some("prompt") {
        // Answered to hear `blocked`, then hung up; the record says `blocked`.
        tracing::info!(tenant_id = %tenant, from = %from_number, "a blocked number hears the blocked prompt");
        destination = Destination::Blocked;
    } else if let Some(treatment) = blocked {
        // `silent`: declined without a word (603); `busy`: 486, as if the line were busy.
        let (code, status) = if treatment == "silent" {
            (603, StatusCode::Decline)
        } else {
            (486, StatusCode::BusyHere)
        };
        close_record(&edge.store, tenant, call_id, &reject("blocked", code)).await;
        tracing::info!(tenant_id = %tenant, from = %from_number, treatment, "a blocked number was refused");
        return refuse(tx, status, "blocked").await;
    }
    if full {
        close_record(&edge.store, tenant, call_id, &reject("rejected", 503)).await;
        tracing::warn!(tenant_id = %tenant, "concurrent-call quota reached");
        return refuse(tx, StatusCode::ServiceUnavailable, "quota").await;
    }
    let offer = match std::str::from_utf8(&req.body)
        .map_err(|_| ())
        .and_then(|b| SessionDescription::parse(b).map_err(|_| ()))
    {
        Ok(o) => o,
        Err(()) => {
            close_record(&edge.store, tenant, call_id, &reject("rejected", 488)).await;
            return refuse(tx, StatusCode::NotAcceptableHere, "bad_sdp").await;
        }
    };
    let session = match sdp::negotiate(&offer, &AudioPolicy::default()) {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(error = %e, "no acceptable audio in the offer");
            close_record(&edge.store, tenant, call_id, &reject("rejected", 488)).await;
            return refuse(tx, StatusCode::NotAcceptableHere, "no_codec").await;
        }
    };
    let socket = match edge.ports.bind().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "no RTP port");
            close_record(&edge.store, tenant, call_id, &reject("failed", 503)).await;
            return refuse(tx, StatusCode::ServiceUnavailable, "no_port").await;
        }
    };
    let rtp_port = socket.port();
    let mut tx = tx;
    let dialog = match edge.dialogs.get_or_create_server_invite(
        &tx,
        edge.state_tx.clone(),
        None,
        Some(edge.contact.clone()),
    ) {
        Ok(d) => d,
        Err(e) => {
            tracing::info!(error = %e, "INVITE does not start a dialog");
            close_record(&edge.store, tenant, call_id, &reject("rejected", 481)).await;
            return refuse(tx, StatusCode::CallTransactionDoesNotExist, "no_dialog").await;
        }
    };
    let dialog_id = dialog.id().to_string();
    let mut transaction_driver = dialog.clone();
    tokio::spawn(async move {
        let _ = transaction_driver.handle(&mut tx).await;
    });

    let local = LocalAudio {
        session_id: u64::from(rand::random::<u32>()),
        session_version: 1,
        addr: edge.media_ip,
        port: rtp_port,
        codecs: vec![session.codec],
        telephone_event: session.telephone_event,
        direction: session.direction,
        ptime: session.ptime,
    };
    let answer = sdp::write(&local, Some((&offer, session.media_index)));
    let (events, events_rx) = tokio::sync::mpsc::unbounded_channel();
    let events_tx = events.clone();
    let (sendrecv, sendrecv_rx) = watch::channel(session.direction == Direction::SendRecv);
    if let Ok(mut calls) = edge.calls.lock() {
        calls.insert(
            dialog_id.clone(),
            ActiveCall {
                trunk: trunk.id,
                codec: session.codec,
                local,
                events,
                sendrecv,
            },
        );
    }
    let mut leg = Leg {
        id: call_id,
        tenant,
        dialog,
        events: events_tx,
        from_number,
        to_number: number.number.clone(),
        key: dialog_id,
        sockets: Some(socket),
        session: Some(session),
        destination,
        locale,
        answer: Some(answer),
        dialling: None,
        media: None,
        watch: edge.media_watch(sendrecv_rx),
        answer_headers: Vec::new(),
        refresh: None,
    };
    let mut machine = Call::new(Role::Inbound, edge.call_config(Some(destination)));
    if let Some(t) = session_timer {
        machine.set_session_timer(std::time::Instant::now(), t.timer);
        leg.answer_headers = t.answer_headers;
        leg.refresh = Some(t.refresh);
    }
    machine.handle(std::time::Instant::now(), CallEvent::Start);
    tokio::spawn(drive(edge.clone(), machine, leg, events_rx));
}

/// The outcome of checking an INVITE's credentials.
enum Auth<'a> {
    Trunk(&'a super::routing::TrunkEntry),
    /// No (or stale) credentials: challenge with this `Proxy-Authenticate` value.
    Challenge(String),
    Refused,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// RFC 3261 22.3: a proxy challenges with 407 and checks Proxy-Authorization.
fn authenticate<'a>(
    edge: &Edge,
    table: &'a RoutingTable,
    req: &rsipstack::sip::Request,
) -> Auth<'a> {
    let realm = &edge.settings.realm;
    let now = unix_now();
    let challenge = || {
        Auth::Challenge(format!(
            "Digest realm=\"{realm}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"",
            edge.nonces.issue(now)
        ))
    };
    let Some(params) = req
        .header_value("Proxy-Authorization")
        .and_then(|v| digest::parse_credentials(&v))
    else {
        return challenge();
    };
    if params.get("realm") != Some(realm)
        || !params
            .get("nonce")
            .is_some_and(|n| edge.nonces.valid(n, now))
    {
        return challenge();
    }
    let trunk = params
        .get("username")
        .and_then(|u| table.trunk_by_username(u));
    // An unknown user is checked against a dummy hash, so both cases cost the same.
    let ha1 = trunk
        .and_then(|t| t.inbound_ha1.as_deref())
        .unwrap_or("00000000000000000000000000000000");
    match (digest::verify(&params, "INVITE", ha1), trunk) {
        (true, Some(t)) => Auth::Trunk(t),
        _ => Auth::Refused,
    }
}

/// The tenant's own prompt `name`, decoded, if it uploaded one.
pub(super) async fn custom_prompt(store: &Store, tenant: TenantId, name: &str) -> Option<Vec<i16>> {
    let mut tx = store.tenant_tx(tenant).await.ok()?;
    let wav = crate::store::prompt::audio(&mut tx, tenant, name)
        .await
        .ok()??;
    let _ = tx.commit().await;
    switchboard_media::wav::read(&wav).ok().map(|a| a.samples)
}

/// The built-in service `destination` runs on a call's RTP, and where its media goes first
/// (until the caller's packets say where they really are).
pub(super) fn service_for(
    edge: &Edge,
    session: &sdp::AudioSession,
    destination: Destination,
    locale: &str,
    custom_prompt: Option<Vec<i16>>,
) -> (Service, Option<SocketAddr>) {
    let law = match session.codec {
        Codec::Pcmu => Law::Mu,
        Codec::Pcma => Law::A,
    };
    let params = MediaParams {
        law,
        telephone_event: session.telephone_event,
        ssrc: rand::random(),
    };
    let service = match destination {
        Destination::Echo => Service::echo(params),
        Destination::PromptDtmf => {
            let set = edge.prompts.for_locale(locale);
            let built_in = set.get("enter-digits").unwrap_or_default();
            let prompt = custom_prompt.as_deref().unwrap_or(&built_in);
            Service::prompt(params, prompt, set.digits.clone())
        }
        Destination::Agent(_)
        | Destination::Queue(_)
        | Destination::Flow(_)
        | Destination::Blocked => Service::relay(params),
    };
    let remote = session
        .we_send()
        .then(|| SocketAddr::new(session.remote_addr, session.remote_port));
    (service, remote)
}

pub(super) async fn close_record(store: &Store, tenant: TenantId, id: Uuid, end: &CallEnd<'_>) {
    let result = async {
        let mut db = store.tenant_tx(tenant).await?;
        call::close(&mut db, tenant, id, end).await?;
        db.commit().await
    }
    .await;
    if let Err(e) = result {
        // The record stays open and is closed as `crashed` at the next start.
        tracing::error!(error = %e, call_id = %id, "closing a call record failed");
    }
}

/// Our unchanged session, as the offer of a re-INVITE that refreshes it (RFC 4028 10).
pub(super) fn refresh_offer(edge: &Edge, key: &str) -> Option<String> {
    let mut calls = edge.calls.lock().ok()?;
    let call = calls.get_mut(key)?;
    call.local.session_version += 1;
    Some(sdp::write(&call.local, None))
}

/// Answer a re-INVITE (RFC 3261 14.2): hold, unhold or a session refresh. The media keeps its
/// port and codec; the direction follows the new offer.
fn answer_reinvite(edge: &Edge, key: &str, body: &[u8]) -> Result<String, StatusCode> {
    let mut calls = edge
        .calls
        .lock()
        .map_err(|_| StatusCode::ServerInternalError)?;
    let call = calls
        .get_mut(key)
        .ok_or(StatusCode::CallTransactionDoesNotExist)?;
    call.local.session_version += 1;
    if body.is_empty() {
        // An offerless re-INVITE: our 200 carries the offer (RFC 3264 section 8).
        call.local.direction = Direction::SendRecv;
        call.sendrecv.send_replace(true);
        return Ok(sdp::write(&call.local, None));
    }
    let offer = std::str::from_utf8(body)
        .ok()
        .and_then(|b| SessionDescription::parse(b).ok())
        .ok_or(StatusCode::NotAcceptableHere)?;
    let policy = AudioPolicy {
        codecs: vec![call.codec],
    };
    let session = sdp::negotiate(&offer, &policy).map_err(|_| StatusCode::NotAcceptableHere)?;
    call.local.direction = session.direction;
    call.sendrecv
        .send_replace(session.direction == Direction::SendRecv);
    Ok(sdp::write(&call.local, Some((&offer, session.media_index))))
}

async fn state_loop(edge: Arc<Edge>, mut rx: DialogStateReceiver) {
    while let Some(state) = rx.recv().await {
        if let DialogState::Updated(id, req, handle) = &state {
            // A re-INVITE gets our SDP; an UPDATE (a session refresh) a plain 200. Either
            // refreshes the session (RFC 4028 10).
            let result = if req.method == Method::Invite {
                answer_reinvite(&edge, &id.to_string(), &req.body).map(Some)
            } else {
                Ok(None)
            };
            let mut headers = super::timers::refresh_answer_headers(req);
            if result.is_ok()
                && let Ok(calls) = edge.calls.lock()
                && let Some(call) = calls.get(&id.to_string())
            {
                let _ = call.events.send(CallEvent::SessionRefreshed);
            }
            tokio::spawn({
                let handle = handle.clone();
                async move {
                    let sent = match result {
                        Ok(Some(answer)) => {
                            headers.push(Header::ContentType("application/sdp".into()));
                            handle
                                .respond(StatusCode::OK, Some(headers), Some(answer.into_bytes()))
                                .await
                        }
                        Ok(None) => handle.respond(StatusCode::OK, Some(headers), None).await,
                        Err(code) => handle.reply(code).await,
                    };
                    if sent.is_err() {
                        tracing::debug!("answering an in-dialog request failed");
                    }
                }
            });
            continue;
        }
        if let DialogState::Info(_, _, handle) | DialogState::Options(_, _, handle) = &state {
            let handle = handle.clone();
            tokio::spawn(async move {
                let _ = handle.reply(StatusCode::OK).await;
            });
            continue;
        }
        if let DialogState::Terminated(id, reason) = state {
            edge.dialogs.remove_dialog(&id);
            let event = match reason {
                TerminatedReason::UacCancel => CallEvent::Cancelled,
                TerminatedReason::UacBye | TerminatedReason::UasBye => CallEvent::RemoteBye,
                TerminatedReason::Timeout => CallEvent::Failed(408),
                _ => CallEvent::Failed(500),
            };
            if let Ok(calls) = edge.calls.lock()
                && let Some(call) = calls.get(&id.to_string())
            {
                let _ = call.events.send(event);
            }
        }
    }
}

/// A rough MOS from loss and jitter (simplified E-model, ITU-T G.107, for G.711 with a 40 ms
/// fixed delay budget): good enough to tell a clean line from a broken one.
pub(crate) fn mos(loss: f64, jitter_ms: f64) -> f64 {
    let effective_latency = 40.0 + jitter_ms * 2.0 + 10.0;
    let mut r = if effective_latency < 160.0 {
        93.2 - effective_latency / 40.0
    } else {
        93.2 - (effective_latency - 120.0) / 10.0
    };
    r -= loss * 100.0 * 2.5;
    let r = r.clamp(0.0, 100.0);
    let m = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
    (m.clamp(1.0, 4.5) * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::mos;

    #[test]
    fn mos_falls_with_loss_and_jitter() {
        assert!(mos(0.0, 0.0) > 4.3);
        assert!(mos(0.05, 0.0) < mos(0.0, 0.0));
        assert!(mos(0.0, 60.0) < mos(0.0, 0.0));
        assert!(mos(0.5, 200.0) >= 1.0);
    }
}
