//! RTCP compound packets from the network.
#![no_main]
use libfuzzer_sys::fuzz_target;
use switchboard_media::rtcp::Compound;

fuzz_target!(|data: &[u8]| {
    let _ = Compound::parse(data);
});
