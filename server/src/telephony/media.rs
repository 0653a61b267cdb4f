//! The RTP driver of one call: owns the call's UDP socket, feeds the sans-IO [`Service`] with
//! received packets and the time, and sends what it produces. Symmetric RTP: media is sent to
//! where the caller's packets come from (latched on the first packet), which gets through NAT.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use switchboard_media::rtp::RtpPacket;
use switchboard_media::service::Service;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

/// RTP ports handed out round-robin from the configured range (even ports, RFC 3550 11).
#[derive(Debug)]
pub struct PortPool {
    ip: IpAddr,
    min: u16,
    max: u16,
    next: AtomicU32,
}

impl PortPool {
    pub fn new(ip: IpAddr, min: u16, max: u16) -> PortPool {
        PortPool {
            ip,
            min: min + (min & 1),
            max,
            next: AtomicU32::new(0),
        }
    }

    /// Bind the next free even port, trying the whole range once.
    pub async fn bind(&self) -> std::io::Result<UdpSocket> {
        let slots = u32::from(self.max.saturating_sub(self.min) / 2 + 1);
        for _ in 0..slots {
            let n = self.next.fetch_add(1, Ordering::Relaxed) % slots;
            // n < slots, so the port stays within min..=max.
            let port = self.min + (n * 2) as u16;
            if let Ok(socket) = UdpSocket::bind((self.ip, port)).await {
                return Ok(socket);
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no free RTP port in the configured range",
        ))
    }
}

/// What the media leg reports when it ends.
#[derive(Debug, Clone, Default)]
pub struct MediaOutcome {
    pub digits: String,
    pub packets_received: u64,
    pub packets_sent: u64,
    pub packets_lost: i64,
    pub jitter_ms: f64,
}

/// Control of a running media leg.
#[derive(Debug)]
pub struct MediaHandle {
    stop: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<MediaOutcome>>,
}

impl MediaHandle {
    /// Stop the leg and collect its outcome.
    pub async fn finish(mut self) -> MediaOutcome {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.done.take() {
            Some(done) => done.await.unwrap_or_default(),
            None => MediaOutcome::default(),
        }
    }
}

/// Run `service` on `socket`, sending to `remote` until the caller's first packet says where
/// they really are.
pub fn spawn(socket: UdpSocket, remote: Option<SocketAddr>, mut service: Service) -> MediaHandle {
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let (done_tx, done_rx) = oneshot::channel();
    tokio::spawn(async move {
        let mut remote = remote;
        let mut latched = false;
        let mut buf = vec![0u8; 2048];
        loop {
            let deadline = service.poll_timeout().map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = &mut stop_rx => break,
                received = socket.recv_from(&mut buf) => match received {
                    Ok((n, from)) => {
                        // Drop anything that is not RTP (e.g. RTCP or garbage): never panics.
                        if let Ok(packet) = RtpPacket::parse(&buf[..n]) {
                            if !latched {
                                remote = Some(from);
                                latched = true;
                            }
                            if Some(from) == remote {
                                service.on_rtp(Instant::now(), &packet);
                            }
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "RTP receive error"),
                },
                () = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(d).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
            let now = Instant::now();
            while let Some(out) = service.poll_transmit(now) {
                if let Some(to) = remote
                    && let Err(e) = socket.send_to(&out, to).await
                {
                    tracing::debug!(error = %e, "RTP send error");
                }
            }
        }
        let stats = service.stats();
        let _ = done_tx.send(MediaOutcome {
            digits: service.digits().to_owned(),
            packets_received: stats.received(),
            packets_sent: service.packets_sent(),
            packets_lost: stats.lost(),
            jitter_ms: stats.jitter_ms(),
        });
    });
    MediaHandle {
        stop: Some(stop_tx),
        done: Some(done_rx),
    }
}
