//! The agent desktop: a Leptos app compiled to wasm, served by the server at `/`.
//!
//! - `socket`: the desk's WebSocket, the only module that knows its wire format;
//! - `api`: the REST API and the session's tokens;
//! - `media` (+ `media.js`): the microphone, the peer connection, the ringtone;
//! - `i18n`: every string in English, Bulgarian and Russian;
//! - `app`: the components, fed by signals;
//! - `heap`: the allocator, counting what the desk holds.

mod api;
mod app;
mod heap;
mod i18n;
mod media;
mod socket;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(app::App);
}
