//! Prompt files tenants upload.
#![no_main]
use libfuzzer_sys::fuzz_target;
use switchboard_media::wav;

fuzz_target!(|data: &[u8]| {
    let _ = wav::read(data);
});
