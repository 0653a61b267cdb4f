//! SDP from the network: parse, negotiate, and write an answer; nothing may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use switchboard_sip::sdp::{self, AudioPolicy, LocalAudio, SessionDescription};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(offer) = SessionDescription::parse(text) else { return };
    if let Ok(session) = sdp::negotiate(&offer, &AudioPolicy::default()) {
        let local = LocalAudio {
            session_id: 1,
            session_version: 1,
            addr: session.remote_addr,
            port: 4000,
            codecs: vec![session.codec],
            telephone_event: session.telephone_event,
            direction: session.direction,
            ptime: session.ptime,
        };
        let answer = sdp::write(&local, Some((&offer, session.media_index)));
        // Our own answer must always parse.
        assert!(SessionDescription::parse(&answer).is_ok());
    }
});
