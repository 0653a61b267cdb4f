//! Browsers as phones: the WebRTC hub (one UDP socket, every browser leg, on the sans-IO
//! endpoint of `switchboard-media`), the signed-in users' desks and the calls bridged to them,
//! and the WebSocket protocol that signals it all.

pub mod hub;
pub mod protocol;
pub mod sessions;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

pub use hub::Hub;
pub use sessions::{CONSULT_RING, DeskChange, DeskError, Sessions, TransferStep};

use crate::recording::LocalRecordings;
use crate::settings::MediaSettings;

/// The addresses to announce as ICE candidates: the configured public ones, else the listen
/// address, with `fallback_ip` (the SIP public address) standing in for an unspecified one.
pub fn announced(
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

/// Start the WebRTC hub and the desks.
pub async fn start(
    settings: &MediaSettings,
    data_dir: &Path,
    fallback_ip: IpAddr,
    store: crate::store::Store,
) -> anyhow::Result<Sessions> {
    let socket = tokio::net::UdpSocket::bind(settings.webrtc_listen)
        .await
        .with_context(|| format!("binding WebRTC media on {}", settings.webrtc_listen))?;
    let announced = announced(settings, socket.local_addr()?, fallback_ip)?;
    let (notices_tx, mut notices) = tokio::sync::mpsc::unbounded_channel();
    let hub = Hub::start(socket, announced.clone(), notices_tx)?;
    tracing::info!(addr = %hub.addr, ?announced, "WebRTC media listening");
    let dir = settings
        .recordings_dir
        .clone()
        .unwrap_or_else(|| data_dir.join("recordings"));
    let sessions = Sessions::new(
        hub,
        Arc::new(LocalRecordings::new(dir)),
        settings.record_calls,
        store,
    );
    let s = sessions.clone();
    tokio::spawn(async move {
        while let Some((leg, notice)) = notices.recv().await {
            s.on_leg(leg, notice);
        }
    });
    Ok(sessions)
}
