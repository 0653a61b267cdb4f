//! Inbound calls: a carrier's INVITE is identified (trunk by source address or digest
//! credentials, tenant by the dialled number), admitted (quota, channel limit, blacklist, SDP,
//! session interval) and handed to its driver. Every admitted call has a record from the moment
//! it is admitted.

use std::sync::Arc;

use chrono::Utc;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::TransactionReceiver;
use rsipstack::transaction::transaction::Transaction;
use serde_json::json;
use switchboard_sip::call::{Call, Event as CallEvent, Role};
use switchboard_sip::sdp::{self, AudioPolicy, Direction, LocalAudio, SessionDescription};
use tokio::sync::watch;

use super::driver::{Leg, drive};
use super::record::close_record;
use super::{ActiveCall, Edge};
use crate::store::call::{self, CallEnd, NewCall};
use crate::store::tenant;
use crate::telephony::credentials::{Auth, authenticate};
use crate::telephony::numbers::{self, Destination, RouteError};

pub(super) async fn incoming_loop(edge: Arc<Edge>, mut incoming: TransactionReceiver) {
    while let Some(mut tx) = incoming.recv().await {
        let in_dialog = tx
            .original
            .to_header()
            .ok()
            .and_then(|h| h.tag().ok().flatten())
            .is_some();
        let method = tx.original.method;
        if in_dialog {
            match edge.dialogs.match_dialog(&tx) {
                Some(mut d) => {
                    tokio::spawn(async move {
                        let _ = d.handle(&mut tx).await;
                    });
                }
                None => {
                    // RFC 3261 12.2.2: a request within an unknown dialog.
                    tokio::spawn(async move {
                        let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
                    });
                }
            }
            continue;
        }
        match method {
            Method::Invite => {
                tokio::spawn(handle_invite(edge.clone(), tx));
            }
            Method::Options => {
                tokio::spawn(async move {
                    let allow = Header::Allow("INVITE, ACK, CANCEL, BYE, OPTIONS".into());
                    let _ = tx.reply_with(StatusCode::OK, vec![allow], None).await;
                });
            }
            Method::Bye => {
                tokio::spawn(async move {
                    let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
                });
            }
            _ => {
                tokio::spawn(async move {
                    let _ = tx.reply(StatusCode::MethodNotAllowed).await;
                });
            }
        }
    }
}

fn count(outcome: &'static str) {
    metrics::counter!("sip_invites_total", "outcome" => outcome).increment(1);
}

/// Refuse an INVITE with a final response, counted by outcome.
async fn refuse(mut tx: Transaction, code: StatusCode, outcome: &'static str) {
    count(outcome);
    if let Err(e) = tx.reply(code).await {
        tracing::debug!(error = %e, "sending a final response failed");
    }
}

async fn handle_invite(edge: Arc<Edge>, tx: Transaction) {
    let req = &tx.original;
    let source = tx
        .connection
        .as_ref()
        .and_then(|c| c.get_remote_addr())
        .and_then(|a| a.get_socketaddr().ok());
    let Some(source) = source else {
        return refuse(tx, StatusCode::BadRequest, "bad_request").await;
    };
    let user = req
        .uri
        .auth
        .as_ref()
        .map(|a| a.user.clone())
        .unwrap_or_default();
    let sip_call_id = req
        .call_id_header()
        .map(|h| h.value().to_owned())
        .unwrap_or_default();
    let from_user = req
        .from_header()
        .ok()
        .and_then(|h| h.uri().ok())
        .and_then(|u| u.auth.map(|a| a.user))
        .unwrap_or_default();
    let table = edge.table();
    let routed = match table.route(source.ip(), &user) {
        Err(RouteError::UnknownSource) if table.has_credentials() => {
            match authenticate(&edge.settings.realm, &edge.nonces, &table, req) {
                Auth::Trunk(trunk) => table.route_via(trunk, &user).map(|n| (trunk, n)),
                Auth::Challenge(value) => {
                    count("challenged");
                    let header = Header::Other("Proxy-Authenticate".into(), value);
                    let mut tx = tx;
                    let _ = tx
                        .reply_with(StatusCode::ProxyAuthenticationRequired, vec![header], None)
                        .await;
                    return;
                }
                Auth::Refused => {
                    // Unknown users and wrong passwords get the same answer.
                    tracing::info!(%source, "INVITE with wrong or unknown credentials refused");
                    return refuse(tx, StatusCode::Forbidden, "bad_credentials").await;
                }
            }
        }
        other => other,
    };
    let (trunk, number) = match routed {
        Ok(r) => r,
        Err(RouteError::UnknownSource) => {
            tracing::info!(%source, "INVITE from an unknown source refused");
            return refuse(tx, StatusCode::Forbidden, "unknown_source").await;
        }
        Err(RouteError::UnknownNumber) => {
            tracing::info!(%source, dialled = %user, "INVITE to a number nobody owns");
            return refuse(tx, StatusCode::NotFound, "unknown_number").await;
        }
    };
    let tenant = number.tenant;
    // RFC 4028 6: a session interval shorter than ours is refused before anything is kept;
    // the caller retries with our Min-SE.
    let session_timer = match crate::telephony::timers::inbound(&edge.settings, req) {
        Ok(t) => t,
        Err(min_se) => {
            count("interval_too_small");
            let header = Header::Other("Min-SE".into(), min_se.to_string());
            let mut tx = tx;
            let _ = tx
                .reply_with(StatusCode::SessionIntervalTooSmall, vec![header], None)
                .await;
            return;
        }
    };
    let from_number =
        numbers::dialled_number(&from_user).map_or(from_user.clone(), |n| n.as_str().to_owned());
    let call_id = crate::store::new_id();
    let record = NewCall {
        id: call_id,
        tenant,
        direction: "inbound",
        trunk_id: Some(trunk.id),
        number_id: Some(number.id),
        from_number: &from_number,
        to_number: &number.number,
        sip_call_id: &sip_call_id,
        started_at: Utc::now(),
        node: &edge.settings.node,
    };

    // Quota and channel limit; the record is written in the same transaction as the check.
    let admitted = async {
        let mut db = edge.store.tenant_tx(tenant).await?;
        let t = tenant::get(&mut db, tenant).await?;
        let max = t.as_ref().map_or(0, |t| i64::from(t.max_concurrent_calls));
        let open = call::count_open(&mut db, tenant).await?;
        let on_trunk = edge
            .calls
            .lock()
            .map(|c| c.values().filter(|a| a.trunk == trunk.id).count())
            .unwrap_or(0);
        let full = open >= max || on_trunk >= trunk.channel_limit as usize;
        // The tenant's blacklist; the attempt is recorded all the same.
        let blocked =
            crate::store::blocked_number::matching(&mut db, tenant, &from_number, Utc::now())
                .await?
                .map(|b| b.treatment);
        call::insert(&mut db, &record).await?;
        db.commit().await?;
        Ok::<_, sqlx::Error>((full, t.map(|t| t.locale).unwrap_or_default(), blocked))
    }
    .await;
    let (full, locale, blocked) = match admitted {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "admitting a call failed");
            return refuse(tx, StatusCode::ServerInternalError, "error").await;
        }
    };
    let reject = |cause: &'static str, code: u16| CallEnd {
        ended_at: Utc::now(),
        hangup_cause: cause,
        hangup_side: "system",
        sip_code: Some(i32::from(code)),
        codec: None,
        dtmf_digits: "",
        quality: json!({}),
    };
    let mut destination = number.destination;
    if blocked.as_deref() == Some("prompt") {
        // Answered to hear `blocked`, then hung up; the record says `blocked`.
        tracing::info!(tenant_id = %tenant, from = %from_number, "a blocked number hears the blocked prompt");
        destination = Destination::Blocked;
    } else if let Some(treatment) = blocked {
        // `silent`: declined without a word (603); `busy`: 486, as if the line were busy.
        let (code, status) = if treatment == "silent" {
            (603, StatusCode::Decline)
        } else {
            (486, StatusCode::BusyHere)
        };
        close_record(&edge.store, tenant, call_id, &reject("blocked", code)).await;
        tracing::info!(tenant_id = %tenant, from = %from_number, treatment, "a blocked number was refused");
        return refuse(tx, status, "blocked").await;
    }
    if full {
        close_record(&edge.store, tenant, call_id, &reject("rejected", 503)).await;
        tracing::warn!(tenant_id = %tenant, "concurrent-call quota reached");
        return refuse(tx, StatusCode::ServiceUnavailable, "quota").await;
    }
    let Some(offer) = std::str::from_utf8(&req.body)
        .ok()
        .and_then(|b| SessionDescription::parse(b).ok())
    else {
        close_record(&edge.store, tenant, call_id, &reject("rejected", 488)).await;
        return refuse(tx, StatusCode::NotAcceptableHere, "bad_sdp").await;
    };
    let session = match sdp::negotiate(&offer, &AudioPolicy::default()) {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(error = %e, "no acceptable audio in the offer");
            close_record(&edge.store, tenant, call_id, &reject("rejected", 488)).await;
            return refuse(tx, StatusCode::NotAcceptableHere, "no_codec").await;
        }
    };
    let socket = match edge.ports.bind().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "no RTP port");
            close_record(&edge.store, tenant, call_id, &reject("failed", 503)).await;
            return refuse(tx, StatusCode::ServiceUnavailable, "no_port").await;
        }
    };
    let rtp_port = socket.port();
    let mut tx = tx;
    let dialog = match edge.dialogs.get_or_create_server_invite(
        &tx,
        edge.state_tx.clone(),
        None,
        Some(edge.contact.clone()),
    ) {
        Ok(d) => d,
        Err(e) => {
            tracing::info!(error = %e, "INVITE does not start a dialog");
            close_record(&edge.store, tenant, call_id, &reject("rejected", 481)).await;
            return refuse(tx, StatusCode::CallTransactionDoesNotExist, "no_dialog").await;
        }
    };
    let dialog_id = dialog.id().to_string();
    let mut transaction_driver = dialog.clone();
    tokio::spawn(async move {
        let _ = transaction_driver.handle(&mut tx).await;
    });

    let local = LocalAudio {
        session_id: u64::from(rand::random::<u32>()),
        session_version: 1,
        addr: edge.media_ip,
        port: rtp_port,
        codecs: vec![session.codec],
        telephone_event: session.telephone_event,
        direction: session.direction,
        ptime: session.ptime,
    };
    let answer = sdp::write(&local, Some((&offer, session.media_index)));
    let (events, events_rx) = tokio::sync::mpsc::unbounded_channel();
    let events_tx = events.clone();
    let (sendrecv, sendrecv_rx) = watch::channel(session.direction == Direction::SendRecv);
    if let Ok(mut calls) = edge.calls.lock() {
        calls.insert(
            dialog_id.clone(),
            ActiveCall {
                trunk: trunk.id,
                codec: session.codec,
                local,
                events,
                sendrecv,
            },
        );
    }
    let mut leg = Leg {
        id: call_id,
        tenant,
        dialog,
        events: events_tx,
        from_number,
        to_number: number.number.clone(),
        key: dialog_id,
        sockets: Some(socket),
        session: Some(session),
        destination,
        locale,
        answer: Some(answer),
        dialling: None,
        media: None,
        watch: edge.media_watch(sendrecv_rx),
        answer_headers: Vec::new(),
        refresh: None,
    };
    let mut machine = Call::new(Role::Inbound, edge.call_config(Some(destination)));
    if let Some(t) = session_timer {
        machine.set_session_timer(std::time::Instant::now(), t.timer);
        leg.answer_headers = t.answer_headers;
        leg.refresh = Some(t.refresh);
    }
    machine.handle(std::time::Instant::now(), CallEvent::Start);
    tokio::spawn(drive(edge.clone(), machine, leg, events_rx));
}
