//! The WebRTC endpoint's network input: browser SDP offers (from the WebSocket) and datagrams
//! (STUN, DTLS, SRTP or garbage) from any address. None may panic or disturb the endpoint.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::time::Instant;
use switchboard_media::webrtc::Endpoint;

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let server: SocketAddr = "10.0.0.1:3478".parse().expect("addr");
    let Ok(mut ep) = Endpoint::new(vec![server], 1) else { return };
    let (first, rest) = data.split_at(data.len() / 2);
    if let Ok(offer) = std::str::from_utf8(first) {
        let _ = ep.accept_offer(now, None, offer);
    }
    let from: SocketAddr = "10.0.0.2:5000".parse().expect("addr");
    ep.receive(now, from, rest);
    ep.handle_timeout(now);
    while ep.poll_output().is_some() {}
});
