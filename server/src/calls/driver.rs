//! Runs one call: the sans-IO [`Call`] machine of `switchboard-sip` decides (ring, answer,
//! hang up, cancel, how the call ended); this task feeds it the stack's reports and the time,
//! and carries out its actions on the dialog, the media and the call record.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use rsipstack::dialog::invitation::InviteAsyncResult;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, StatusCode};
use serde_json::json;
use switchboard_sip::call::{Action, Call, Event};
use switchboard_sip::sdp::{self, AudioPolicy, AudioSession, SessionDescription};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::Edge;
use super::journey::{
    Journey, Notice, enqueue, farewell, give_up, matched_contact, notice_arrived, run_ivr,
    start_flow,
};
use super::record::close_record;
use super::services::{custom_prompt, service_for};
use crate::media::quality::mos;
use crate::media::rtp::{
    BridgeIo, MediaHandle, MediaOutcome, MediaWatch, RtpSockets, far_end_gone,
};
use crate::routing::{OfferDetails, Reporter, Ring};
use crate::store::TenantId;
use crate::store::call::{self, CallEnd};
use crate::telephony::numbers::Destination;
use crate::telephony::timers::{self, Refresh};
use switchboard_ivr::Interpreter;
use switchboard_media::bridge::{Bridge, Pause};
use switchboard_media::g711::Law;

/// Everything the driver needs to carry out a call's actions.
pub(super) struct Leg {
    pub(super) id: Uuid,
    pub(super) tenant: TenantId,
    pub(super) dialog: InviteDialog,
    /// Reports to this call's own driver (the agent's desk accepts and hangs up through it).
    pub(super) events: tokio::sync::mpsc::UnboundedSender<Event>,
    pub(super) from_number: String,
    pub(super) to_number: String,
    /// The key of the call in the edge's table of calls (the dialog id).
    pub(super) key: String,
    pub(super) sockets: Option<RtpSockets>,
    /// The negotiated session (inbound: from the offer; outbound: set when the answer comes).
    pub(super) session: Option<AudioSession>,
    pub(super) destination: Destination,
    pub(super) locale: String,
    /// Inbound: the body of our 200 OK.
    pub(super) answer: Option<String>,
    /// Outbound: the INVITE transaction, until its final response.
    pub(super) dialling: Option<JoinHandle<InviteAsyncResult>>,
    pub(super) media: Option<MediaHandle>,
    /// How the media judges the far end's liveness, until the media starts with it.
    pub(super) watch: Option<MediaWatch>,
    /// Inbound: headers our 200 OK carries besides the SDP (the session timer's).
    pub(super) answer_headers: Vec<Header>,
    /// How we refresh the session, when a session timer runs and it is ours to refresh.
    pub(super) refresh: Option<Refresh>,
}

impl Leg {
    /// This call, to ring on `agent`'s desk with `details`; `report` hears their answer.
    pub(super) fn ring(
        &self,
        agent: Uuid,
        details: OfferDetails,
        report: Option<Reporter>,
    ) -> Ring {
        Ring {
            call: self.id,
            tenant: self.tenant,
            agent,
            from: self.from_number.clone(),
            to: self.to_number.clone(),
            details,
            events: self.events.clone(),
            report,
            by_router: false,
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}

async fn dial_result(
    dialling: &mut Option<JoinHandle<InviteAsyncResult>>,
) -> Option<InviteAsyncResult> {
    match dialling {
        Some(handle) => {
            let result = handle.await.ok();
            *dialling = None;
            result
        }
        None => std::future::pending().await,
    }
}

/// Drive `call` until it ends.
pub(super) async fn drive(
    edge: Arc<Edge>,
    mut call: Call,
    mut leg: Leg,
    mut events: UnboundedReceiver<Event>,
) {
    let (mut journey, mut notices) = Journey::new();
    loop {
        while let Some(action) = call.poll_action() {
            match action {
                Action::Ring => {
                    if let Err(e) = leg.dialog.ringing(None, None) {
                        tracing::debug!(error = %e, "sending 180 failed");
                    }
                    if let Destination::Agent(agent) = leg.destination {
                        offer_to_agent(&edge, &mut call, &leg, agent).await;
                    }
                }
                Action::Reject(code) => {
                    let status = StatusCode::from(code);
                    if let Err(e) = leg.dialog.reject(Some(status), None) {
                        tracing::debug!(error = %e, "rejecting the INVITE failed");
                    }
                }
                Action::StartMedia => start_media(&edge, &mut leg, &mut journey).await,
                Action::Answer => {
                    let mut headers = std::mem::take(&mut leg.answer_headers);
                    headers.push(Header::ContentType("application/sdp".into()));
                    let body = leg.answer.take().map(String::into_bytes);
                    if let Err(e) = leg.dialog.accept(Some(headers), body) {
                        tracing::error!(error = %e, "answering failed");
                        call.handle(Instant::now(), Event::Failed(500));
                    } else {
                        metrics::counter!("sip_invites_total", "outcome" => "answered")
                            .increment(1);
                        tracing::info!(call_id = %leg.id, tenant_id = %leg.tenant, "call answered");
                        match leg.destination {
                            // Answered with music on hold; now the router looks for an agent.
                            Destination::Queue(queue) => {
                                enqueue(&edge, &leg, &mut journey, queue, 0, None).await;
                            }
                            Destination::Flow(flow) => {
                                start_flow(&edge, &mut call, &leg, &mut journey, flow).await;
                            }
                            Destination::Blocked => {
                                farewell(&edge, &mut call, &leg, &mut journey, "blocked");
                            }
                            _ => {}
                        }
                    }
                }
                Action::Hangup => {
                    if let Err(e) = leg.dialog.bye().await {
                        tracing::debug!(error = %e, "sending BYE failed");
                    }
                }
                Action::RefreshSession => refresh_session(&edge, &leg),
                Action::CancelInvite => {
                    if let Err(e) = leg.dialog.cancel().await {
                        tracing::debug!(error = %e, "sending CANCEL failed");
                    }
                }
                Action::End(ending) => {
                    if let Ok(mut calls) = edge.calls.lock() {
                        calls.remove(&leg.key);
                    }
                    if leg.destination.bridged() {
                        edge.agents.ended(leg.id);
                    }
                    if journey.queue.is_some() {
                        edge.routing.ended(leg.tenant, leg.id);
                    }
                    let outcome = match leg.media.take() {
                        Some(media) => media.finish().await,
                        None => MediaOutcome::default(),
                    };
                    if let Some((key, pauses)) = &outcome.recording {
                        save_recording(&edge, &leg, key, pauses).await;
                    }
                    let end = CallEnd {
                        ended_at: Utc::now(),
                        hangup_cause: if leg.destination == Destination::Blocked {
                            "blocked"
                        } else {
                            ending.cause.as_str()
                        },
                        hangup_side: ending.side.as_str(),
                        sip_code: Some(i32::from(ending.sip_code)),
                        codec: leg.session.as_ref().map(|s| s.codec.name()),
                        dtmf_digits: &outcome.digits,
                        quality: quality(&outcome),
                    };
                    close_record(&edge.store, leg.tenant, leg.id, &end).await;
                    tracing::info!(call_id = %leg.id, cause = ending.cause.as_str(), side = ending.side.as_str(),
                        digits = %outcome.digits, "call ended");
                    return;
                }
            }
        }
        if run_ivr(&edge, &mut call, &leg, &mut journey).await {
            // The IVR may have ended the call: its actions come first.
            continue;
        }
        let deadline = call.poll_timeout();
        let ivr_deadline = journey.ivr.as_ref().and_then(Interpreter::poll_timeout);
        tokio::select! {
            event = events.recv() => {
                let now = Instant::now();
                call.handle(now, event.unwrap_or(Event::Failed(500)));
            }
            Some(notice) = notices.media.recv() => {
                notice_arrived(&edge, &mut call, &leg, &mut journey, Notice::Media(notice));
            }
            Some(notice) = notices.queue.recv() => {
                notice_arrived(&edge, &mut call, &leg, &mut journey, Notice::Queue(notice));
            }
            Some(report) = notices.offers.recv() => {
                notice_arrived(&edge, &mut call, &leg, &mut journey, Notice::Offer(report));
            }
            result = dial_result(&mut leg.dialling) => answered(&edge, &mut call, &mut leg, result).await,
            () = sleep_until(deadline) => call.handle_timeout(Instant::now()),
            () = far_end_gone(&mut leg.media) => {
                tracing::warn!(call_id = %leg.id, "no media from the far end; hanging up");
                call.handle(Instant::now(), Event::MediaTimeout);
            }
            () = sleep_until(ivr_deadline) => {
                if let Some(ivr) = journey.ivr.as_mut() {
                    ivr.handle_timeout(Instant::now());
                }
            }
            () = sleep_until(journey.agent_ringing.map(|(_, d)| d)) => {
                // Nobody took the call at the desk the flow chose.
                if let Some((agent, _)) = journey.agent_ringing.take() {
                    edge.agents.withdraw(leg.id, agent);
                }
                give_up(&edge, &mut call, &leg, &mut journey);
            }
        }
    }
}

/// Outbound: the INVITE's final response arrived.
async fn answered(
    edge: &Arc<Edge>,
    call: &mut Call,
    leg: &mut Leg,
    result: Option<InviteAsyncResult>,
) {
    let now = Instant::now();
    let Some(Ok((_, Some(response)))) = result else {
        return call.handle(now, Event::Failed(500));
    };
    if response.status_code != StatusCode::OK {
        return call.handle(now, Event::Rejected(response.status_code.code()));
    }
    let session = std::str::from_utf8(&response.body)
        .ok()
        .and_then(|b| SessionDescription::parse(b).ok())
        .and_then(|a| sdp::negotiate(&a, &AudioPolicy::default()).ok());
    let Some(session) = session else {
        tracing::warn!(call_id = %leg.id, "the answer has no usable audio; hanging up");
        let _ = leg.dialog.bye().await;
        return call.handle(now, Event::Failed(488));
    };
    leg.session = Some(session);
    // The confirmed dialog has the far end's tag: register the call under that id, so its BYE
    // finds us.
    let key = leg.dialog.id().to_string();
    if let Ok(mut calls) = edge.calls.lock()
        && let Some(entry) = calls.remove(&leg.key)
    {
        calls.insert(key.clone(), entry);
    }
    leg.key = key;
    if let Some((timer, refresh)) = timers::outbound(&edge.settings, &response) {
        call.set_session_timer(now, timer);
        leg.refresh = Some(refresh);
    }
    call.handle(now, Event::Answered);
}

/// Refresh the session in the background; its outcome comes back as an event.
fn refresh_session(edge: &Edge, leg: &Leg) {
    let Some(how) = leg.refresh.clone() else {
        return;
    };
    let sdp = super::dialogs::refresh_offer(edge, &leg.key);
    let (dialog, events, id) = (leg.dialog.clone(), leg.events.clone(), leg.id);
    tokio::spawn(async move {
        let refreshed = timers::refresh(&dialog, &how, sdp).await;
        tracing::debug!(call_id = %id, refreshed, "session refresh");
        let _ = events.send(if refreshed {
            Event::SessionRefreshed
        } else {
            Event::RefreshFailed
        });
    });
}

/// Ring the agent's desk; a desk that cannot take the call refuses it at once.
async fn offer_to_agent(edge: &Arc<Edge>, call: &mut Call, leg: &Leg, agent: Uuid) {
    let details = OfferDetails {
        contact: matched_contact(edge, leg).await,
        ..OfferDetails::default()
    };
    let rung = edge.agents.ring(leg.ring(agent, details, None));
    match rung {
        Ok(()) => call::name_agent(edge.store.clone(), leg.tenant, leg.id, agent).await,
        Err(why) => {
            tracing::info!(call_id = %leg.id, %agent, %why, "the agent cannot take the call");
            call.handle(Instant::now(), Event::Refuse(why.sip_code()));
        }
    }
}

async fn save_recording(edge: &Arc<Edge>, leg: &Leg, key: &str, pauses: &[Pause]) {
    let pauses: Vec<_> = pauses
        .iter()
        .map(|p| json!({ "from_ms": p.from_ms, "to_ms": p.to_ms }))
        .collect();
    let saved = async {
        let mut db = edge.store.tenant_tx(leg.tenant).await?;
        call::set_recording(&mut db, leg.tenant, leg.id, key, &json!(pauses)).await?;
        db.commit().await
    }
    .await;
    if let Err(e) = saved {
        tracing::error!(error = %e, call_id = %leg.id, "saving the recording's key failed");
    }
}

/// The bridge of a call answered by an agent: its commands go to the media task, which
/// records the call when the node records calls.
fn bridge_for(edge: &Edge, leg: &Leg, session: &AudioSession, journey: &mut Journey) -> BridgeIo {
    let (tx, commands) = tokio::sync::mpsc::unbounded_channel();
    journey.bridge = Some(tx.clone());
    let law = match session.codec {
        sdp::Codec::Pcmu => Law::Mu,
        sdp::Codec::Pcma => Law::A,
    };
    // A blocked caller's farewell is not worth keeping.
    let recording = if edge.agents.record_calls && leg.destination != Destination::Blocked {
        match edge.agents.recordings.create(leg.tenant, leg.id) {
            Ok(sink) => Some(sink),
            Err(e) => {
                tracing::error!(error = %e, call_id = %leg.id, "cannot start the recording");
                None
            }
        }
    } else {
        None
    };
    edge.agents.bridged(leg.id, tx);
    let mut bridge = Bridge::new(law, edge.prompts.music_on_hold.clone(), recording.is_some());
    if matches!(
        leg.destination,
        Destination::Queue(_) | Destination::Flow(_) | Destination::Blocked
    ) {
        // Music (or the IVR's prompts) until an agent takes the call.
        bridge.set_hold(true);
    }
    BridgeIo {
        bridge,
        commands,
        hub: edge.agents.hub().clone(),
        recording,
        notices: Some(journey.media_tx.clone()),
    }
}

async fn start_media(edge: &Arc<Edge>, leg: &mut Leg, journey: &mut Journey) {
    let (Some(sockets), Some(session)) = (leg.sockets.take(), leg.session.as_ref()) else {
        return;
    };
    let custom = match leg.destination {
        Destination::PromptDtmf => custom_prompt(&edge.store, leg.tenant, "enter-digits").await,
        _ => None,
    };
    let bridge = leg
        .destination
        .bridged()
        .then(|| bridge_for(edge, leg, session, journey));
    let (service, remote) = service_for(edge, session, leg.destination, &leg.locale, custom);
    leg.media = Some(crate::media::rtp::spawn(
        sockets,
        remote,
        service,
        bridge,
        leg.watch.take(),
    ));
    // The answer time is written before the 200 OK leaves, so a BYE that follows at once finds
    // it and the duration is right.
    if let Ok(mut db) = edge.store.tenant_tx(leg.tenant).await {
        let _ = call::mark_answered(&mut db, leg.tenant, leg.id, Utc::now()).await;
        let _ = db.commit().await;
    }
}

fn quality(outcome: &MediaOutcome) -> serde_json::Value {
    let lost = outcome.packets_lost.max(0) as f64;
    let loss = if outcome.packets_received > 0 {
        lost / (outcome.packets_received as f64 + lost)
    } else {
        0.0
    };
    json!({
        "packets_received": outcome.packets_received,
        "packets_sent": outcome.packets_sent,
        "packets_lost": outcome.packets_lost,
        "loss": loss,
        "jitter_ms": (outcome.jitter_ms * 10.0).round() / 10.0,
        "mos": mos(loss, outcome.jitter_ms),
        "remote_loss": outcome.remote.map(|r| r.fraction_lost),
        "remote_jitter_ms": outcome.remote.map(|r| (r.jitter_ms * 10.0).round() / 10.0),
        "rtt_ms": outcome.remote.and_then(|r| r.rtt_ms).map(f64::round),
        "agent": outcome.agent_quality.map(|q| json!({
            "codec": q.codec,
            "packets_received": q.packets_received,
            "packets_sent": q.packets_sent,
            "loss": q.loss,
            "jitter_ms": (q.jitter_ms * 10.0).round() / 10.0,
            "remote_loss": q.remote_loss,
            "rtt_ms": q.rtt_ms.map(f64::round),
            "mos": mos(q.loss, q.jitter_ms),
        })),
    })
}
