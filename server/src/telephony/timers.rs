//! RFC 4028 session timers on the wire: the headers read from INVITEs and answers, the
//! headers we send, and the refresh request. What they mean is decided in
//! `switchboard_sip::session_timer`; the call machine runs the timer.

use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, StatusCode};
use switchboard_sip::session_timer::{
    self, SessionExpires, SessionTimer, TimerPolicy, UasDecision,
};

use crate::settings::SipSettings;

/// This node's policy, unless session timers are off.
pub fn policy(settings: &SipSettings) -> Option<TimerPolicy> {
    let secs = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    (settings.session_expires_secs > 0).then(|| TimerPolicy {
        interval: secs(settings.session_expires_secs),
        min: secs(settings.min_session_expires_secs),
    })
}

/// How a call's session is refreshed when it is ours to refresh.
#[derive(Debug, Clone)]
pub struct Refresh {
    /// The far end allows UPDATE (RFC 3311): refresh without an offer. Otherwise re-INVITE.
    by_update: bool,
    /// The `Session-Expires` value our refreshes carry.
    session_expires: String,
}

/// An inbound call's timer: what the call machine runs, the headers of our 200 OK, and how we
/// refresh.
#[derive(Debug)]
pub struct Inbound {
    pub timer: SessionTimer,
    pub answer_headers: Vec<Header>,
    pub refresh: Refresh,
}

fn allows_update(msg: &impl HeadersExt) -> bool {
    msg.header_value("Allow").is_some_and(|a| {
        a.split(',')
            .any(|m| m.trim().eq_ignore_ascii_case("UPDATE"))
    })
}

fn supports_timer(msg: &impl HeadersExt) -> bool {
    msg.header_value("Supported")
        .is_some_and(|v| session_timer::lists_timer(&v))
}

/// RFC 4028 9 for an INVITE: `Ok(None)` with timers off, `Err(min_se)` when the asked interval
/// is too short (answer 422 with that `Min-SE`).
pub fn inbound(
    settings: &SipSettings,
    req: &rsipstack::sip::Request,
) -> Result<Option<Inbound>, u32> {
    let Some(policy) = policy(settings) else {
        return Ok(None);
    };
    let se = req
        .header_value("Session-Expires")
        .and_then(|v| SessionExpires::parse(&v));
    let min_se = req
        .header_value("Min-SE")
        .and_then(|v| session_timer::parse_min_se(&v));
    match session_timer::negotiate_uas(policy, se, min_se, supports_timer(req)) {
        UasDecision::TooSmall { min_se } => Err(min_se),
        UasDecision::Run {
            timer,
            response,
            require,
        } => {
            let mut answer_headers = vec![Header::Other(
                "Session-Expires".into(),
                response.header_value(),
            )];
            if require {
                answer_headers.push(Header::Other("Require".into(), "timer".into()));
            }
            Ok(Some(Inbound {
                timer,
                answer_headers,
                refresh: Refresh {
                    by_update: allows_update(req),
                    // In our refresh we are the UAC, and we go on refreshing.
                    session_expires: format!("{};refresher=uac", response.secs),
                },
            }))
        }
    }
}

/// The headers of our outbound INVITE: we support timers and ask for our interval.
pub fn outbound_headers(settings: &SipSettings) -> Vec<Header> {
    policy(settings).map_or_else(Vec::new, |p| {
        vec![
            Header::Other("Supported".into(), "timer".into()),
            Header::Other("Session-Expires".into(), p.interval.to_string()),
            Header::Other("Min-SE".into(), p.min.to_string()),
        ]
    })
}

/// RFC 4028 7.2 for our INVITE's 2xx: the timer and how we refresh, with timers on.
pub fn outbound(
    settings: &SipSettings,
    resp: &rsipstack::sip::Response,
) -> Option<(SessionTimer, Refresh)> {
    let policy = policy(settings)?;
    let se = resp
        .header_value("Session-Expires")
        .and_then(|v| SessionExpires::parse(&v));
    let timer = session_timer::negotiate_uac(policy, se);
    let secs = timer.interval.as_secs();
    Some((
        timer,
        Refresh {
            by_update: allows_update(resp),
            session_expires: format!("{secs};refresher=uac"),
        },
    ))
}

/// The headers of our 2xx to the far end's re-INVITE or UPDATE: a refresh carrying
/// `Session-Expires` gets it back (RFC 4028 9), with `Require: timer` if it supports timers.
pub fn refresh_answer_headers(req: &rsipstack::sip::Request) -> Vec<Header> {
    let Some(se) = req
        .header_value("Session-Expires")
        .and_then(|v| SessionExpires::parse(&v))
    else {
        return Vec::new();
    };
    let echoed = SessionExpires {
        refresher: Some(se.refresher.unwrap_or(session_timer::Refresher::Uac)),
        ..se
    };
    let mut headers = vec![Header::Other(
        "Session-Expires".into(),
        echoed.header_value(),
    )];
    if supports_timer(req) {
        headers.push(Header::Other("Require".into(), "timer".into()));
    }
    headers
}

/// Send our refresh (RFC 4028 10): an UPDATE without a body, or a re-INVITE with `sdp` (our
/// unchanged session). Whether the far end answered 2xx.
pub async fn refresh(dialog: &InviteDialog, how: &Refresh, sdp: Option<String>) -> bool {
    let mut headers = vec![
        Header::Other("Supported".into(), "timer".into()),
        Header::Other("Session-Expires".into(), how.session_expires.clone()),
    ];
    let answer = if how.by_update {
        dialog.update(Some(headers), None).await
    } else {
        headers.push(Header::ContentType("application/sdp".into()));
        dialog
            .reinvite(Some(headers), sdp.map(String::into_bytes))
            .await
    };
    match answer {
        Ok(Some(r)) if r.status_code.kind() == rsipstack::sip::StatusCodeKind::Successful => true,
        // RFC 3261 14.1: 491 means the far end's own re-INVITE crossed ours; that one refreshes
        // the session (RFC 4028 10), so the session lives on.
        Ok(Some(r)) if r.status_code == StatusCode::RequestPending => true,
        Ok(Some(r)) => {
            tracing::info!(status = %r.status_code, "the far end refused our session refresh");
            false
        }
        Ok(None) | Err(_) => false,
    }
}
