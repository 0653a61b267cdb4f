//! What the SIP stack reports about calls' dialogs: in-dialog requests (re-INVITEs for hold
//! and session refreshes, UPDATE, INFO, OPTIONS) are answered, and terminations reach the
//! call's driver.

use std::sync::Arc;

use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::sip::{Header, Method, StatusCode};
use switchboard_sip::call::Event as CallEvent;
use switchboard_sip::sdp::{self, AudioPolicy, Direction, SessionDescription};

use super::Edge;

/// Our unchanged session, as the offer of a re-INVITE that refreshes it (RFC 4028 10).
pub(super) fn refresh_offer(edge: &Edge, key: &str) -> Option<String> {
    let mut calls = edge.calls.lock().ok()?;
    let call = calls.get_mut(key)?;
    call.local.session_version += 1;
    Some(sdp::write(&call.local, None))
}

/// Answer a re-INVITE (RFC 3261 14.2): hold, unhold or a session refresh. The media keeps its
/// port and codec; the direction follows the new offer.
fn answer_reinvite(edge: &Edge, key: &str, body: &[u8]) -> Result<String, StatusCode> {
    let mut calls = edge
        .calls
        .lock()
        .map_err(|_| StatusCode::ServerInternalError)?;
    let call = calls
        .get_mut(key)
        .ok_or(StatusCode::CallTransactionDoesNotExist)?;
    call.local.session_version += 1;
    if body.is_empty() {
        // An offerless re-INVITE: our 200 carries the offer (RFC 3264 section 8).
        call.local.direction = Direction::SendRecv;
        call.sendrecv.send_replace(true);
        return Ok(sdp::write(&call.local, None));
    }
    let offer = std::str::from_utf8(body)
        .ok()
        .and_then(|b| SessionDescription::parse(b).ok())
        .ok_or(StatusCode::NotAcceptableHere)?;
    let policy = AudioPolicy {
        codecs: vec![call.codec],
    };
    let session = sdp::negotiate(&offer, &policy).map_err(|_| StatusCode::NotAcceptableHere)?;
    call.local.direction = session.direction;
    call.sendrecv
        .send_replace(session.direction == Direction::SendRecv);
    Ok(sdp::write(&call.local, Some((&offer, session.media_index))))
}

pub(super) async fn state_loop(edge: Arc<Edge>, mut rx: DialogStateReceiver) {
    while let Some(state) = rx.recv().await {
        if let DialogState::Updated(id, req, handle) = &state {
            // A re-INVITE gets our SDP; an UPDATE (a session refresh) a plain 200. Either
            // refreshes the session (RFC 4028 10).
            let result = if req.method == Method::Invite {
                answer_reinvite(&edge, &id.to_string(), &req.body).map(Some)
            } else {
                Ok(None)
            };
            let mut headers = crate::telephony::timers::refresh_answer_headers(req);
            if result.is_ok()
                && let Ok(calls) = edge.calls.lock()
                && let Some(call) = calls.get(&id.to_string())
            {
                let _ = call.events.send(CallEvent::SessionRefreshed);
            }
            tokio::spawn({
                let handle = handle.clone();
                async move {
                    let sent = match result {
                        Ok(Some(answer)) => {
                            headers.push(Header::ContentType("application/sdp".into()));
                            handle
                                .respond(StatusCode::OK, Some(headers), Some(answer.into_bytes()))
                                .await
                        }
                        Ok(None) => handle.respond(StatusCode::OK, Some(headers), None).await,
                        Err(code) => handle.reply(code).await,
                    };
                    if sent.is_err() {
                        tracing::debug!("answering an in-dialog request failed");
                    }
                }
            });
            continue;
        }
        if let DialogState::Info(_, _, handle) | DialogState::Options(_, _, handle) = &state {
            let handle = handle.clone();
            tokio::spawn(async move {
                let _ = handle.reply(StatusCode::OK).await;
            });
            continue;
        }
        if let DialogState::Terminated(id, reason) = state {
            edge.dialogs.remove_dialog(&id);
            let event = match reason {
                TerminatedReason::UacCancel => CallEvent::Cancelled,
                TerminatedReason::UacBye | TerminatedReason::UasBye => CallEvent::RemoteBye,
                TerminatedReason::Timeout => CallEvent::Failed(408),
                _ => CallEvent::Failed(500),
            };
            if let Ok(calls) = edge.calls.lock()
                && let Some(call) = calls.get(&id.to_string())
            {
                let _ = call.events.send(event);
            }
        }
    }
}
