//! A bridged call's journey to an agent: the IVR flow it walks, the queue it waits in, the
//! desk a flow rings, the prompts on the way and the farewell when nobody can take it. The
//! call's driver runs it; what the media, the router and the desks report comes back as
//! [`Notice`]s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use switchboard_ivr::{Flow, Interpreter, Route};
use switchboard_proto::{ContactCard, IvrChoice, IvrInputs};
use switchboard_sip::call::{Call, Event};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use uuid::Uuid;

use super::Edge;
use super::driver::Leg;
use super::services::custom_prompt;
use crate::domain::schedule::{Hours, Schedule};
use crate::media::rtp::{BridgeCmd, MediaNotice};
use crate::routing::{Arrival, OfferDetails, QueueNotice, Report, Reporter};
use crate::store::PageRequest;
use crate::store::call;
use crate::store::contact::{self, ContactFilter};
use crate::store::document::{self, Kind};

/// What the lower layers report to a call's driver.
#[derive(Debug)]
pub(super) enum Notice {
    Media(MediaNotice),
    Queue(QueueNotice),
    Offer(Report),
}

/// The receiving ends of a journey's reports.
pub(super) struct Notices {
    pub(super) media: UnboundedReceiver<MediaNotice>,
    pub(super) queue: UnboundedReceiver<QueueNotice>,
    pub(super) offers: UnboundedReceiver<Report>,
}

/// A bridged call's way to an agent: through an IVR flow, a queue, or a desk's ringing.
pub(super) struct Journey {
    /// Where the call's media, its router and the desk a flow rang report.
    pub(super) media_tx: UnboundedSender<MediaNotice>,
    pub(super) queue_tx: UnboundedSender<QueueNotice>,
    pub(super) offers_tx: UnboundedSender<Report>,
    /// Commands to the call's bridge, once its media runs.
    pub(super) bridge: Option<UnboundedSender<BridgeCmd>>,
    pub(super) ivr: Option<Interpreter>,
    /// The queue the call waits in (set once it has been handed to the router).
    pub(super) queue: Option<Uuid>,
    /// A flow sent the call to one agent: who, and when their desk stops ringing unanswered.
    pub(super) agent_ringing: Option<(Uuid, Instant)>,
    /// The caller hears a last prompt, then the call ends.
    pub(super) hangup_after_prompt: bool,
}

impl Journey {
    pub(super) fn new() -> (Journey, Notices) {
        let (media_tx, media) = mpsc::unbounded_channel();
        let (queue_tx, queue) = mpsc::unbounded_channel();
        let (offers_tx, offers) = mpsc::unbounded_channel();
        let journey = Journey {
            media_tx,
            queue_tx,
            offers_tx,
            bridge: None,
            ivr: None,
            queue: None,
            agent_ringing: None,
            hangup_after_prompt: false,
        };
        let notices = Notices {
            media,
            queue,
            offers,
        };
        (journey, notices)
    }

    pub(super) fn command(&self, cmd: BridgeCmd) {
        if let Some(b) = &self.bridge {
            let _ = b.send(cmd);
        }
    }
}

/// The tenant's prompt of that name, else the built-in one in the tenant's language.
async fn prompt_audio(edge: &Edge, leg: &Leg, name: &str) -> Option<Arc<[i16]>> {
    match custom_prompt(&edge.store, leg.tenant, name).await {
        Some(samples) => Some(samples.into()),
        None => edge.prompts.for_locale(&leg.locale).get(name),
    }
}

/// One of the call's tenant's documents (a schedule, a flow), if it can be read.
async fn document_of(edge: &Edge, leg: &Leg, kind: Kind, id: Uuid) -> Option<document::Document> {
    let mut tx = edge.store.tenant_tx(leg.tenant).await.ok()?;
    let doc = document::get(&mut tx, leg.tenant, kind, id).await.ok()?;
    let _ = tx.commit().await;
    doc
}

/// Whether the tenant's schedule is open now; a schedule that is gone counts as open, so a
/// deleted schedule never locks callers out.
async fn schedule_open(edge: &Edge, leg: &Leg, schedule: &str) -> bool {
    let Ok(id) = Uuid::parse_str(schedule) else {
        return true;
    };
    let parsed = document_of(edge, leg, Kind::Schedule, id)
        .await
        .and_then(|d| serde_json::from_value::<Hours>(d.body).ok())
        .and_then(|h| Schedule::parse(&h).ok());
    match parsed {
        Some(s) => s.is_open(Utc::now()),
        None => {
            tracing::warn!(call_id = %leg.id, schedule, "the flow's schedule is gone; treating it as open");
            true
        }
    }
}

/// Start the call's IVR flow.
pub(super) async fn start_flow(
    edge: &Edge,
    call: &mut Call,
    leg: &Leg,
    journey: &mut Journey,
    flow: Uuid,
) {
    let doc = document_of(edge, leg, Kind::IvrFlow, flow).await;
    match doc.and_then(|d| serde_json::from_value::<Flow>(d.body).ok()) {
        Some(flow) => {
            // Silence between prompts while the caller thinks.
            journey.command(BridgeCmd::Music(false));
            journey.ivr = Some(Interpreter::start(Arc::new(flow)));
        }
        None => {
            tracing::error!(call_id = %leg.id, %flow, "the number's IVR flow is gone; hanging up");
            call.handle(Instant::now(), Event::LocalHangup);
        }
    }
}

/// Carry out what the IVR asks for, until it waits for the caller or the clock. Returns
/// whether it did anything.
pub(super) async fn run_ivr(
    edge: &Edge,
    call: &mut Call,
    leg: &Leg,
    journey: &mut Journey,
) -> bool {
    let mut acted = false;
    loop {
        let Some(action) = journey.ivr.as_mut().and_then(Interpreter::poll_action) else {
            return acted;
        };
        acted = true;
        let now = Instant::now();
        match action {
            switchboard_ivr::Action::Play(name) => match prompt_audio(edge, leg, &name).await {
                Some(audio) => journey.command(BridgeCmd::Play(audio)),
                None => {
                    tracing::warn!(call_id = %leg.id, prompt = %name, "no such prompt; skipped");
                    if let Some(ivr) = journey.ivr.as_mut() {
                        ivr.prompt_done(now);
                    }
                }
            },
            switchboard_ivr::Action::StopPrompt => journey.command(BridgeCmd::StopAnnouncement),
            switchboard_ivr::Action::CheckHours(schedule) => {
                let open = schedule_open(edge, leg, &schedule).await;
                if let Some(ivr) = journey.ivr.as_mut() {
                    ivr.hours(open);
                }
            }
            switchboard_ivr::Action::Done {
                route,
                variables,
                choices,
            } => {
                journey.ivr = None;
                let inputs = IvrInputs {
                    choices: choices
                        .into_iter()
                        .map(|(node, key)| IvrChoice {
                            node,
                            key: key.to_string(),
                        })
                        .collect(),
                    variables,
                };
                tracing::info!(call_id = %leg.id, ?route, ?inputs, "the call leaves the IVR");
                match route {
                    Route::Queue { queue, priority } => match Uuid::parse_str(&queue) {
                        Ok(queue) => {
                            enqueue(edge, leg, journey, queue, priority, Some(inputs)).await;
                        }
                        Err(_) => call.handle(now, Event::LocalHangup),
                    },
                    Route::Agent { agent } => match Uuid::parse_str(&agent) {
                        Ok(agent) => {
                            let contact = matched_contact(edge, leg).await;
                            ring_from_flow(edge, call, leg, journey, agent, inputs, contact);
                        }
                        Err(_) => call.handle(now, Event::LocalHangup),
                    },
                    Route::Hangup => call.handle(now, Event::LocalHangup),
                }
            }
        }
    }
}

/// Hand the answered call to the tenant's router for `queue`; the caller hears music.
pub(super) async fn enqueue(
    edge: &Edge,
    leg: &Leg,
    journey: &mut Journey,
    queue: Uuid,
    priority: i32,
    ivr: Option<IvrInputs>,
) {
    journey.command(BridgeCmd::Music(true));
    journey.queue = Some(queue);
    let ivr_json = ivr.as_ref().and_then(|i| serde_json::to_value(i).ok());
    let mut queue_name = None;
    if let Ok(mut db) = edge.store.tenant_tx(leg.tenant).await {
        let _ = call::set_queue(&mut db, leg.tenant, leg.id, Some(queue), ivr_json.as_ref()).await;
        queue_name = crate::store::queue::list(&mut db, leg.tenant, Some(queue))
            .await
            .ok()
            .and_then(|q| q.into_iter().next())
            .map(|q| q.settings.name);
        let _ = db.commit().await;
    }
    let contact = matched_contact(edge, leg).await;
    // A VIP contact waits with at least their priority.
    let priority = priority.max(contact.as_deref().map_or(0, contact_priority));
    edge.routing.arrived(
        leg.tenant,
        Arrival {
            call: leg.id,
            queue,
            priority,
            from: leg.from_number.clone(),
            to: leg.to_number.clone(),
            details: OfferDetails {
                queue_id: Some(queue),
                queue_name,
                ivr,
                contact,
            },
            events: leg.events.clone(),
            notices: journey.queue_tx.clone(),
        },
    );
}

/// A contact's priority in queues: `custom_fields.priority` (an integer), or 10 for
/// `custom_fields.vip: true`; else 0.
fn contact_priority(contact: &ContactCard) -> i32 {
    let fields = &contact.custom_fields;
    if let Some(p) = fields["priority"].as_i64() {
        return p.clamp(-1000, 1000) as i32;
    }
    if fields["vip"].as_bool() == Some(true) {
        10
    } else {
        0
    }
}

/// The tenant's contact with the caller's number (the first, if several share it).
pub(super) async fn matched_contact(edge: &Edge, leg: &Leg) -> Option<Box<ContactCard>> {
    let filter = ContactFilter {
        phone: Some(leg.from_number.clone()),
        ..ContactFilter::default()
    };
    let page = PageRequest {
        limit: 1,
        after: None,
    };
    let mut tx = edge.store.tenant_tx(leg.tenant).await.ok()?;
    let (mut found, _) = contact::list(&mut tx, leg.tenant, &filter, page)
        .await
        .ok()?;
    let _ = tx.commit().await;
    found.pop().map(|c| Box::new(c.into()))
}

/// A flow sent the answered call to one agent: their desk rings while the caller hears music.
pub(super) fn ring_from_flow(
    edge: &Edge,
    call: &mut Call,
    leg: &Leg,
    journey: &mut Journey,
    agent: Uuid,
    ivr: IvrInputs,
    contact: Option<Box<ContactCard>>,
) {
    journey.command(BridgeCmd::Music(true));
    let offers = journey.offers_tx.clone();
    let details = OfferDetails {
        ivr: Some(ivr),
        contact,
        ..OfferDetails::default()
    };
    let report = Reporter::new(move |report| {
        let _ = offers.send(report);
    });
    let rung = edge.agents.ring(leg.ring(agent, details, Some(report)));
    match rung {
        Ok(()) => {
            journey.agent_ringing = Some((
                agent,
                Instant::now() + Duration::from_secs(edge.media.agent_ring_secs),
            ));
            // The record names the agent the flow rang (their wrap-up needs it).
            tokio::spawn(call::name_agent(
                edge.store.clone(),
                leg.tenant,
                leg.id,
                agent,
            ));
        }
        Err(why) => {
            tracing::info!(call_id = %leg.id, %agent, %why, "the flow's agent cannot take the call");
            give_up(edge, call, leg, journey);
        }
    }
}

/// Nobody can take the call: the caller hears that everyone is busy, then it ends.
pub(super) fn give_up(edge: &Edge, call: &mut Call, leg: &Leg, journey: &mut Journey) {
    farewell(edge, call, leg, journey, "busy");
}

/// The caller hears the built-in `prompt`, then the call ends.
pub(super) fn farewell(
    edge: &Edge,
    call: &mut Call,
    leg: &Leg,
    journey: &mut Journey,
    prompt: &str,
) {
    match edge.prompts.for_locale(&leg.locale).get(prompt) {
        Some(audio) if journey.bridge.is_some() => {
            journey.command(BridgeCmd::Music(false));
            journey.command(BridgeCmd::Play(audio));
            journey.hangup_after_prompt = true;
        }
        _ => call.handle(Instant::now(), Event::LocalHangup),
    }
}

pub(super) fn notice_arrived(
    edge: &Edge,
    call: &mut Call,
    leg: &Leg,
    journey: &mut Journey,
    notice: Notice,
) {
    let now = Instant::now();
    match notice {
        Notice::Media(MediaNotice::Key(key)) => {
            if let Some(ivr) = journey.ivr.as_mut() {
                ivr.key(now, key);
            }
        }
        Notice::Media(MediaNotice::AnnouncementDone) => {
            if let Some(ivr) = journey.ivr.as_mut() {
                ivr.prompt_done(now);
            } else if journey.hangup_after_prompt {
                call.handle(now, Event::LocalHangup);
            }
        }
        Notice::Queue(QueueNotice::Announce {
            position,
            expected_wait,
        }) => {
            if journey.ivr.is_none() && !journey.hangup_after_prompt {
                let audio = edge
                    .prompts
                    .for_locale(&leg.locale)
                    .position(position, expected_wait);
                journey.command(BridgeCmd::Play(audio));
            }
        }
        Notice::Queue(QueueNotice::GiveUp) => give_up(edge, call, leg, journey),
        Notice::Offer(Report::Answered { .. }) => {
            journey.agent_ringing = None;
        }
        Notice::Offer(Report::Refused { .. }) => {
            journey.agent_ringing = None;
            give_up(edge, call, leg, journey);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn contact(fields: serde_json::Value) -> ContactCard {
        ContactCard {
            id: Uuid::nil(),
            name: "Alice".into(),
            company: None,
            email: None,
            notes: None,
            phones: Vec::new(),
            custom_fields: fields,
        }
    }

    #[test]
    fn a_vip_contact_waits_with_priority() {
        assert_eq!(contact_priority(&contact(json!({}))), 0);
        assert_eq!(contact_priority(&contact(json!({ "vip": true }))), 10);
        assert_eq!(contact_priority(&contact(json!({ "vip": "yes" }))), 0);
        assert_eq!(
            contact_priority(&contact(json!({ "priority": 7, "vip": true }))),
            7
        );
        assert_eq!(contact_priority(&contact(json!({ "priority": 1e12 }))), 0);
        assert_eq!(
            contact_priority(&contact(json!({ "priority": 5000 }))),
            1000
        );
    }
}
