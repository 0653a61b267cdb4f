//! The call controller: the only owner of a call, from an INVITE or a dial to its closed
//! record. Each call runs in its own task (`driver`) on the sans-IO call machine of
//! `switchboard-sip`, with its journey (`journey`: IVR, queue, the desk a flow rings);
//! inbound INVITEs are admitted in `inbound`, outbound calls placed by [`outbound`]. The
//! agents' side of calls is the sans-IO board (`board`) driven by [`Agents`]. Below it, and
//! knowing nothing of calls: the SIP stack ([`crate::telephony`]), the media
//! ([`crate::media`]), the desks ([`crate::desks`]) and the routers ([`crate::routing`]).

mod agents;
mod board;
mod dialogs;
mod driver;
mod inbound;
mod journey;
pub mod outbound;
mod record;
mod services;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use rsipstack::dialog::dialog::DialogStateSender;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::Uri;
use switchboard_sip::call::{CallConfig, Event as CallEvent};
use switchboard_sip::sdp::{Codec, LocalAudio};
use tokio::sync::watch;
use uuid::Uuid;

pub use agents::Agents;
pub use board::{DeskError, TransferStep};
pub use outbound::{CallControl, DialError, DialRequest};

use crate::media::prompts::Prompts;
use crate::media::rtp::{MediaWatch, PortPool};
use crate::routing::Routing;
use crate::settings::{MediaSettings, SipSettings};
use crate::store::{Store, phone_number, trunk};
use crate::telephony::digest::NonceKey;
use crate::telephony::monitor::Monitors;
use crate::telephony::numbers::{Destination, NumberTable};
use crate::telephony::transport::Stack;

/// A call in progress on this node, as the controller's table keeps it (by dialog id). The
/// call itself runs in its driver task; the table routes the stack's reports to it.
struct ActiveCall {
    trunk: Uuid,
    codec: Codec,
    /// Our side of the session, to answer re-INVITEs (hold, unhold, session refresh).
    local: LocalAudio,
    /// Reports for the call's driver.
    events: tokio::sync::mpsc::UnboundedSender<CallEvent>,
    /// Whether the stream is `sendrecv` (not on hold), for the media's liveness watch.
    sendrecv: watch::Sender<bool>,
}

/// What every call's task reaches: the store, the SIP stack, the media ports and prompts,
/// the desks and the routers, and the table of this node's calls.
struct Edge {
    store: Store,
    settings: SipSettings,
    dialogs: Arc<DialogLayer>,
    state_tx: DialogStateSender,
    table: RwLock<Arc<NumberTable>>,
    calls: Mutex<HashMap<String, ActiveCall>>,
    ports: PortPool,
    prompts: Prompts,
    agents: Agents,
    routing: Routing,
    media: MediaSettings,
    contact: Uri,
    media_ip: IpAddr,
    endpoint: rsipstack::transaction::endpoint::EndpointInnerRef,
    monitors: Mutex<Monitors>,
    nonces: NonceKey,
}

/// The running call controller and its SIP edge.
pub struct Controller {
    /// Where SIP over UDP (and TCP, on the same port) is served.
    pub addr: SocketAddr,
    /// Where SIP over TLS is served, when a certificate is configured.
    pub tls_addr: Option<SocketAddr>,
    cancel: CancellationToken,
    edge: Arc<Edge>,
}

impl Controller {
    /// Load the number table, close the records a crash of this node left open, and take
    /// calls on the bound SIP `stack`, ringing desks through `agents` and queueing with
    /// `routing`.
    /// `numbers_changed` says when trunks or numbers changed.
    pub async fn start(
        stack: Stack,
        settings: SipSettings,
        media: MediaSettings,
        store: Store,
        (agents, routing): (Agents, Routing),
        mut numbers_changed: watch::Receiver<u64>,
    ) -> anyhow::Result<Controller> {
        let ports = PortPool::new(
            if settings.listen.ip().is_unspecified() {
                settings.listen.ip()
            } else {
                stack.media_ip
            },
            settings.rtp_port_min,
            settings.rtp_port_max,
        );
        let edge = Arc::new(Edge {
            store,
            dialogs: stack.dialogs,
            state_tx: stack.state_tx,
            table: RwLock::new(Arc::new(NumberTable::default())),
            calls: Mutex::new(HashMap::new()),
            ports,
            prompts: Prompts::load().context("decoding the default prompts")?,
            routing,
            agents,
            media,
            contact: stack.contact,
            media_ip: stack.media_ip,
            endpoint: stack.endpoint,
            monitors: Mutex::new(Monitors::default()),
            nonces: NonceKey::new(rand::random()),
            settings,
        });
        edge.reload().await.context("loading trunks and numbers")?;
        record::close_orphans(&edge.store, &edge.settings.node).await?;
        let cancel = stack.cancel;
        tokio::spawn(inbound::incoming_loop(edge.clone(), stack.incoming));
        tokio::spawn(dialogs::state_loop(edge.clone(), stack.states));
        tokio::spawn({
            let edge = edge.clone();
            let cancel = cancel.clone();
            async move {
                loop {
                    tokio::select! {
                        changed = numbers_changed.changed() => if changed.is_err() { break },
                        () = tokio::time::sleep(Duration::from_secs(30)) => {},
                        () = cancel.cancelled() => break,
                    }
                    if let Err(e) = edge.reload().await {
                        tracing::error!(error = %e, "reloading the SIP number table failed");
                    }
                }
            }
        });
        Ok(Controller {
            addr: stack.addr,
            tls_addr: stack.tls_addr,
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
        let table = NumberTable::build(&trunks, &numbers);
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
    fn media_watch(&self, sendrecv: watch::Receiver<bool>) -> Option<MediaWatch> {
        (self.settings.media_timeout_secs > 0).then(|| MediaWatch {
            timeout: Duration::from_secs(self.settings.media_timeout_secs),
            sendrecv,
        })
    }

    fn table(&self) -> Arc<NumberTable> {
        self.table.read().map(|t| t.clone()).unwrap_or_default()
    }

    /// The timers of this node's calls.
    fn call_config(&self, destination: Option<Destination>) -> CallConfig {
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
            ring_timeout: outbound::RING_TIMEOUT,
            max_duration: Duration::from_secs(self.settings.max_call_secs),
        }
    }
}
