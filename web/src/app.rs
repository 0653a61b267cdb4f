//! The desk's components. State lives in [`Desk`], a set of signals the socket and the REST
//! calls write and the components read.

use std::time::Duration;

use leptos::prelude::*;
use leptos::reactive::graph::{ReactiveNode, Source};
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::api::{self, request};
use crate::i18n::Lang;
use crate::media;
use crate::socket::{self, Command, Event, Offer};

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
    fn may_hear_recordings(&self) -> bool {
        matches!(self.role.as_str(), "supervisor" | "tenant_admin")
    }
}

/// The call on the desk.
#[derive(Debug, Clone, PartialEq)]
pub struct CallView {
    pub offer: Offer,
    pub state: String,
    pub held: bool,
    pub muted: bool,
}

/// Everything the components show, as signals.
#[derive(Clone, Copy)]
pub struct Desk {
    pub lang: RwSignal<Lang>,
    pub session: RwSignal<Option<Session>>,
    pub media: RwSignal<String>,
    pub agent_state: RwSignal<(String, Option<String>)>,
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
    fn new() -> Desk {
        let locale = web_sys::window()
            .and_then(|w| w.navigator().language())
            .unwrap_or_default();
        Desk {
            lang: RwSignal::new(Lang::from_locale(&api::stored("lang").unwrap_or(locale))),
            session: RwSignal::new(None),
            media: RwSignal::new("new".into()),
            agent_state: RwSignal::new(("offline".into(), None)),
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

    fn t(&self, key: &str) -> &'static str {
        self.lang.get().t(key)
    }

    /// Leptos 0.8 keeps an entry in a signal's subscriber list for every effect that read it,
    /// even after the effect is gone, and each entry holds on to about 50 bytes. The views of
    /// one call create and drop dozens of such effects (every `move || desk.t(..)` of the
    /// softphone, the transfer box, the wrap-up), so a page that never compacts grows about
    /// 4 KB a call. When a call ends, every long-lived signal marks its live subscribers to run
    /// again (each subscribes anew when it does) and drops the list, dead entries with it.
    fn compact(&self) {
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
    fn reason_text(&self, code: &str) -> String {
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

    fn token(&self) -> Option<String> {
        self.session.get_untracked().map(|s| s.token)
    }

    fn call_id(&self) -> Option<String> {
        self.call.get_untracked().map(|c| c.offer.call_id)
    }
}

fn desk() -> Desk {
    expect_context::<Desk>()
}

/// The root: the sign-in form, or the desk.
#[component]
pub fn App() -> impl IntoView {
    let desk = Desk::new();
    provide_context(desk);
    // A reloaded tab keeps its session.
    if let Some(token) = api::stored("token") {
        spawn_local(async move { open_session(desk, token).await });
    }
    set_interval(
        move || desk.now.set(js_sys::Date::now()),
        Duration::from_secs(1),
    );
    let _keys = window_event_listener(leptos::ev::keydown, move |e| shortcut(desk, &e));
    view! {
        <main lang=move || desk.lang.get().code()>
            <header>
                <h1>{move || desk.t("app")}</h1>
                <LanguagePicker/>
            </header>
            {move || match desk.session.get() {
                None => view! { <SignIn/> }.into_any(),
                Some(_) => view! { <DeskView/> }.into_any(),
            }}
        </main>
    }
}

/// Alt+A answer, Alt+H hang up, Alt+M mute, Alt+O hold.
fn shortcut(desk: Desk, e: &web_sys::KeyboardEvent) {
    if !e.alt_key() {
        return;
    }
    let Some(call) = desk.call.get_untracked() else {
        return;
    };
    let id = call.offer.call_id.clone();
    match e.key().to_lowercase().as_str() {
        "a" if call.state == "ringing" => socket::send(&Command::Accept(id)),
        "h" => socket::send(&Command::Hangup(id)),
        "m" if call.state == "connected" => socket::send(&Command::Mute(id, !call.muted)),
        "o" if call.state == "connected" => socket::send(&Command::Hold(id, !call.held)),
        _ => return,
    }
    e.prevent_default();
}

#[component]
fn LanguagePicker() -> impl IntoView {
    let desk = desk();
    view! {
        <label>
            {move || desk.t("language")} " "
            <select aria-label=move || desk.t("language")
                prop:value=move || desk.lang.get().code()
                on:change=move |e| {
                    let lang = Lang::from_locale(&event_target_value(&e));
                    api::store("lang", Some(lang.code()));
                    desk.lang.set(lang);
                }
            >
                <option value="en">"English"</option>
                <option value="bg">"Български"</option>
                <option value="ru">"Русский"</option>
            </select>
        </label>
    }
}

#[component]
fn SignIn() -> impl IntoView {
    let desk = desk();
    let company = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let failed = RwSignal::new(false);
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let body = json!({
            "tenant": company.get_untracked().trim(),
            "email": email.get_untracked().trim(),
            "password": password.get_untracked(),
        });
        spawn_local(async move {
            match request("POST", "/auth/login", None, Some(&body)).await {
                Ok(tokens) => {
                    let token = tokens["access_token"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    api::store("refresh", tokens["refresh_token"].as_str());
                    open_session(desk, token).await;
                }
                Err(_) => failed.set(true),
            }
        });
    };
    view! {
        <form on:submit=submit aria-label=move || desk.t("sign_in")>
            <label>{move || desk.t("company")} " "
                <input name="company" autocomplete="organization" bind:value=company/></label>
            <label>{move || desk.t("email")} " "
                <input name="email" type="email" autocomplete="username" bind:value=email/></label>
            <label>{move || desk.t("password")} " "
                <input name="password" type="password" autocomplete="current-password" bind:value=password/></label>
            <button type="submit">{move || desk.t("sign_in")}</button>
            <Show when=move || failed.get()>
                <p role="alert">{move || desk.t("sign_in_failed")}</p>
            </Show>
        </form>
    }
}

/// Who signed in, then the socket, the media session and the tenant's codes and scripts.
async fn open_session(desk: Desk, token: String) {
    let Ok(me) = request("GET", "/me", Some(&token), None).await else {
        api::store("token", None);
        return;
    };
    api::store("token", Some(&token));
    let session = Session {
        token: token.clone(),
        user_id: me["id"].as_str().unwrap_or_default().to_owned(),
        name: me["user"]["display_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        role: me["role"].as_str().unwrap_or_default().to_owned(),
        tenant: me["tenant"]["name"].as_str().unwrap_or_default().to_owned(),
        locale: me["tenant"]["locale"].as_str().unwrap_or("en").to_owned(),
    };
    if api::stored("lang").is_none() {
        desk.lang.set(Lang::from_locale(&session.locale));
    }
    desk.session.set(Some(session));
    if let Ok(list) = request("GET", "/dispositions", Some(&token), None).await {
        desk.dispositions
            .set(list.as_array().cloned().unwrap_or_default());
    }
    if let Ok(list) = request("GET", "/break-reasons", Some(&token), None).await {
        desk.breaks
            .set(list.as_array().cloned().unwrap_or_default());
    }
    if let Ok(list) = request("GET", "/scripts", Some(&token), None).await {
        desk.scripts
            .set(list.as_array().cloned().unwrap_or_default());
    }
    load_directory(desk).await;
    keep_fresh(desk);
    connect(desk, token);
}

/// The tenant's queues and colleagues (who is signed in now), for transfers.
async fn load_directory(desk: Desk) {
    let Some(token) = desk.token() else {
        return;
    };
    if let Ok(directory) = request("GET", "/desk/directory", Some(&token), None).await {
        desk.directory.set(directory);
    }
}

/// Refresh the access token every 4 minutes (it lives 15), without touching the call.
fn keep_fresh(desk: Desk) {
    set_interval(
        move || {
            let Some(refresh) = api::stored("refresh") else {
                return;
            };
            spawn_local(async move {
                let body = json!({ "refresh_token": refresh });
                if let Ok(tokens) = request("POST", "/auth/refresh", None, Some(&body)).await
                    && let Some(token) = tokens["access_token"].as_str()
                {
                    api::store("token", Some(token));
                    api::store("refresh", tokens["refresh_token"].as_str());
                    desk.session.update(|s| {
                        if let Some(s) = s {
                            s.token = token.to_owned();
                        }
                    });
                }
            });
        },
        Duration::from_secs(240),
    );
}

fn connect(desk: Desk, token: String) {
    socket::connect(&token, move |event| on_event(desk, event));
}

/// Start (or, after a network change, restart) the media session.
fn negotiate(desk: Desk, restart: bool) {
    let mic = desk.mic.get_untracked();
    spawn_local(async move {
        match media::create_offer(&mic, false, restart).await {
            Ok(sdp) => socket::send(&Command::Offer {
                sdp: sdp.as_string().unwrap_or_default(),
                restart,
            }),
            Err(e) => desk.error.set(Some(format!("{e:?}"))),
        }
    });
}

fn on_event(desk: Desk, event: Event) {
    match event {
        Event::Ready => {
            media::close();
            negotiate(desk, false);
        }
        Event::Answer(sdp) => spawn_local(async move {
            let _ = media::apply_answer(&sdp).await;
        }),
        Event::Media(state) => desk.media.set(state),
        Event::Incoming(offer) => {
            load_customer(desk, &offer);
            desk.wrap.set(None);
            desk.call.set(Some(CallView {
                offer,
                state: "ringing".into(),
                held: false,
                muted: false,
            }));
            let ringer = desk.ringer.get_untracked();
            spawn_local(async move {
                let _ = media::ring(true, &ringer).await;
            });
        }
        Event::Call {
            call_id,
            state,
            from,
            to,
        } => {
            if desk.call_id().as_deref() != Some(call_id.as_str()) {
                if state != "connected" && state != "dialing" {
                    return;
                }
                // The agent's own outbound call, or a reloaded page: the server re-attaches
                // the live call and says so.
                let offer = Offer {
                    call_id,
                    from,
                    to,
                    queue_id: None,
                    queue_name: None,
                    choices: Vec::new(),
                    variables: Vec::new(),
                    contact: None,
                };
                find_contact(desk, offer.from.clone());
                desk.call.set(Some(CallView {
                    offer,
                    state,
                    held: false,
                    muted: false,
                }));
                return;
            }
            if state != "ringing" {
                spawn_local(async {
                    let _ = media::ring(false, "").await;
                });
            }
            if state == "ended" {
                let ended = desk.call.get_untracked();
                desk.call.set(None);
                desk.quality.set(None);
                if let Some(c) = ended.filter(|c| c.state != "ringing") {
                    desk.wrap.set(Some(c.offer));
                }
                desk.compact();
            } else {
                desk.call.update(|c| {
                    if let Some(c) = c {
                        c.state = state;
                    }
                });
            }
        }
        Event::Quality {
            mos,
            jitter_ms,
            loss,
        } => desk.quality.set(Some((mos, jitter_ms, loss))),
        Event::AgentState { state, reason } => {
            desk.agent_state.set((state, reason));
            desk.since.set(js_sys::Date::now());
        }
        Event::Replaced => {
            desk.replaced.set(true);
            media::close();
        }
        Event::Error { code, message } => desk.error.set(Some(format!("{code}: {message}"))),
        Event::Closed => {
            // A dropped connection comes back (the server keeps the call for the grace
            // period); a replaced desk or a signed-out one does not.
            if !desk.replaced.get_untracked()
                && let Some(token) = desk.token()
            {
                set_timeout(move || connect(desk, token), Duration::from_secs(2));
            }
        }
    }
}

/// The card of the caller `number` (after a reload, when the offer is gone), and its history.
fn find_contact(desk: Desk, number: String) {
    let Some(token) = desk.token() else { return };
    spawn_local(async move {
        let path = format!("/contacts?phone={}", js_sys::encode_uri_component(&number));
        if let Ok(page) = request("GET", &path, Some(&token), None).await
            && let Some(contact) = page["items"].get(0).cloned()
        {
            let offer = Offer {
                call_id: String::new(),
                from: number,
                to: String::new(),
                queue_id: None,
                queue_name: None,
                choices: Vec::new(),
                variables: Vec::new(),
                contact: Some(contact),
            };
            load_customer(desk, &offer);
        }
    });
}

/// The caller's card and history, for the screen pop.
fn load_customer(desk: Desk, offer: &Offer) {
    desk.contact.set(offer.contact.clone());
    desk.history.set(Vec::new());
    let Some(id) = offer
        .contact
        .as_ref()
        .and_then(|c| c["id"].as_str())
        .map(str::to_owned)
    else {
        return;
    };
    let Some(token) = desk.token() else { return };
    spawn_local(async move {
        if let Ok(list) = request("GET", &format!("/contacts/{id}/calls"), Some(&token), None).await
        {
            desk.history
                .set(list.as_array().cloned().unwrap_or_default());
        }
    });
}

#[component]
fn DeskView() -> impl IntoView {
    let desk = desk();
    view! {
        <Show when=move || desk.replaced.get()>
            <section role="alert">
                <p>{move || desk.t("replaced")}</p>
                <button on:click=move |_| {
                    desk.replaced.set(false);
                    if let Some(token) = desk.token() {
                        connect(desk, token);
                    }
                }>{move || desk.t("take_over")}</button>
            </section>
        </Show>
        <StatusBar/>
        <Show when=move || desk.error.get().is_some()>
            <p role="status" class="error">{move || desk.t("error")} ": " {move || desk.error.get()}</p>
        </Show>
        <div class="columns">
            <Softphone/>
            <Customer/>
            <ScriptPanel/>
        </div>
        <WrapUp/>
        <AudioSettings/>
        <Show when=move || desk.session.get().is_some_and(|s| s.role != "agent")>
            <Supervisor/>
        </Show>
    }
}

fn duration_text(ms: f64) -> String {
    let secs = (ms / 1000.0).max(0.0) as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}

#[component]
fn StatusBar() -> impl IntoView {
    let desk = desk();
    // The chosen break reason; none chosen: the tenant's first.
    let reason = RwSignal::new(String::new());
    let chosen_reason = move || {
        let r = reason.get_untracked();
        if r.is_empty() {
            desk.breaks
                .get_untracked()
                .first()
                .and_then(|b| b["code"].as_str())
                .unwrap_or("lunch")
                .to_owned()
        } else {
            r
        }
    };
    let state_text = move || {
        let (state, why) = desk.agent_state.get();
        let text = desk.t(&state);
        match why {
            Some(why) => format!("{text} ({})", desk.reason_text(&why)),
            None => text.to_owned(),
        }
    };
    let quality = move || {
        desk.quality.get().map(|(mos, jitter, loss)| {
            let word = if mos >= 4.0 {
                "quality_good"
            } else if mos >= 3.5 {
                "quality_fair"
            } else {
                "quality_poor"
            };
            format!(
                "{}: {} (MOS {mos:.1}, {} {jitter:.0} ms, {} {:.1}%)",
                desk.t("quality"),
                desk.t(word),
                desk.t("jitter"),
                desk.t("loss"),
                loss * 100.0
            )
        })
    };
    view! {
        <section aria-label=move || desk.t("state") class="status">
            <span>{move || desk.session.get().map(|s| format!("{} · {}", s.name, s.tenant))}</span>
            <output aria-label=move || desk.t("state")>{state_text}</output>
            " " {move || desk.t("in_state_for")} " "
            <span>{move || duration_text(desk.now.get() - desk.since.get())}</span>
            <span>{move || {
                let mine: Vec<String> = desk.directory.get()["queues"]
                    .as_array()
                    .map(|q| q.iter().filter(|q| q["mine"] == true)
                        .filter_map(|q| q["name"].as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                format!("{}: {}", desk.t("my_queues"), if mine.is_empty() { "—".to_owned() } else { mine.join(", ") })
            }}</span>
            <span>{move || format!("{}: {}", desk.t("media"),
                if desk.media.get() == "connected" { desk.t("media_connected") } else { desk.t("media_connecting") })}</span>
            <button on:click=move |_| socket::send(&Command::State("available", None))>
                {move || desk.t("available")}</button>
            <label>{move || desk.t("reason")} " "
                <select aria-label=move || desk.t("reason") prop:value=move || reason.get() on:change=move |e| reason.set(event_target_value(&e))>
                    {move || desk.breaks.get().into_iter().map(|b| {
                        let code = b["code"].as_str().unwrap_or_default().to_owned();
                        let text = desk.reason_text(&code);
                        view! { <option value=code>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button on:click=move |_| socket::send(&Command::State("break", Some(chosen_reason())))>
                {move || desk.t("break")}</button>
            <button on:click=move |_| socket::send(&Command::State("offline", None))>
                {move || desk.t("offline")}</button>
            <span role="status">{quality}</span>
            <button on:click=move |_| {
                socket::disconnect();
                media::close();
                api::store("token", None);
                api::store("refresh", None);
                desk.session.set(None);
            }>{move || desk.t("sign_out")}</button>
            <small>{move || desk.t("shortcuts")}</small>
        </section>
    }
}

#[component]
fn Softphone() -> impl IntoView {
    let desk = desk();
    let id = move || desk.call.get().map(|c| c.offer.call_id).unwrap_or_default();
    let state = move || desk.call.get().map(|c| c.state);
    let keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
    view! {
            <section aria-label="softphone" class="phone">
                {move || match desk.call.get() {
                    None => view! { <p>{move || desk.t("no_call")}</p> <Dialer/> }.into_any(),
                    Some(c) => {
                        let o = c.offer.clone();
    let title = match c.state.as_str() {
                            "ringing" => desk.t("incoming"),
                            "dialing" => desk.t("dialing"),
                            _ => desk.t("connected"),
                        };
                        view! {
                            <h2>{title}</h2>
                            <dl>
                                <dt>{desk.t("from")}</dt><dd>{o.from.clone()}</dd>
                                <dt>{desk.t("dialled")}</dt><dd>{o.to.clone()}</dd>
                                {o.queue_name.clone().map(|q| view! { <dt>{desk.t("queue")}</dt><dd>{q}</dd> })}
                                {(!o.choices.is_empty()).then(|| view! {
                                    <dt>{desk.t("ivr_choices")}</dt>
                                    <dd>{o.choices.iter().map(|(n, k)| format!("{n}: {k}")).collect::<Vec<_>>().join(", ")}
                                        {o.variables.iter().map(|(n, v)| format!(" · {n} = {v}")).collect::<String>()}</dd>
                                })}
                                {o.contact.as_ref().map(|c| view! {
                                    <dt>{desk.t("customer")}</dt><dd>{c["name"].as_str().unwrap_or_default().to_owned()}</dd>
                                })}
                            </dl>
                        }.into_any()
                    }
                }}
                <Show when=move || state().as_deref() == Some("ringing")>
                    <button aria-keyshortcuts="Alt+A" on:click=move |_| socket::send(&Command::Accept(id()))>
                        {move || desk.t("answer")}</button>
                    <button on:click=move |_| socket::send(&Command::Hangup(id()))>{move || desk.t("refuse")}</button>
                </Show>
                <Show when=move || matches!(state().as_deref(), Some(s) if s != "ringing")>
                    <button aria-keyshortcuts="Alt+H" on:click=move |_| socket::send(&Command::Hangup(id()))>
                        {move || desk.t("hang_up")}</button>
                    <button aria-keyshortcuts="Alt+O" aria-pressed=move || desk.call.get().is_some_and(|c| c.held).to_string()
                        on:click=move |_| {
                            let held = desk.call.get_untracked().is_some_and(|c| c.held);
                            socket::send(&Command::Hold(id(), !held));
                            desk.call.update(|c| if let Some(c) = c { c.held = !held });
                        }>
                        {move || if desk.call.get().is_some_and(|c| c.held) { desk.t("resume") } else { desk.t("hold") }}</button>
                    <button aria-keyshortcuts="Alt+M" aria-pressed=move || desk.call.get().is_some_and(|c| c.muted).to_string()
                        on:click=move |_| {
                            let muted = desk.call.get_untracked().is_some_and(|c| c.muted);
                            socket::send(&Command::Mute(id(), !muted));
                            desk.call.update(|c| if let Some(c) = c { c.muted = !muted });
                        }>
                        {move || if desk.call.get().is_some_and(|c| c.muted) { desk.t("unmute") } else { desk.t("mute") }}</button>
                    <Transfer/>
                    <div role="group" aria-label=move || desk.t("keypad")>
                        {keys.iter().map(|k| {
                            let k = *k;
                            view! { <button on:click=move |_| socket::send(&Command::Dtmf(id(), k.to_owned()))>{k}</button> }
                        }).collect_view()}
                    </div>
                </Show>
            </section>
        }
}

/// Manual outbound dialling through the tenant's trunk, with its caller ID.
#[component]
fn Dialer() -> impl IntoView {
    let desk = desk();
    let number = RwSignal::new(String::new());
    let dial = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let to = number.get_untracked();
        if !to.trim().is_empty() {
            desk.wrap.set(None);
            socket::send(&Command::Dial(to.trim().to_owned()));
        }
    };
    view! {
        <form on:submit=dial aria-label=move || desk.t("dial")>
            <label>{move || desk.t("number_to_dial")} " " <input type="tel" bind:value=number/></label>
            <button type="submit">{move || desk.t("call")}</button>
        </form>
    }
}

/// Escalation; blind transfer to a queue, a colleague or a number; attended transfer to a
/// colleague.
#[component]
fn Transfer() -> impl IntoView {
    let desk = desk();
    let id = move || desk.call.get().map(|c| c.offer.call_id).unwrap_or_default();
    let queue = RwSignal::new(String::new());
    let colleague = RwSignal::new(String::new());
    let number = RwSignal::new(String::new());
    // Who is signed in now, for this call's transfer.
    spawn_local(load_directory(desk));
    let escalate_to = move || {
        let current = desk.call.get().and_then(|c| c.offer.queue_id)?;
        desk.directory.get()["queues"]
            .as_array()?
            .iter()
            .find(|q| q["id"] == current.as_str())?["escalate_to"]
            .as_str()
            .map(str::to_owned)
    };
    let consulting = move || {
        matches!(
            desk.call.get().map(|c| c.state).as_deref(),
            Some("consulting" | "conference")
        )
    };
    let transferring = move || desk.call.get().is_some_and(|c| c.state == "transferring");
    let idle = move || !consulting() && !transferring();
    let list = move |key: &'static str| {
        desk.directory.get()[key]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    view! {
        <fieldset>
            <legend>{move || desk.t("transfer")}</legend>
            {move || escalate_to().map(|to| view! {
                <button on:click=move |_| socket::send(&Command::TransferToQueue(id(), to.clone()))>
                    {desk.t("escalate")}</button>
            })}
            <label>{move || desk.t("transfer_queue")} " "
                <select aria-label=move || desk.t("transfer_queue") prop:value=move || queue.get()
                    on:change=move |e| queue.set(event_target_value(&e))>
                    <option value="">{move || desk.t("choose")}</option>
                    {move || list("queues").into_iter().map(|q| view! {
                        <option value=q["id"].as_str().unwrap_or_default().to_owned()>
                            {q["name"].as_str().unwrap_or_default().to_owned()}</option>
                    }).collect_view()}
                </select></label>
            <button on:click=move |_| {
                let q = queue.get_untracked();
                if !q.is_empty() {
                    socket::send(&Command::TransferToQueue(id(), q));
                }
            }>{move || desk.t("send_to_queue")}</button>
            <label>{move || desk.t("colleague")} " "
                <select aria-label=move || desk.t("colleague") prop:value=move || colleague.get()
                    on:change=move |e| colleague.set(event_target_value(&e))>
                    <option value="">{move || desk.t("choose")}</option>
                    {move || list("colleagues").into_iter().filter(|c| c["signed_in"] == true).map(|c| view! {
                        <option value=c["id"].as_str().unwrap_or_default().to_owned()>
                            {c["name"].as_str().unwrap_or_default().to_owned()}</option>
                    }).collect_view()}
                </select></label>
            <Show when=idle>
                <button on:click=move |_| {
                    let c = colleague.get_untracked();
                    if !c.is_empty() {
                        socket::send(&Command::Consult(id(), c));
                    }
                }>{move || desk.t("consult")}</button>
                <button on:click=move |_| {
                    let c = colleague.get_untracked();
                    if !c.is_empty() {
                        socket::send(&Command::TransferToAgent(id(), c));
                    }
                }>{move || desk.t("transfer_to_colleague")}</button>
                <label>{move || desk.t("transfer_number")} " " <input type="tel" bind:value=number/></label>
                <button on:click=move |_| {
                    let to = number.get_untracked();
                    if !to.trim().is_empty() {
                        socket::send(&Command::TransferToNumber(id(), to.trim().to_owned()));
                    }
                }>{move || desk.t("transfer_to_number")}</button>
            </Show>
            <Show when=transferring>
                <p role="status">{move || desk.t("transferring")}</p>
                <button on:click=move |_| socket::send(&Command::CancelConsult(id()))>{move || desk.t("cancel_transfer")}</button>
            </Show>
            <Show when=consulting>
                <button on:click=move |_| socket::send(&Command::Transfer(id()))>{move || desk.t("complete_transfer")}</button>
                <button on:click=move |_| socket::send(&Command::Conference(id()))>{move || desk.t("conference")}</button>
                <button on:click=move |_| socket::send(&Command::CancelConsult(id()))>{move || desk.t("return_to_caller")}</button>
            </Show>
        </fieldset>
    }
}

fn field(contact: &Option<Value>, name: &str) -> String {
    contact
        .as_ref()
        .and_then(|c| c[name].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[component]
fn Customer() -> impl IntoView {
    let desk = desk();
    let name = RwSignal::new(String::new());
    let company = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let saved = RwSignal::new(false);
    // A new card fills the form; the same card again (a re-run) leaves edits alone.
    Effect::new(move |shown: Option<Option<Value>>| {
        let c = desk.contact.get();
        if shown.as_ref() != Some(&c) {
            name.set(field(&c, "name"));
            company.set(field(&c, "company"));
            email.set(field(&c, "email"));
            notes.set(field(&c, "notes"));
            saved.set(false);
        }
        c
    });
    let caller = move || {
        desk.call
            .get()
            .or_else(|| {
                desk.wrap.get().map(|offer| CallView {
                    offer,
                    state: "ended".into(),
                    held: false,
                    muted: false,
                })
            })
            .map(|c| c.offer.from)
    };
    let save = move |_| {
        let Some(token) = desk.token() else { return };
        let opt = |s: String| {
            if s.trim().is_empty() {
                Value::Null
            } else {
                Value::String(s)
            }
        };
        let body = json!({
            "name": name.get_untracked(),
            "company": opt(company.get_untracked()),
            "email": opt(email.get_untracked()),
            "notes": opt(notes.get_untracked()),
        });
        let id = desk
            .contact
            .get_untracked()
            .and_then(|c| c["id"].as_str().map(str::to_owned));
        spawn_local(async move {
            let result = match id {
                Some(id) => {
                    request(
                        "PATCH",
                        &format!("/contacts/{id}"),
                        Some(&token),
                        Some(&body),
                    )
                    .await
                }
                None => Err(api::ApiError {
                    message: "no contact".into(),
                }),
            };
            match result {
                Ok(c) => {
                    desk.contact.set(Some(c));
                    saved.set(true);
                }
                Err(e) => desk.error.set(Some(e.message)),
            }
        });
    };
    let create = move |_| {
        let (Some(token), Some(number)) = (desk.token(), caller()) else {
            return;
        };
        let body = json!({ "name": number, "phones": [{ "number": number }] });
        spawn_local(async move {
            match request("POST", "/contacts", Some(&token), Some(&body)).await {
                Ok(c) => desk.contact.set(Some(c)),
                Err(e) => desk.error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section aria-label=move || desk.t("customer") class="customer">
            <h2>{move || desk.t("customer")}</h2>
            {move || match (desk.contact.get().is_some(), caller()) {
                (false, None) => ().into_any(),
                (false, Some(_)) => view! {
                    <p>{desk.t("unknown_caller")}</p>
                    <button on:click=create>{desk.t("new_contact")}</button>
                }.into_any(),
                (true, _) => view! {
                    <label>{desk.t("name")} " " <input bind:value=name/></label>
                    <label>{desk.t("company_name")} " " <input bind:value=company/></label>
                    <label>{desk.t("email")} " " <input type="email" bind:value=email/></label>
                    <label>{desk.t("contact_notes")} " " <textarea prop:value=move || notes.get() on:input=move |e| notes.set(event_target_value(&e))></textarea></label>
                    <button on:click=save>{desk.t("save_contact")}</button>
                    <Show when=move || saved.get()><span role="status">{desk.t("saved")}</span></Show>
                }.into_any(),
            }}
            <History/>
        </section>
    }
}

#[component]
fn History() -> impl IntoView {
    let desk = desk();
    let recordings = move || desk.session.get().is_some_and(|s| s.may_hear_recordings());
    view! {
        <Show when=move || desk.contact.get().is_some()>
            <h3>{move || desk.t("history")}</h3>
            <Show when=move || !desk.history.get().is_empty() fallback=move || view! { <p>{desk.t("no_history")}</p> }>
                <table aria-label=move || desk.t("history")>
                    <thead><tr>
                        <th>{move || desk.t("date")}</th><th>{move || desk.t("direction")}</th><th>{move || desk.t("agent")}</th><th>{move || desk.t("queue")}</th>
                        <th>{move || desk.t("duration")}</th><th>{move || desk.t("disposition")}</th><th>{move || desk.t("notes")}</th><th></th>
                    </tr></thead>
                    <tbody>
                        {move || {
                            // The live call is on the phone, not yet in the history.
                            let live = desk.call.get().map(|c| c.offer.call_id);
                            desk.history.get().into_iter().filter(move |h| h["id"].as_str() != live.as_deref())
                        }.map(|h| {
                            let id = h["id"].as_str().unwrap_or_default().to_owned();
                            let when = h["started_at"].as_str().unwrap_or_default().replace('T', " ");
                            let when = when.get(..16).unwrap_or(&when).to_owned();
                            let direction = desk.t(h["direction"].as_str().unwrap_or("inbound"));
                            let disposition = h["disposition"].as_str().map(|code| {
                                desk.dispositions.get_untracked().iter()
                                    .find(|d| d["code"] == code)
                                    .and_then(|d| d["label"].as_str())
                                    .unwrap_or(code).to_owned()
                            }).unwrap_or_default();
                            let audio = RwSignal::new(None::<String>);
                            let play = move |_| {
                                let Some(token) = desk.token() else { return };
                                let id = id.clone();
                                spawn_local(async move {
                                    if let Some(url) = recording_url(&id, &token).await {
                                        audio.set(Some(url));
                                    }
                                });
                            };
                            view! {
                                <tr>
                                    <td>{when}</td>
                                    <td>{direction}</td>
                                    <td>{h["agent_name"].as_str().unwrap_or_default().to_owned()}</td>
                                    <td>{h["queue_name"].as_str().unwrap_or_default().to_owned()}</td>
                                    <td>{duration_text(h["duration_ms"].as_f64().unwrap_or(0.0))}</td>
                                    <td>{disposition}</td>
                                    <td>{h["notes"].as_str().unwrap_or_default().to_owned()}</td>
                                    <td>{(recordings() && h["has_recording"] == true).then(|| view! {
                                        <button on:click=play.clone()>{desk.t("play_recording")}</button>
                                        {move || audio.get().map(|src| view! { <audio controls autoplay src=src></audio> })}
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
        </Show>
    }
}

/// Fetch a recording with the token (an `<audio src>` cannot send one) as an object URL.
async fn recording_url(call: &str, token: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let init = web_sys::RequestInit::new();
    let req =
        web_sys::Request::new_with_str_and_init(&format!("/api/v1/calls/{call}/recording"), &init)
            .ok()?;
    req.headers()
        .set("Authorization", &format!("Bearer {token}"))
        .ok()?;
    let resp: web_sys::Response = JsFuture::from(web_sys::window()?.fetch_with_request(&req))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !resp.ok() {
        return None;
    }
    let blob: web_sys::Blob = JsFuture::from(resp.blob().ok()?)
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// `{contact.name}`, `{contact.company}`, `{contact.email}`, `{agent.name}`, `{ivr.x}`.
fn fill(text: &str, contact: &Option<Value>, agent: &str, offer: &Offer) -> String {
    let mut out = text.replace("{agent.name}", agent);
    for f in ["name", "company", "email"] {
        out = out.replace(&format!("{{contact.{f}}}"), &field(contact, f));
    }
    for (k, v) in &offer.variables {
        out = out.replace(&format!("{{ivr.{k}}}"), v);
    }
    // What the caller did not enter shows as a dash, not as a placeholder.
    while let Some(start) = out.find("{ivr.") {
        let Some(len) = out[start..].find('}') else {
            break;
        };
        out.replace_range(start..=start + len, "—");
    }
    out
}

#[component]
fn ScriptPanel() -> impl IntoView {
    let desk = desk();
    let script = move || {
        let offer = desk.call.get().map(|c| c.offer)?;
        let queue = offer.queue_id.clone()?;
        let s = desk
            .scripts
            .get()
            .into_iter()
            .find(|s| s["queue_id"] == queue.as_str())?;
        let agent = desk.session.get().map(|s| s.name).unwrap_or_default();
        let contact = desk.contact.get();
        Some((
            fill(
                s["greeting"].as_str().unwrap_or_default(),
                &contact,
                &agent,
                &offer,
            ),
            fill(
                s["body"].as_str().unwrap_or_default(),
                &contact,
                &agent,
                &offer,
            ),
        ))
    };
    view! {
        <Show when=move || desk.call.get().is_some()>
            <section aria-label=move || desk.t("script") class="script">
                <h2>{move || desk.t("script")}</h2>
                {move || match script() {
                    None => view! { <p>{desk.t("no_script")}</p> }.into_any(),
                    Some((greeting, body)) => view! {
                        <p><strong>{greeting}</strong></p>
                        <ol>{body.lines().filter(|l| !l.trim().is_empty()).map(|l| view! { <li>{l.to_owned()}</li> }).collect_view()}</ol>
                    }.into_any(),
                }}
            </section>
        </Show>
    }
}

#[component]
fn WrapUp() -> impl IntoView {
    let desk = desk();
    let code = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let follow_up = RwSignal::new(false);
    let codes = move || {
        let queue = desk.wrap.get().and_then(|o| o.queue_id);
        desk.dispositions
            .get()
            .into_iter()
            .filter(|d| d["queue_id"].is_null() || d["queue_id"].as_str() == queue.as_deref())
            .collect::<Vec<_>>()
    };
    let finish = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let (Some(offer), Some(token)) = (desk.wrap.get_untracked(), desk.token()) else {
            return;
        };
        let body = json!({
            "disposition": code.get_untracked(),
            "notes": notes.get_untracked(),
            "follow_up": follow_up.get_untracked(),
        });
        spawn_local(async move {
            match request(
                "POST",
                &format!("/calls/{}/wrap-up", offer.call_id),
                Some(&token),
                Some(&body),
            )
            .await
            {
                Ok(_) => {
                    desk.wrap.set(None);
                    code.set(String::new());
                    notes.set(String::new());
                    follow_up.set(false);
                    socket::send(&Command::State("available", None));
                    // The history shows the call just closed.
                    let offer = Offer {
                        contact: desk.contact.get_untracked(),
                        ..offer
                    };
                    load_customer(desk, &offer);
                }
                Err(e) => desk.error.set(Some(e.message)),
            }
        });
    };
    view! {
        <Show when=move || desk.wrap.get().is_some()>
            <form on:submit=finish aria-label=move || desk.t("wrap_up_title")>
                <h2>{move || desk.t("wrap_up_title")}</h2>
                <label>{move || desk.t("disposition")} " "
                    <select aria-label=move || desk.t("disposition") required prop:value=move || code.get() on:change=move |e| code.set(event_target_value(&e))>
                        <option value="">{move || desk.t("choose")}</option>
                        {move || codes().into_iter().map(|d| view! {
                            <option value=d["code"].as_str().unwrap_or_default().to_owned()>
                                {d["label"].as_str().unwrap_or_default().to_owned()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{move || desk.t("call_notes")} " " <textarea prop:value=move || notes.get() on:input=move |e| notes.set(event_target_value(&e))></textarea></label>
                <label><input type="checkbox" bind:checked=follow_up/> " " {move || desk.t("follow_up")}</label>
                <button type="submit">{move || desk.t("finish")}</button>
                <button type="button" on:click=move |_| socket::send(&Command::ExtendWrapUp(60))>{move || desk.t("more_time")}</button>
            </form>
        </Show>
    }
}

#[component]
fn AudioSettings() -> impl IntoView {
    let desk = desk();
    let devices = RwSignal::new(Vec::<Value>::new());
    let level = RwSignal::new(0.0);
    spawn_local(async move {
        if let Ok(list) = media::devices().await
            && let Some(text) = list.as_string()
        {
            devices.set(serde_json::from_str(&text).unwrap_or_default());
        }
    });
    set_interval(
        move || level.set(media::mic_level()),
        Duration::from_millis(200),
    );
    let options = move |kind: &'static str| {
        move || {
            devices
                .get()
                .into_iter()
                .filter(|d| d["kind"] == kind)
                .map(|d| {
                    let id = d["id"].as_str().unwrap_or_default().to_owned();
                    view! { <option value=id>{d["label"].as_str().unwrap_or_default().to_owned()}</option> }
                })
                .collect_view()
        }
    };
    view! {
        <details>
            <summary>{move || desk.t("audio_settings")}</summary>
            <label>{move || desk.t("microphone")} " "
                <select aria-label=move || desk.t("microphone") prop:value=move || desk.mic.get() on:change=move |e| {
                    let id = event_target_value(&e);
                    api::store("mic", Some(&id));
                    desk.mic.set(id);
                    media::close();
                    negotiate(desk, false);
                }>
                    <option value="">{move || desk.t("default_device")}</option>
                    {options("audioinput")}
                </select></label>
            <label>{move || desk.t("headset")} " "
                <select aria-label=move || desk.t("headset") prop:value=move || desk.headset.get() on:change=move |e| {
                    let id = event_target_value(&e);
                    api::store("headset", Some(&id));
                    desk.headset.set(id.clone());
                    spawn_local(async move { let _ = media::set_headset(&id).await; });
                }>
                    <option value="">{move || desk.t("default_device")}</option>
                    {options("audiooutput")}
                </select></label>
            <label>{move || desk.t("ringtone_on")} " "
                <select aria-label=move || desk.t("ringtone_on") prop:value=move || desk.ringer.get() on:change=move |e| {
                    let id = event_target_value(&e);
                    api::store("ringer", Some(&id));
                    desk.ringer.set(id);
                }>
                    <option value="">{move || desk.t("default_device")}</option>
                    {options("audiooutput")}
                </select></label>
            <label>{move || desk.t("mic_level")} " "
                <meter min="0" max="1" value=move || level.get()></meter></label>
        </details>
    }
}

/// Supervisors and admins: the tenant's queues live, their agents with listen, whisper and
/// barge on a live call, and a state the supervisor can set.
#[component]
fn Supervisor() -> impl IntoView {
    let desk = desk();
    let live = RwSignal::new(Vec::<(String, Value)>::new());
    let monitoring = RwSignal::new(None::<(String, &'static str)>);
    set_interval(
        move || {
            let Some(token) = desk.token() else { return };
            let queues = desk.directory.get_untracked()["queues"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            spawn_local(async move {
                let mut out = Vec::new();
                for q in queues {
                    let id = q["id"].as_str().unwrap_or_default();
                    if let Ok(l) =
                        request("GET", &format!("/queues/{id}/live"), Some(&token), None).await
                    {
                        out.push((q["name"].as_str().unwrap_or_default().to_owned(), l));
                    }
                }
                live.set(out);
            });
        },
        Duration::from_secs(2),
    );
    let name_of = move |id: &str| {
        desk.directory.get()["colleagues"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["id"] == id))
            .and_then(|c| c["name"].as_str())
            .unwrap_or(id)
            .to_owned()
    };
    let monitor = move |call: String, mode: &'static str| {
        socket::send(&Command::Monitor(call.clone(), mode));
        monitoring.set((mode != "off").then_some((call, mode)));
    };
    view! {
        <section aria-label=move || desk.t("supervisor")>
            <h2>{move || desk.t("supervisor")}</h2>
            <table aria-label=move || desk.t("supervisor")>
                <thead><tr><th>{move || desk.t("queue")}</th><th>{move || desk.t("waiting")}</th>
                    <th>{move || desk.t("answered")}</th><th>{move || desk.t("abandoned")}</th><th>{move || desk.t("service_level")}</th></tr></thead>
                <tbody>
                    {move || live.get().into_iter().map(|(name, l)| view! {
                        <tr><td>{name}</td><td>{l["waiting"].as_array().map_or(0, Vec::len)}</td>
                            <td>{l["answered"].as_u64().unwrap_or(0)}</td><td>{l["abandoned"].as_u64().unwrap_or(0)}</td>
                            <td>{l["service_level_percent"].as_f64().map(|p| format!("{p:.0}%")).unwrap_or_default()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3>{move || desk.t("agents")}</h3>
            <ul>
                {move || {
                    let mut seen = std::collections::BTreeMap::new();
                    for (_, l) in live.get() {
                        for a in l["agents"].as_array().cloned().unwrap_or_default() {
                            if let Some(id) = a["user_id"].as_str() {
                                seen.insert(id.to_owned(), a.clone());
                            }
                        }
                    }
                    seen.into_iter().map(|(id, a)| {
                        let state = a["state"].as_str().unwrap_or_default().to_owned();
                        let call = a["call_id"].as_str().map(str::to_owned);
                        let name = name_of(&id);
                        let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
                        view! {
                            <li>
                                <strong>{name}</strong> " " {desk.t(&state)} " "
                                {call.filter(|_| state == "on_call").map(|call| {
                                    let (c1, c2, c3, c4) = (call.clone(), call.clone(), call.clone(), call.clone());
                                    view! {
                                        <button on:click=move |_| monitor(c1.clone(), "listen")>{desk.t("listen")}</button>
                                        <button on:click=move |_| monitor(c2.clone(), "whisper")>{desk.t("whisper")}</button>
                                        <button on:click=move |_| monitor(c3.clone(), "barge")>{desk.t("barge")}</button>
                                        <Show when=move || monitoring.get().is_some_and(|(c, _)| c == c4)>
                                            <button on:click={let c = call.clone(); move |_| monitor(c.clone(), "off")}>{desk.t("stop_monitoring")}</button>
                                        </Show>
                                    }
                                })}
                                <button on:click=move |_| socket::send(&Command::ForceState(id1.clone(), "available"))>{desk.t("make_available")}</button>
                                <button on:click=move |_| socket::send(&Command::ForceState(id2.clone(), "break"))>{desk.t("make_break")}</button>
                                <button on:click=move |_| socket::send(&Command::ForceState(id3.clone(), "offline"))>{desk.t("make_offline")}</button>
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_is_filled_with_the_contact_the_agent_and_the_ivr_and_nothing_is_left_raw() {
        let offer = Offer {
            call_id: "c".into(),
            from: "+1".into(),
            to: "+2".into(),
            queue_id: None,
            queue_name: None,
            choices: Vec::new(),
            variables: vec![("topic".into(), "billing".into())],
            contact: None,
        };
        let contact = Some(json!({ "name": "Alice", "company": "Johnson Hardware" }));
        let text = "Hi {contact.name} of {contact.company}, {agent.name} here ({ivr.topic}, {ivr.account}, {contact.email}).";
        assert_eq!(
            fill(text, &contact, "Alex", &offer),
            "Hi Alice of Johnson Hardware, Alex here (billing, —, )."
        );
        assert_eq!(fill("{ivr.unclosed", &None, "", &offer), "{ivr.unclosed");
    }
}
