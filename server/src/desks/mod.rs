//! The desks of signed-in users: each user's WebSocket, their persistent media leg (a browser
//! is the phone), and the calls ringing on or bridged to it, with the WebRTC hub that carries
//! their audio. The router and the call controller ring desks and hear from them through the
//! types here.

mod desk;

pub use desk::{CONSULT_RING, DeskError, Desks, TransferStep};

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use switchboard_media::bridge::MonitorMode;
use switchboard_proto::{ContactCard, IvrInputs, Monitoring};
use uuid::Uuid;

use crate::media::Hub;
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
) -> anyhow::Result<Desks> {
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
    let desks = Desks::new(
        hub,
        Arc::new(LocalRecordings::new(dir)),
        settings.record_calls,
        store,
    );
    let s = desks.clone();
    tokio::spawn(async move {
        while let Some((leg, notice)) = notices.recv().await {
            s.on_leg(leg, notice);
        }
    });
    Ok(desks)
}

/// What the router hears from the desks about calls it did not route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskChange {
    /// The agent took (`on`) or left a call the router did not offer: a colleague's
    /// consultation, a direct line's call, a call a flow sent them.
    Engaged { agent: Uuid, on: bool },
    /// The desk's phone can ring (`true`: a WebSocket and a connected media session) or
    /// cannot (either is gone). The router offers calls only to a phone that can ring.
    Phone { agent: Uuid, can_ring: bool },
    /// A transfer completed: `to` has the connected call now, or nobody (`None`: it went to
    /// an outside number). `from` is done with it.
    HandedOver {
        call: Uuid,
        from: Uuid,
        to: Option<Uuid>,
    },
}

/// What the desks report to whoever offered a call (a tenant's router, a flow's driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Answered { call: Uuid, agent: Uuid },
    Refused { call: Uuid, agent: Uuid },
}

/// What an agent is told about a call offered to them, besides its numbers.
#[derive(Debug, Clone, Default)]
pub struct OfferDetails {
    pub queue_id: Option<Uuid>,
    pub queue_name: Option<String>,
    pub ivr: Option<IvrInputs>,
    pub contact: Option<Box<ContactCard>>,
}

/// A supervisor's mode as the desk shows it.
fn monitoring(mode: MonitorMode) -> Monitoring {
    match mode {
        MonitorMode::Listen => Monitoring::Listen,
        MonitorMode::Whisper => Monitoring::Whisper,
        // A consulted colleague joins like a supervisor; the desk shows them barging.
        MonitorMode::Barge | MonitorMode::Consult => Monitoring::Barge,
    }
}
