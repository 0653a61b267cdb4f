//! The desks of signed-in users: which WebSocket is each user's page now, and which WebRTC
//! leg is their phone, with the hub that carries every leg's audio on one UDP socket. No call
//! state: the call controller (`calls`) decides what rings where and tells desks
//! through here.
//!
//! A user has one desk. A second tab or device that connects takes over (the old one is told
//! `replaced`). The media leg outlives the WebSocket: after a reload the page offers again and
//! the new leg replaces the old one.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use switchboard_media::webrtc::{LegId, WebRtcError};
use switchboard_proto::ServerMessage;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use uuid::Uuid;

use crate::media::Hub;
use crate::media::hub::LegNotice;
use crate::settings::MediaSettings;

/// The desks of this node. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Desks {
    inner: Arc<Mutex<Registry>>,
    /// The WebRTC hub all desks' legs live on.
    pub hub: Hub,
}

#[derive(Debug, Default)]
struct Registry {
    /// Each user's page now: its connection number and where its messages go.
    pages: HashMap<Uuid, (u64, UnboundedSender<ServerMessage>)>,
    /// Whose phone each live leg is.
    legs: HashMap<LegId, Uuid>,
    next_conn: u64,
}

impl Desks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // Every update under this lock is a single insert or remove: a panic elsewhere leaves
        // the maps consistent.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A page of `user` connected; returns its connection number. An earlier page of the
    /// same user is told it was replaced.
    pub fn connect(&self, user: Uuid, tx: UnboundedSender<ServerMessage>) -> u64 {
        let mut registry = self.lock();
        registry.next_conn += 1;
        let conn = registry.next_conn;
        if let Some((_, old)) = registry.pages.insert(user, (conn, tx)) {
            let _ = old.send(ServerMessage::Replaced);
        }
        conn
    }

    /// Page `conn` of `user` closed; whether it was the user's page (not one replaced).
    pub fn disconnect(&self, user: Uuid, conn: u64) -> bool {
        let mut registry = self.lock();
        let current = registry.pages.get(&user).is_some_and(|(c, _)| *c == conn);
        if current {
            registry.pages.remove(&user);
        }
        current
    }

    /// Whether `user` has a page open now.
    pub fn is_connected(&self, user: Uuid) -> bool {
        self.lock().pages.contains_key(&user)
    }

    /// Send a message to `user`'s page, if one is open.
    pub fn send(&self, user: Uuid, message: ServerMessage) {
        if let Some((_, tx)) = self.lock().pages.get(&user) {
            let _ = tx.send(message);
        }
    }

    /// Negotiate `user`'s phone from a browser's SDP offer: a new leg, or with `renegotiate`
    /// the live one again (an ICE restart). A new leg replaces (closes) `old`.
    pub async fn offer(
        &self,
        user: Uuid,
        old: Option<LegId>,
        renegotiate: bool,
        sdp: String,
    ) -> Result<(LegId, String), WebRtcError> {
        let (leg, answer) = self.hub.offer(old.filter(|_| renegotiate), sdp).await?;
        if old != Some(leg) {
            let mut registry = self.lock();
            if let Some(old) = old {
                registry.legs.remove(&old);
                self.hub.close(old);
            }
            registry.legs.insert(leg, user);
        }
        Ok((leg, answer))
    }

    /// Whose phone `leg` is; a closed leg is forgotten.
    pub fn leg_user(&self, leg: LegId, closed: bool) -> Option<Uuid> {
        let mut registry = self.lock();
        if closed {
            registry.legs.remove(&leg)
        } else {
            registry.legs.get(&leg).copied()
        }
    }
}

/// The addresses to announce as ICE candidates: the configured public ones, else the listen
/// address, with `fallback_ip` (the SIP public address) standing in for an unspecified one.
fn announced(
    settings: &MediaSettings,
    bound: SocketAddr,
    fallback_ip: IpAddr,
) -> anyhow::Result<Vec<SocketAddr>> {
    if settings.webrtc_public.is_empty() {
        let ip = if bound.ip().is_unspecified() {
            fallback_ip
        } else {
            bound.ip()
        };
        return Ok(vec![SocketAddr::new(ip, bound.port())]);
    }
    settings
        .webrtc_public
        .iter()
        .map(|a| {
            a.parse::<SocketAddr>()
                .or_else(|_| {
                    a.parse::<IpAddr>()
                        .map(|ip| SocketAddr::new(ip, bound.port()))
                })
                .with_context(|| format!("media.webrtc_public: {a:?} is not an address"))
        })
        .collect()
}

/// Start the WebRTC hub and the desks; what the hub reports of legs comes out of the
/// receiver.
pub async fn start(
    settings: &MediaSettings,
    fallback_ip: IpAddr,
) -> anyhow::Result<(Desks, UnboundedReceiver<(LegId, LegNotice)>)> {
    let socket = tokio::net::UdpSocket::bind(settings.webrtc_listen)
        .await
        .with_context(|| format!("binding WebRTC media on {}", settings.webrtc_listen))?;
    let announced = announced(settings, socket.local_addr()?, fallback_ip)?;
    let (notices_tx, notices) = tokio::sync::mpsc::unbounded_channel();
    let hub = Hub::start(socket, announced.clone(), notices_tx)?;
    tracing::info!(addr = %hub.addr, ?announced, "WebRTC media listening");
    let desks = Desks {
        inner: Arc::default(),
        hub,
    };
    Ok((desks, notices))
}
