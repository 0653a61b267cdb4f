//! The desk's state: [`Desk`], a set of signals the socket and the REST calls write and the
//! components read, provided as context at the root ([`desk()`]).

use leptos::prelude::*;
use leptos::reactive::graph::{ReactiveNode, Source};
use serde_json::Value;
use switchboard_proto::{AgentStatus, CallState, ClientMessage, MediaState};
use uuid::Uuid;

use crate::api;
use crate::i18n::Lang;
use crate::socket::{self, Offer};

/// The signed-in user.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token: String,
    pub user_id: String,
    pub name: String,
    pub role: String,
    pub tenant: String,
    pub locale: String,
}

impl Session {
    pub fn may_hear_recordings(&self) -> bool {
        matches!(self.role.as_str(), "supervisor" | "tenant_admin")
    }
}

/// The call on the desk.
#[derive(Debug, Clone, PartialEq)]
pub struct CallView {
    pub offer: Offer,
    pub state: CallState,
    pub held: bool,
    pub muted: bool,
}

/// Everything the components show, as signals.
#[derive(Clone, Copy)]
pub struct Desk {
    pub lang: RwSignal<Lang>,
    pub session: RwSignal<Option<Session>>,
    /// The media session's state; none before the server first says.
    pub media: RwSignal<Option<MediaState>>,
    pub agent_state: RwSignal<(AgentStatus, Option<String>)>,
    /// When the agent entered the state (ms since the epoch).
    pub since: RwSignal<f64>,
    pub now: RwSignal<f64>,
    pub call: RwSignal<Option<CallView>>,
    /// The call to wrap up, after it ended.
    pub wrap: RwSignal<Option<Offer>>,
    pub quality: RwSignal<Option<(f64, f64, f64)>>,
    pub replaced: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    pub contact: RwSignal<Option<Value>>,
    pub history: RwSignal<Vec<Value>>,
    pub scripts: RwSignal<Vec<Value>>,
    pub dispositions: RwSignal<Vec<Value>>,
    /// The tenant's break reasons (`code`, `label`), in order.
    pub breaks: RwSignal<Vec<Value>>,
    /// The tenant's queues and colleagues (`/desk/directory`), for transfers.
    pub directory: RwSignal<Value>,
    pub mic: RwSignal<String>,
    pub headset: RwSignal<String>,
    pub ringer: RwSignal<String>,
}

impl Desk {
    pub fn new() -> Desk {
        let locale = web_sys::window()
            .and_then(|w| w.navigator().language())
            .unwrap_or_default();
        Desk {
            lang: RwSignal::new(Lang::from_locale(&api::stored("lang").unwrap_or(locale))),
            session: RwSignal::new(None),
            media: RwSignal::new(None),
            agent_state: RwSignal::new((AgentStatus::Offline, None)),
            since: RwSignal::new(js_sys::Date::now()),
            now: RwSignal::new(js_sys::Date::now()),
            call: RwSignal::new(None),
            wrap: RwSignal::new(None),
            quality: RwSignal::new(None),
            replaced: RwSignal::new(false),
            error: RwSignal::new(None),
            contact: RwSignal::new(None),
            history: RwSignal::new(Vec::new()),
            scripts: RwSignal::new(Vec::new()),
            dispositions: RwSignal::new(Vec::new()),
            breaks: RwSignal::new(Vec::new()),
            directory: RwSignal::new(Value::Null),
            mic: RwSignal::new(api::stored("mic").unwrap_or_default()),
            headset: RwSignal::new(api::stored("headset").unwrap_or_default()),
            ringer: RwSignal::new(api::stored("ringer").unwrap_or_default()),
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.get().t(key)
    }

    /// Leptos 0.8 keeps an entry in a signal's subscriber list for every effect that read it,
    /// even after the effect is gone, and each entry holds on to about 50 bytes. The views of
    /// one call create and drop dozens of such effects (every `move || desk.t(..)` of the
    /// softphone, the transfer box, the wrap-up), so a page that never compacts grows about
    /// 4 KB a call. When a call ends, every long-lived signal marks its live subscribers to run
    /// again (each subscribes anew when it does) and drops the list, dead entries with it.
    pub fn compact(&self) {
        fn renew<T: Send + Sync + 'static>(signal: RwSignal<T>) {
            signal.mark_dirty();
            signal.clear_subscribers();
        }
        renew(self.lang);
        renew(self.session);
        renew(self.media);
        renew(self.agent_state);
        renew(self.since);
        renew(self.now);
        renew(self.call);
        renew(self.wrap);
        renew(self.quality);
        renew(self.replaced);
        renew(self.error);
        renew(self.contact);
        renew(self.history);
        renew(self.scripts);
        renew(self.dispositions);
        renew(self.breaks);
        renew(self.directory);
        renew(self.mic);
        renew(self.headset);
        renew(self.ringer);
    }

    /// A state's reason in words: the built-in ones in the agent's language, the tenant's
    /// own break reasons by their label.
    pub fn reason_text(&self, code: &str) -> String {
        match code {
            "missed" | "disconnected" | "lunch" | "training" | "meeting" => self.t(code).to_owned(),
            _ => self
                .breaks
                .get()
                .iter()
                .find(|b| b["code"] == code)
                .and_then(|b| b["label"].as_str())
                .unwrap_or(code)
                .to_owned(),
        }
    }

    /// An agent's state in words, in the agent's language.
    pub fn status_text(&self, status: AgentStatus) -> &'static str {
        self.t(match status {
            AgentStatus::Offline => "offline",
            AgentStatus::Available => "available",
            AgentStatus::Offered => "offered",
            AgentStatus::OnCall => "on_call",
            AgentStatus::WrapUp => "wrap_up",
            AgentStatus::NotReady => "not_ready",
            AgentStatus::Busy => "busy",
        })
    }

    pub fn token(&self) -> Option<String> {
        self.session.get_untracked().map(|s| s.token)
    }

    pub fn call_id(&self) -> Option<Uuid> {
        self.call.get_untracked().map(|c| c.offer.call_id)
    }

    /// Send the message `about` makes of the desk's call; nothing without a call.
    pub fn send_on_call(&self, about: impl FnOnce(Uuid) -> ClientMessage) {
        if let Some(call_id) = self.call_id() {
            socket::send(&about(call_id));
        }
    }
}

/// The desk, from the context the root provides.
pub fn desk() -> Desk {
    expect_context::<Desk>()
}

/// The id in a REST answer's field (`"id"`, `"queue_id"`, ...), if it holds one.
pub fn id_in(value: &Value) -> Option<Uuid> {
    value.as_str().and_then(|s| Uuid::parse_str(s).ok())
}
