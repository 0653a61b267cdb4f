//! The gate in front of the SIP stack: malformed requests, scanners and floods are dropped
//! before the transaction layer spends anything on them.

use std::sync::Mutex;

use rsipstack::sip::SipMessage;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::transaction::endpoint::TransportEventInspector;
use rsipstack::transport::TransportEvent;

use crate::auth::rate_limit::WindowCounter;

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
pub(super) struct Gate {
    pub(super) per_source: Mutex<WindowCounter>,
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
                let mut limiter = self
                    .per_source
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
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
