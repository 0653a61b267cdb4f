//! The REST API (`/api/v1`): one request helper, and the session's tokens, kept in the tab's
//! session storage so a reload keeps the agent signed in.

use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// A failed request: the problem's detail (or what went wrong on the network).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub message: String,
}

/// `method` `path` (under `/api/v1`) with `token` and a JSON `body`; the JSON answer, or
/// `Value::Null` for an empty one.
pub async fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Value, ApiError> {
    let net = |e: wasm_bindgen::JsValue| ApiError {
        message: format!("{e:?}"),
    };
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(&wasm_bindgen::JsValue::from_str(&body.to_string()));
    }
    let request = Request::new_with_str_and_init(&format!("/api/v1{path}"), &init).map_err(net)?;
    let headers = request.headers();
    headers
        .set("Content-Type", "application/json")
        .map_err(net)?;
    if let Some(token) = token {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(net)?;
    }
    let window = web_sys::window().ok_or_else(|| ApiError {
        message: "no window".into(),
    })?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(net)?
        .dyn_into()
        .map_err(net)?;
    let text = JsFuture::from(response.text().map_err(net)?)
        .await
        .map_err(net)?
        .as_string()
        .unwrap_or_default();
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if response.ok() {
        Ok(json)
    } else {
        Err(ApiError {
            message: json["detail"].as_str().unwrap_or(&text).to_owned(),
        })
    }
}

/// Read a key of the tab's session storage.
pub fn stored(key: &str) -> Option<String> {
    web_sys::window()?
        .session_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

/// Write (or, with `None`, remove) a key of the tab's session storage.
pub fn store(key: &str, value: Option<&str>) {
    if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = match value {
            Some(v) => storage.set_item(key, v),
            None => storage.remove_item(key),
        };
    }
}
