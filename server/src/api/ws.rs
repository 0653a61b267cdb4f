//! `GET /api/v1/ws`: the signed-in user's WebSocket: live events and WebRTC signalling for
//! their desk (see `switchboard_proto` for the messages).
//!
//! The first message must be `auth` with an access token, within 10 s. A message of the wrong
//! shape, or a request the desk refuses, is answered with an `error` message and changes
//! nothing; the socket stays open.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use switchboard_media::bridge::MonitorMode;
use uuid::Uuid;

use super::{ApiError, AppState};
use crate::calls::{Agents, DeskError, TransferStep};
use crate::domain::Role;
use crate::media::rtp::BridgeCmd;
use crate::routing::Routing;
use crate::store::{TenantId, queue};
use switchboard_acd::{AgentState, NotReadyReason};
use switchboard_proto::{ClientMessage, ErrorCode, Monitoring, ServerMessage, WantedState};

const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// SDP offers are a few KiB; nothing legitimate comes near this.
const MAX_MESSAGE: usize = 64 * 1024;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/api/v1/ws", get(open_socket))
}

async fn open_socket(
    State(state): State<AppState>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let desks = state.agents.clone();
    Ok(upgrade
        .max_message_size(MAX_MESSAGE)
        // Desk messages are small; tungstenite's 128 KiB default buffers would cost a
        // quarter of a MiB per signed-in user.
        .read_buffer_size(8 * 1024)
        .write_buffer_size(8 * 1024)
        .on_upgrade(move |socket| serve(state, desks, socket)))
}

/// Who is on the socket.
struct User {
    id: Uuid,
    tenant: TenantId,
    role: Role,
}

fn error(code: ErrorCode, message: impl Into<String>) -> ServerMessage {
    ServerMessage::Error {
        code,
        message: message.into(),
    }
}

async fn send(socket: &mut WebSocket, msg: &ServerMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => true,
    }
}

/// Wait for the `auth` message and check its token.
async fn authenticate(state: &AppState, socket: &mut WebSocket) -> Option<User> {
    let first = tokio::time::timeout(AUTH_TIMEOUT, socket.recv()).await;
    let Ok(Some(Ok(Message::Text(text)))) = first else {
        tracing::info!("WebSocket closed: no auth message in time");
        return None;
    };
    let Ok(ClientMessage::Auth { token }) = serde_json::from_str::<ClientMessage>(&text) else {
        send(
            socket,
            &error(ErrorCode::AuthRequired, "the first message must be auth"),
        )
        .await;
        return None;
    };
    let claims = match state.jwt.verify(&token) {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(reason = %e, "WebSocket token rejected");
            send(
                socket,
                &error(ErrorCode::Unauthorized, "invalid or expired token"),
            )
            .await;
            return None;
        }
    };
    let Some(tenant) = claims.tid.map(TenantId) else {
        send(
            socket,
            &error(ErrorCode::Forbidden, "desks belong to tenant users"),
        )
        .await;
        return None;
    };
    Some(User {
        id: claims.sub,
        tenant,
        role: claims.role,
    })
}

async fn serve(state: AppState, desks: Agents, mut socket: WebSocket) {
    let Some(user) = authenticate(&state, &mut socket).await else {
        let _ = socket.send(Message::Close(None)).await;
        return;
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let conn = desks.connect(user.id, user.tenant, tx);
    tracing::info!(user_id = %user.id, tenant_id = %user.tenant, "desk connected");
    let ready = ServerMessage::Ready {
        user_id: user.id,
        tenant_id: user.tenant.0,
    };
    // Queues whose live state this supervisor watches, sent every second.
    let mut watched: Vec<Uuid> = Vec::new();
    let mut every_second = tokio::time::interval(std::time::Duration::from_secs(1));
    every_second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    if send(&mut socket, &ready).await {
        loop {
            tokio::select! {
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let reply = match serde_json::from_str::<ClientMessage>(&text) {
                            Ok(ClientMessage::Watch { queue_ids }) => {
                                watch(&state, &user, queue_ids, &mut watched).await
                            }
                            Ok(ClientMessage::TransferToQueue { call_id, queue_id }) => {
                                transfer_to_queue(&state, &desks, &user, call_id, queue_id).await
                            }
                            Ok(ClientMessage::Dial { to }) => dial(&state, &desks, &user, &to).await,
                            Ok(ClientMessage::TransferToNumber { call_id, to }) => {
                                transfer_to_number(&state, &desks, &user, call_id, &to).await
                            }
                            Ok(ClientMessage::State { state: wanted, reason }) => {
                                own_state(&state, &user, wanted, reason).await
                            }
                            Ok(ClientMessage::ForceState { user_id, state: wanted, reason }) => {
                                force_state(&state, &user, user_id, wanted, reason).await
                            }
                            Ok(msg) => handle(&desks, &state.routers, &user, msg).await,
                            Err(e) => {
                                tracing::info!(user_id = %user.id, error = %e, "malformed WebSocket message");
                                Some(error(ErrorCode::BadMessage, e.to_string()))
                            }
                        };
                        if let Some(reply) = reply
                            && !send(&mut socket, &reply).await
                        {
                            break;
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        if !send(&mut socket, &error(ErrorCode::BadMessage, "messages are JSON text")).await {
                            break;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                },
                _ = every_second.tick(), if !watched.is_empty() => {
                    let routing = &state.routers;
                    let mut open = true;
                    for queue_id in &watched {
                        if let Some(live) = routing.live(user.tenant, *queue_id).await {
                            open &= send(&mut socket, &ServerMessage::QueueLive { queue_id: *queue_id, live }).await;
                        }
                    }
                    if !open {
                        break;
                    }
                }
                outgoing = rx.recv() => match outgoing {
                    Some(msg) => {
                        let replaced = matches!(msg, ServerMessage::Replaced);
                        if !send(&mut socket, &msg).await || replaced {
                            break;
                        }
                    }
                    None => break,
                },
            }
        }
    }
    desks.disconnect(user.id, conn);
    let _ = socket.send(Message::Close(None)).await;
    tracing::info!(user_id = %user.id, "desk disconnected");
    // A reload or a network change reconnects within the grace period; otherwise the agent is
    // not ready any more, so no call is offered to a desk that is gone.
    {
        let routing = state.routers.clone();
        let grace = std::time::Duration::from_secs(state.settings.media.desk_grace_secs);
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            if !desks.is_connected(user.id) {
                routing.disconnected(user.tenant, user.id);
            }
        });
    }
}

/// A supervisor watches queues of their tenant (at most 50); an empty list stops.
async fn watch(
    state: &AppState,
    user: &User,
    queue_ids: Vec<Uuid>,
    watched: &mut Vec<Uuid>,
) -> Option<ServerMessage> {
    if !user.role.at_least(Role::Supervisor) {
        return Some(error(
            ErrorCode::Forbidden,
            "only supervisors and admins watch queues",
        ));
    }
    if queue_ids.len() > 50 {
        return Some(error(ErrorCode::BadMessage, "watch at most 50 queues"));
    }
    let known = async {
        let mut tx = state.store.tenant_tx(user.tenant).await?;
        let queues = queue::list(&mut tx, user.tenant, None).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(queues.into_iter().map(|q| q.id).collect::<Vec<_>>())
    }
    .await;
    let Ok(known) = known else {
        return Some(error(
            ErrorCode::Unavailable,
            "the queues cannot be read now",
        ));
    };
    if let Some(other) = queue_ids.iter().find(|q| !known.contains(q)) {
        tracing::info!(user_id = %user.id, queue_id = %other, "watch of an unknown queue refused");
        return Some(error(ErrorCode::NoSuchQueue, format!("no queue {other}")));
    }
    *watched = queue_ids;
    None
}

/// The agent dials out. While on it they are not ready (`outbound`), so no queue call is
/// offered to them; the wrap-up makes them available again.
async fn dial(state: &AppState, desks: &Agents, user: &User, to: &str) -> Option<ServerMessage> {
    let routing = &state.routers;
    let Some(control) = state.calls.as_ref() else {
        return Some(error(
            ErrorCode::Unavailable,
            "calls are not placed from this node",
        ));
    };
    let number = match number_to_dial(state, user, to).await {
        Ok(n) => n,
        Err(e) => return Some(e),
    };
    let id = crate::store::new_id();
    let (events, events_rx) = tokio::sync::mpsc::unbounded_channel();
    if let Err(e) = desks.dialing(id, user.tenant, user.id, number.as_str(), events.clone()) {
        return Some(e.into());
    }
    match control
        .dial(desk_dial(user, number, id, events, events_rx))
        .await
    {
        Ok(_) => {
            tracing::info!(user_id = %user.id, call_id = %id, "an agent dials out");
            routing.set_state(
                user.tenant,
                user.id,
                AgentState::NotReady(NotReadyReason::Break("outbound".into())),
            );
            None
        }
        Err(e) => {
            // Nothing was dialled; the agent's state is as it was.
            desks.ended(id);
            Some(error(ErrorCode::DialFailed, e.to_string()))
        }
    }
}

/// A call the agent's desk places through the tenant's trunk (with its caller ID), as record
/// `id`, reporting to `events`; the agent is named on the record.
fn desk_dial(
    user: &User,
    to: crate::domain::PhoneNumber,
    id: Uuid,
    events: tokio::sync::mpsc::UnboundedSender<switchboard_sip::call::Event>,
    events_rx: tokio::sync::mpsc::UnboundedReceiver<switchboard_sip::call::Event>,
) -> crate::calls::DialRequest {
    crate::calls::DialRequest {
        tenant: user.tenant,
        to,
        from: None,
        destination: crate::telephony::numbers::Destination::Agent(user.id),
        trunk: None,
        id: Some(id),
        agent: Some(user.id),
        events: Some((events, events_rx)),
    }
}

/// `to` read in the tenant's dial plan.
async fn number_to_dial(
    state: &AppState,
    user: &User,
    to: &str,
) -> Result<crate::domain::PhoneNumber, ServerMessage> {
    let country = async {
        let mut tx = state.store.tenant_tx(user.tenant).await.ok()?;
        let t = crate::store::tenant::get(&mut tx, user.tenant)
            .await
            .ok()??;
        tx.commit().await.ok()?;
        Some(t.country)
    }
    .await
    .unwrap_or_default();
    let plan = crate::domain::DialPlan::for_country_or_default(&country);
    crate::domain::PhoneNumber::parse(to, plan).map_err(|_| {
        error(
            ErrorCode::BadNumber,
            format!("{to:?} is not a phone number"),
        )
    })
}

/// Blind transfer of the agent's call to an outside number: a second call rings it, and is
/// joined to the caller's when it answers.
async fn transfer_to_number(
    state: &AppState,
    desks: &Agents,
    user: &User,
    call: Uuid,
    to: &str,
) -> Option<ServerMessage> {
    let Some(control) = state.calls.as_ref() else {
        return Some(error(
            ErrorCode::Unavailable,
            "calls are not placed from this node",
        ));
    };
    let number = match number_to_dial(state, user, to).await {
        Ok(n) => n,
        Err(e) => return Some(e),
    };
    let leg = crate::store::new_id();
    let (events, events_rx) = tokio::sync::mpsc::unbounded_channel();
    if let Err(e) = desks.transfer_out(user.id, call, leg, number.as_str(), events.clone()) {
        return Some(e.into());
    }
    match control
        .dial(desk_dial(user, number, leg, events, events_rx))
        .await
    {
        Ok(_) => {
            tracing::info!(user_id = %user.id, call_id = %call, %leg, "a call is transferred to a number");
            None
        }
        Err(e) => {
            // Nothing was dialled: the caller is the agent's again.
            desks.ended(leg);
            Some(error(ErrorCode::TransferFailed, e.to_string()))
        }
    }
}

/// Blind transfer of the agent's call to a queue of their tenant.
async fn transfer_to_queue(
    state: &AppState,
    desks: &Agents,
    user: &User,
    call: Uuid,
    queue_id: Uuid,
) -> Option<ServerMessage> {
    let routing = &state.routers;
    let known = async {
        let mut tx = state.store.tenant_tx(user.tenant).await?;
        let found = !queue::list(&mut tx, user.tenant, Some(queue_id))
            .await?
            .is_empty();
        tx.commit().await?;
        Ok::<_, sqlx::Error>(found)
    }
    .await;
    match known {
        Ok(true) => {}
        Ok(false) => {
            return Some(error(
                ErrorCode::NoSuchQueue,
                format!("no queue {queue_id}"),
            ));
        }
        Err(_) => {
            return Some(error(
                ErrorCode::Unavailable,
                "the queues cannot be read now",
            ));
        }
    }
    match desks.release(user.id, call) {
        Ok(()) => {
            tracing::info!(user_id = %user.id, call_id = %call, %queue_id, "call transferred to a queue");
            routing.transfer(user.tenant, call, user.id, queue_id);
            None
        }
        Err(e) => Some(e.into()),
    }
}

/// The agent chooses their state; a break names one of the tenant's break reasons.
async fn own_state(
    state: &AppState,
    user: &User,
    wanted: WantedState,
    reason: Option<String>,
) -> Option<ServerMessage> {
    if wanted == WantedState::Break {
        let reasons = async {
            let mut tx = state.store.tenant_tx(user.tenant).await?;
            let list = crate::store::desk::break_reasons(&mut tx, user.tenant).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(list)
        }
        .await;
        let Ok(reasons) = reasons else {
            return Some(error(
                ErrorCode::Unavailable,
                "the break reasons cannot be read now",
            ));
        };
        if !reasons.iter().any(|r| Some(&r.code) == reason.as_ref()) {
            let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
            return Some(error(
                ErrorCode::BadState,
                format!("a break's reason is one of {}", codes.join(", ")),
            ));
        }
    }
    match set_state(&state.routers, user, wanted, reason) {
        Ok(reply) => reply,
        Err(e) => Some(e.into()),
    }
}

/// A supervisor sets an agent of their tenant available, on a break or offline.
async fn force_state(
    state: &AppState,
    user: &User,
    agent: Uuid,
    wanted: WantedState,
    reason: Option<String>,
) -> Option<ServerMessage> {
    if !user.role.at_least(Role::Supervisor) {
        return Some(error(
            ErrorCode::Forbidden,
            "only supervisors and admins set others' states",
        ));
    }
    let known = async {
        let mut tx = state.store.tenant_tx(user.tenant).await.ok()?;
        let found = crate::store::user::get(&mut tx, user.tenant, agent)
            .await
            .ok()?
            .is_some();
        tx.commit().await.ok()?;
        Some(found)
    }
    .await;
    if known != Some(true) {
        return Some(error(ErrorCode::NoSuchUser, format!("no user {agent}")));
    }
    let target = User {
        id: agent,
        tenant: user.tenant,
        role: Role::Agent,
    };
    tracing::info!(user_id = %user.id, agent = %agent, ?wanted, "a supervisor sets an agent's state");
    match set_state(&state.routers, &target, wanted, reason) {
        Ok(reply) => reply,
        Err(e) => Some(e.into()),
    }
}

/// The agent's availability, for their tenant's router.
fn set_state(
    routing: &Routing,
    user: &User,
    state: WantedState,
    reason: Option<String>,
) -> Result<Option<ServerMessage>, DeskError> {
    let state = match (state, reason) {
        (WantedState::Available, _) => AgentState::Available,
        (WantedState::Offline, _) => AgentState::Offline,
        (WantedState::Break, Some(r)) if !r.trim().is_empty() && r.len() <= 50 => {
            AgentState::NotReady(NotReadyReason::Break(r.trim().to_owned()))
        }
        _ => {
            return Err(DeskError {
                code: ErrorCode::BadState,
                message: "state is available, offline, or break with a reason (1-50 characters)"
                    .into(),
            });
        }
    };
    routing.set_state(user.tenant, user.id, state);
    Ok(None)
}

async fn handle(
    desks: &Agents,
    routing: &Routing,
    user: &User,
    msg: ClientMessage,
) -> Option<ServerMessage> {
    let result: Result<Option<ServerMessage>, DeskError> = match msg {
        ClientMessage::Auth { .. } => Err(DeskError {
            code: ErrorCode::BadMessage,
            message: "already signed in".into(),
        }),
        ClientMessage::Ping => Ok(Some(ServerMessage::Pong)),
        // Handled by the socket's loop (they need the store).
        ClientMessage::Watch { .. }
        | ClientMessage::TransferToQueue { .. }
        | ClientMessage::ForceState { .. }
        | ClientMessage::TransferToNumber { .. }
        | ClientMessage::State { .. }
        | ClientMessage::Dial { .. } => Ok(None),
        ClientMessage::ExtendWrapUp { secs } if (1..=600).contains(&secs) => {
            routing.extend_wrap_up(user.tenant, user.id, Duration::from_secs(u64::from(secs)));
            Ok(None)
        }
        ClientMessage::ExtendWrapUp { .. } => Err(DeskError {
            code: ErrorCode::BadMessage,
            message: "secs is 1-600".into(),
        }),
        ClientMessage::Offer { sdp, restart } => desks
            .offer(user.id, sdp, restart)
            .await
            .map(|sdp| Some(ServerMessage::Answer { sdp })),
        ClientMessage::Accept { call_id } => desks.accept(user.id, call_id).map(|()| None),
        ClientMessage::Refuse { call_id } | ClientMessage::Hangup { call_id } => {
            desks.hang_up(user.id, call_id).map(|()| None)
        }
        ClientMessage::Hold { call_id, on } => desks
            .control(user.id, call_id, BridgeCmd::Hold(on))
            .map(|()| None),
        ClientMessage::Mute { call_id, on } => desks
            .control(user.id, call_id, BridgeCmd::Mute(on))
            .map(|()| None),
        ClientMessage::Dtmf { call_id, digits } => {
            let valid = !digits.is_empty()
                && digits.len() <= 32
                && digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || "*#ABCD".contains(c));
            if valid {
                desks
                    .control(user.id, call_id, BridgeCmd::Keys(digits))
                    .map(|()| None)
            } else {
                Err(DeskError {
                    code: ErrorCode::BadDigits,
                    message: "digits are 1-32 of 0-9, *, #, A-D".into(),
                })
            }
        }
        ClientMessage::Record { call_id, paused } => desks
            .control(user.id, call_id, BridgeCmd::PauseRecording(paused))
            .map(|()| None),
        ClientMessage::Consult { call_id, agent_id } => desks
            .consult(user.id, call_id, agent_id, false)
            .map(|()| None),
        ClientMessage::TransferToAgent { call_id, agent_id } => desks
            .consult(user.id, call_id, agent_id, true)
            .map(|()| None),
        ClientMessage::Conference { call_id } => desks
            .transfer_step(user.id, call_id, TransferStep::Conference)
            .map(|()| None),
        ClientMessage::Transfer { call_id } => desks
            .transfer_step(user.id, call_id, TransferStep::Transfer)
            .map(|()| None),
        ClientMessage::CancelConsult { call_id } => desks
            .transfer_step(user.id, call_id, TransferStep::Cancel)
            .map(|()| None),
        ClientMessage::Monitor { call_id, mode } => {
            let mode = match mode {
                Monitoring::Off => None,
                Monitoring::Listen => Some(MonitorMode::Listen),
                Monitoring::Whisper => Some(MonitorMode::Whisper),
                Monitoring::Barge => Some(MonitorMode::Barge),
            };
            desks
                .monitor(user.id, user.role, user.tenant, call_id, mode)
                .map(|()| None)
        }
    };
    match result {
        Ok(reply) => reply,
        Err(e) => {
            tracing::info!(user_id = %user.id, code = ?e.code, message = %e.message, "desk request refused");
            Some(e.into())
        }
    }
}
