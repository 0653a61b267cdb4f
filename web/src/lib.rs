//! The agent desktop: a Leptos app compiled to wasm, served by the server at `/`.
//!
//! - `socket`: the desk's WebSocket, the only module that touches its wire format (the
//!   messages themselves are `switchboard_proto`'s);
//! - `api`: the REST API and the session's tokens;
//! - `media` (+ `media.js`): the microphone, the peer connection, the ringtone;
//! - `i18n`: every string in English, Bulgarian and Russian;
//! - `state`: the desk's signals; `session`: signing in and out, the socket and the media
//!   session; `events`: what each server message does to the state;
//! - `ui`: the components, a tree that mirrors the screen, fed by the signals;
//! - `heap`: the allocator, counting what the desk holds.

mod api;
mod events;
mod heap;
mod i18n;
mod media;
mod session;
mod socket;
mod state;
mod ui;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(ui::app::App);
}
