//! The SIP stack of this node: rsipstack's transports (UDP and TCP on one port, TLS when a
//! certificate is set), its endpoint (transactions) and dialog layer, behind the gate. What
//! arrives is handed out as two streams: new requests outside any dialog, and dialogs' state
//! changes. The call controller reads both; nothing here knows what a call is.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog::{DialogStateReceiver, DialogStateSender};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::Uri;
use rsipstack::transaction::TransactionReceiver;
use rsipstack::transaction::endpoint::EndpointInnerRef;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{
    TcpListenerConnection, TlsConfig, TlsListenerConnection, TransportLayer,
};

use super::gate::Gate;
use crate::auth::rate_limit::WindowCounter;
use crate::settings::SipSettings;

/// The bound, serving SIP stack.
pub struct Stack {
    /// Where SIP over UDP (and TCP, on the same port) is served.
    pub addr: SocketAddr,
    /// Where SIP over TLS is served, when a certificate is configured.
    pub tls_addr: Option<SocketAddr>,
    /// The address written in SDP and Contact.
    pub media_ip: IpAddr,
    /// Our Contact URI.
    pub contact: Uri,
    pub endpoint: EndpointInnerRef,
    pub dialogs: Arc<DialogLayer>,
    /// Where dialogs report their state changes (given to every dialog we create).
    pub state_tx: DialogStateSender,
    /// Dialogs' state changes: in-dialog requests, terminations.
    pub states: DialogStateReceiver,
    /// New requests outside any dialog.
    pub incoming: TransactionReceiver,
    /// Stops the transports and the endpoint.
    pub cancel: CancellationToken,
}

/// Bind the transports and start serving.
pub async fn bind(settings: &SipSettings) -> anyhow::Result<Stack> {
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
                    std::fs::read(cert).with_context(|| format!("reading {}", cert.display()))?,
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
    let endpoint = EndpointBuilder::new()
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
    let (state_tx, states) = dialogs.new_dialog_state_channel();
    let media_ip = settings.public_ip.unwrap_or(advertised.ip());
    let contact = Uri::try_from(
        format!("sip:switchboard@{}", SocketAddr::new(media_ip, bound_port)).as_str(),
    )
    .map_err(|e| anyhow::anyhow!("contact URI: {e}"))?;
    let inner = endpoint.inner.clone();
    tokio::spawn({
        let cancel = cancel.clone();
        async move {
            tokio::select! {
                () = endpoint.serve() => {}
                () = cancel.cancelled() => {}
            }
        }
    });
    let addr = SocketAddr::new(advertised.ip(), bound_port);
    tracing::info!(%addr, tls = ?tls_addr, "SIP listening (UDP and TCP)");
    Ok(Stack {
        addr,
        tls_addr,
        media_ip,
        contact,
        endpoint: inner,
        dialogs,
        state_tx,
        states,
        incoming,
        cancel,
    })
}
