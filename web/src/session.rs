//! The session: signing in and out, opening it (who signed in, the tenant's codes, scripts
//! and directory), keeping its token fresh, the socket and the media session.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use switchboard_proto::ClientMessage;

use crate::api::{self, request};
use crate::events::on_event;
use crate::i18n::Lang;
use crate::media;
use crate::socket;
use crate::state::{Desk, Session};

/// Sign in with the company's name, an email and a password, then open the session; false
/// when the server refuses.
pub async fn sign_in(desk: Desk, company: &str, email: &str, password: &str) -> bool {
    let body = json!({ "tenant": company, "email": email, "password": password });
    match request("POST", "/auth/login", None, Some(&body)).await {
        Ok(tokens) => {
            let token = tokens["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            api::store("refresh", tokens["refresh_token"].as_str());
            open_session(desk, token).await;
            true
        }
        Err(_) => false,
    }
}

/// Sign out: the socket, the media session and the stored tokens go.
pub fn sign_out(desk: Desk) {
    socket::disconnect();
    media::close();
    api::store("token", None);
    api::store("refresh", None);
    desk.session.set(None);
}

/// Who signed in, then the socket, the media session and the tenant's codes and scripts.
pub async fn open_session(desk: Desk, token: String) {
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
pub async fn load_directory(desk: Desk) {
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

/// Open the desk's socket; what the server says goes to [`on_event`].
pub fn connect(desk: Desk, token: String) {
    socket::connect(&token, move |event| on_event(desk, event));
}

/// Start (or, after a network change, restart) the media session.
pub fn negotiate(desk: Desk, restart: bool) {
    let mic = desk.mic.get_untracked();
    spawn_local(async move {
        match media::create_offer(&mic, false, restart).await {
            Ok(sdp) => socket::send(&ClientMessage::Offer {
                sdp: sdp.as_string().unwrap_or_default(),
                restart,
            }),
            Err(e) => desk.error.set(Some(format!("{e:?}"))),
        }
    });
}
