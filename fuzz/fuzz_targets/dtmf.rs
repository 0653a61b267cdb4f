//! RFC 4733 telephone-event payloads, fed to the receiver with arbitrary timestamps.
#![no_main]
use libfuzzer_sys::fuzz_target;
use switchboard_media::dtmf::{DtmfReceiver, TelephoneEvent};

fuzz_target!(|data: &[u8]| {
    let mut rx = DtmfReceiver::default();
    for chunk in data.chunks(8) {
        let ts = chunk.get(4..8).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if let Ok(ev) = TelephoneEvent::parse(chunk) {
            assert_eq!(TelephoneEvent::parse(&ev.to_bytes()), Ok(ev));
        }
        let _ = rx.receive(ts, chunk);
    }
});
