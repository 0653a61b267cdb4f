//! The WebRTC driver: one task owns the node's WebRTC UDP socket and the sans-IO
//! [`Endpoint`] with every browser leg on it. Others talk to it through a [`Hub`] handle:
//! negotiate a leg, attach a leg's audio to a call's bridge, send audio to a leg, close one.

use std::net::SocketAddr;
use std::time::Instant;

use switchboard_media::g711::Law;
use switchboard_media::webrtc::{
    AudioFrame, CloseReason, Endpoint, LegEvent, LegId, LegQuality, Output, WebRtcError,
};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use super::rtp::BridgeCmd;

/// Which party of a call a leg is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Agent,
    Supervisor,
}

/// What the hub reports about a leg to the sessions.
#[derive(Debug, Clone)]
pub enum LegNotice {
    /// ICE and DTLS are up; the browser accepts these laws (preferred first).
    Connected(Vec<Law>),
    Quality(LegQuality),
    Closed(CloseReason),
}

enum Command {
    Offer {
        leg: Option<LegId>,
        sdp: String,
        reply: oneshot::Sender<Result<(LegId, String), WebRtcError>>,
    },
    Attach {
        leg: LegId,
        sink: Option<(mpsc::UnboundedSender<BridgeCmd>, Party)>,
    },
    Send {
        leg: LegId,
        frame: AudioFrame,
    },
    Close {
        leg: LegId,
    },
}

/// A handle on the WebRTC driver. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Hub {
    tx: mpsc::UnboundedSender<Command>,
    /// The socket's address.
    pub addr: SocketAddr,
}

impl Hub {
    /// Start the driver on `socket`, announcing `announced` as the host candidates. Leg
    /// notices go to `notices`.
    pub fn start(
        socket: UdpSocket,
        announced: Vec<SocketAddr>,
        notices: mpsc::UnboundedSender<(LegId, LegNotice)>,
    ) -> anyhow::Result<Hub> {
        let addr = socket.local_addr()?;
        let endpoint = Endpoint::new(announced, rand::random())?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(socket, endpoint, rx, notices));
        Ok(Hub { tx, addr })
    }

    /// Accept a browser's offer: a new leg, or a renegotiation (ICE restart) of `leg`.
    pub async fn offer(
        &self,
        leg: Option<LegId>,
        sdp: String,
    ) -> Result<(LegId, String), WebRtcError> {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(Command::Offer { leg, sdp, reply });
        rx.await.unwrap_or(Err(WebRtcError::UnknownLeg))
    }

    /// Route a leg's audio to a bridge (or nowhere).
    pub fn attach(&self, leg: LegId, sink: Option<(mpsc::UnboundedSender<BridgeCmd>, Party)>) {
        let _ = self.tx.send(Command::Attach { leg, sink });
    }

    pub fn send(&self, leg: LegId, frame: AudioFrame) {
        let _ = self.tx.send(Command::Send { leg, frame });
    }

    pub fn close(&self, leg: LegId) {
        let _ = self.tx.send(Command::Close { leg });
    }
}

async fn run(
    socket: UdpSocket,
    mut endpoint: Endpoint,
    mut commands: mpsc::UnboundedReceiver<Command>,
    notices: mpsc::UnboundedSender<(LegId, LegNotice)>,
) {
    let mut sinks: std::collections::HashMap<LegId, (mpsc::UnboundedSender<BridgeCmd>, Party)> =
        std::collections::HashMap::new();
    let mut buf = vec![0u8; 2048];
    loop {
        let deadline = endpoint.poll_timeout();
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    endpoint.receive(Instant::now(), from, &buf[..n]);
                }
                Err(e) => tracing::debug!(error = %e, "WebRTC receive error"),
            },
            command = commands.recv() => {
                let Some(command) = command else { break };
                let now = Instant::now();
                match command {
                    Command::Offer { leg, sdp, reply } => {
                        let _ = reply.send(endpoint.accept_offer(now, leg, &sdp));
                    }
                    Command::Attach { leg, sink } => match sink {
                        Some(s) => { sinks.insert(leg, s); }
                        None => { sinks.remove(&leg); }
                    },
                    Command::Send { leg, frame } => {
                        let _ = endpoint.send_audio(now, leg, &frame);
                    }
                    Command::Close { leg } => endpoint.close(now, leg),
                }
            }
            () = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            } => endpoint.handle_timeout(Instant::now()),
        }
        while let Some(output) = endpoint.poll_output() {
            match output {
                Output::Transmit { to, data } => {
                    if let Err(e) = socket.send_to(&data, to).await {
                        tracing::debug!(error = %e, %to, "WebRTC send error");
                    }
                }
                Output::Event(leg, LegEvent::Audio(frame)) => {
                    if let Some((sink, party)) = sinks.get(&leg) {
                        let cmd = match party {
                            Party::Agent => BridgeCmd::AgentAudio(frame),
                            Party::Supervisor => BridgeCmd::SupervisorAudio(frame),
                        };
                        if sink.send(cmd).is_err() {
                            sinks.remove(&leg);
                        }
                    }
                }
                Output::Event(leg, LegEvent::Connected) => {
                    let laws = endpoint.laws(leg);
                    tracing::info!(%leg, ?laws, "WebRTC leg connected");
                    let _ = notices.send((leg, LegNotice::Connected(laws)));
                }
                Output::Event(leg, LegEvent::Quality(q)) => {
                    let _ = notices.send((leg, LegNotice::Quality(q)));
                }
                Output::Event(leg, LegEvent::Closed(reason)) => {
                    if reason == CloseReason::Panicked {
                        tracing::error!(%leg, "a WebRTC leg panicked in str0m; it was closed");
                    } else {
                        tracing::info!(%leg, ?reason, "WebRTC leg closed");
                    }
                    sinks.remove(&leg);
                    let _ = notices.send((leg, LegNotice::Closed(reason)));
                }
            }
        }
    }
}
