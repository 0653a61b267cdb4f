//! Trunk supervision: for each trunk with an outbound proxy, an OPTIONS keep-alive marks the
//! trunk up or down (stored, so the API and other nodes see it), and, where configured,
//! registration to the carrier with digest authentication, refreshed before it expires.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::registration::Registration;
use rsipstack::sip::{Method, SipMessage, StatusCodeKind, Uri};
use rsipstack::transaction::endpoint::EndpointInnerRef;
use rsipstack::transaction::key::{TransactionKey, TransactionRole};
use rsipstack::transaction::make_tag;
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipAddr;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::store::trunk::TrunkConfig;
use crate::store::{Store, trunk};

/// The running monitors, by trunk, with the configuration they were started from.
#[derive(Default)]
pub struct Monitors {
    running: HashMap<Uuid, (String, JoinHandle<()>)>,
}

impl Drop for Monitors {
    fn drop(&mut self) {
        for (_, (_, task)) in self.running.drain() {
            task.abort();
        }
    }
}

impl Monitors {
    /// Start, restart or stop monitors so they match `trunks`.
    pub fn update(&mut self, trunks: &[TrunkConfig], store: &Store, endpoint: &EndpointInnerRef) {
        let mut wanted: HashMap<Uuid, String> = HashMap::new();
        for t in trunks {
            if t.outbound_proxy.is_some() && (t.options_interval_secs > 0 || t.register) {
                let fingerprint = format!(
                    "{:?}",
                    (
                        &t.outbound_proxy,
                        t.options_interval_secs,
                        t.register,
                        t.register_expires_secs,
                        &t.outbound_username,
                        &t.outbound_password
                    )
                );
                wanted.insert(t.id, fingerprint);
            }
        }
        self.running.retain(|id, (fingerprint, task)| {
            let keep = wanted.get(id) == Some(fingerprint);
            if !keep {
                task.abort();
            }
            keep
        });
        for t in trunks {
            let Some(fingerprint) = wanted.remove(&t.id) else {
                continue;
            };
            if self.running.contains_key(&t.id) {
                continue;
            }
            let task = tokio::spawn(supervise(t.clone(), store.clone(), endpoint.clone()));
            self.running.insert(t.id, (fingerprint, task));
        }
    }
}

async fn resolve(proxy: &str) -> Option<SocketAddr> {
    let with_port = if proxy.contains(':') {
        proxy.to_owned()
    } else {
        format!("{proxy}:5060")
    };
    tokio::net::lookup_host(with_port).await.ok()?.next()
}

/// Send one OPTIONS to `to`; the final status code (a timeout is a synthesized 408).
async fn options(endpoint: &EndpointInnerRef, to: SocketAddr) -> Option<u16> {
    let target = Uri::try_from(format!("sip:{to}").as_str()).ok()?;
    let via = endpoint.get_via(None, None).ok()?;
    let from = rsipstack::sip::typed::From {
        display_name: None,
        uri: Uri::try_from("sip:switchboard@invalid").ok()?,
        params: vec![],
    }
    .with_tag(make_tag());
    let to_header = rsipstack::sip::typed::To {
        display_name: None,
        uri: target.clone(),
        params: vec![],
    };
    let request = endpoint.make_request(Method::Options, target, via, from, to_header, 1, None);
    let key = TransactionKey::from_request(&request, TransactionRole::Client).ok()?;
    let mut tx = Transaction::new_client(key, request, endpoint.clone(), None);
    tx.destination = Some(SipAddr::from(to));
    tx.send().await.ok()?;
    while let Some(message) = tx.receive().await {
        if let SipMessage::Response(r) = message
            && r.status_code.kind() != StatusCodeKind::Provisional
        {
            return Some(r.status_code.code());
        }
    }
    None
}

async fn set_status(store: &Store, id: Uuid, status: &str) {
    let result = async {
        let mut ptx = store.platform_tx().await?;
        trunk::set_status(&mut ptx, id, status).await?;
        ptx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "recording a trunk's status failed");
    }
}

async fn supervise(t: TrunkConfig, store: Store, endpoint: EndpointInnerRef) {
    let proxy = t.outbound_proxy.clone().unwrap_or_default();
    let mut registration = match (&t.outbound_username, &t.outbound_password) {
        (Some(username), Some(password)) if t.register => Some(Registration::new(
            endpoint.clone(),
            Some(Credential {
                username: username.clone(),
                password: password.clone(),
                realm: None,
                auth_username: None,
            }),
        )),
        _ => None,
    };
    let keepalive = Duration::from_secs(u64::try_from(t.options_interval_secs).unwrap_or(0));
    let mut next_register = tokio::time::Instant::now();
    let mut next_options = tokio::time::Instant::now();
    let mut last: Option<&'static str> = None;
    loop {
        let now = tokio::time::Instant::now();
        let Some(addr) = resolve(&proxy).await else {
            tracing::warn!(trunk = %t.name, %proxy, "the trunk's proxy does not resolve");
            if last != Some("down") {
                set_status(&store, t.id, "down").await;
                last = Some("down");
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
            continue;
        };
        if let Some(reg) = registration.as_mut()
            && now >= next_register
        {
            reg.outbound_proxy = Some(addr);
            let registrar = Uri::try_from(format!("sip:{addr}").as_str());
            let expires = u32::try_from(t.register_expires_secs).unwrap_or(600);
            let granted = match registrar {
                Ok(uri) => match reg.register(uri, Some(expires)).await {
                    Ok(r) if r.status_code.kind() == StatusCodeKind::Successful => {
                        metrics::counter!("sip_registrations_total", "outcome" => "ok")
                            .increment(1);
                        Some(reg.expires())
                    }
                    Ok(r) => {
                        tracing::warn!(trunk = %t.name, code = r.status_code.code(), "registration refused");
                        None
                    }
                    Err(e) => {
                        tracing::warn!(trunk = %t.name, error = %e, "registration failed");
                        None
                    }
                },
                Err(_) => None,
            };
            // Refresh at three quarters of the granted time (RFC 3261 10.2.4 leaves it to us);
            // retry a failure after 30 s.
            next_register = now
                + match granted {
                    Some(secs) => {
                        Duration::from_millis(u64::from(secs) * 750).max(Duration::from_secs(1))
                    }
                    None => {
                        metrics::counter!("sip_registrations_total", "outcome" => "failed")
                            .increment(1);
                        Duration::from_secs(30)
                    }
                };
        }
        if !keepalive.is_zero() && now >= next_options {
            // Any answer, even 404 or 405, shows the carrier is there; 408 (our timeout) and
            // 503 say it is not.
            let status = match options(&endpoint, addr).await {
                Some(408 | 503) | None => "down",
                Some(_) => "up",
            };
            if last != Some(status) {
                tracing::info!(trunk = %t.name, status, "trunk status changed");
                set_status(&store, t.id, status).await;
                last = Some(status);
            }
            next_options = tokio::time::Instant::now() + keepalive;
        }
        let next = match (registration.is_some(), keepalive.is_zero()) {
            (true, true) => next_register,
            (false, false) => next_options,
            (true, false) => next_register.min(next_options),
            (false, true) => return,
        };
        tokio::time::sleep_until(next).await;
    }
}
