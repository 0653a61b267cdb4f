//! RTP from the network, through the echo and prompt services.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::time::Instant;
use switchboard_media::g711::Law;
use switchboard_media::rtp::RtpPacket;
use switchboard_media::service::{DigitVoices, MediaParams, Service};

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = RtpPacket::parse(data) else { return };
    let params = MediaParams { law: Law::Mu, telephone_event: Some(packet.payload_type), ssrc: 1 };
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    for mut service in [Service::echo(params), Service::prompt(params, &[0; 160], DigitVoices::default())] {
        service.on_rtp(now, &packet);
        while service.poll_transmit(now).is_some() {}
    }
});
