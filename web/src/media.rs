//! Bindings to `media.js`: the microphone, the peer connection, the call's audio and the
//! ringtone.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/media.js")]
extern "C" {
    #[wasm_bindgen(js_name = createOffer, catch)]
    pub async fn create_offer(mic: &str, opus: bool, restart: bool) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = applyAnswer, catch)]
    pub async fn apply_answer(sdp: &str) -> Result<JsValue, JsValue>;
    pub fn close();
    #[wasm_bindgen(js_name = micLevel)]
    pub fn mic_level() -> f64;
    #[wasm_bindgen(catch)]
    pub async fn devices() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = setHeadset, catch)]
    pub async fn set_headset(id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    pub async fn ring(on: bool, output: &str) -> Result<JsValue, JsValue>;
}
