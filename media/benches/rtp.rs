//! CPU cost of the RTP core: parse a G.711 packet, run it through the echo service, write the
//! packet back out; and G.711 transcoding of a 20 ms frame. Prints figures; never fails on time.
//!
//!     cargo bench -p switchboard-media --bench rtp
#![allow(clippy::disallowed_methods)] // A benchmark reads the clock.

use std::hint::black_box;
use std::time::Instant;

use switchboard_media::g711::{Law, transcode};
use switchboard_media::rtp::{RtpHeader, RtpPacket};
use switchboard_media::service::{MediaParams, Service};

fn main() {
    let n: u32 = 2_000_000;
    let mut packets = Vec::with_capacity(64);
    for i in 0..64u16 {
        let mut b = Vec::new();
        RtpHeader {
            marker: false,
            payload_type: 8,
            sequence: i,
            timestamp: u32::from(i) * 160,
            ssrc: 42,
        }
        .write(&[0xd5; 160], &mut b);
        packets.push(b);
    }
    let params = MediaParams {
        law: Law::A,
        telephone_event: Some(101),
        ssrc: 7,
    };
    let mut service = Service::echo(params);
    let start = Instant::now();
    let t0 = Instant::now();
    let mut bytes = 0usize;
    for i in 0..n {
        let p = RtpPacket::parse(&packets[(i % 64) as usize]).expect("valid packet");
        service.on_rtp(t0, &p);
        while let Some(out) = service.poll_transmit(t0) {
            bytes += black_box(out).len();
        }
    }
    let elapsed = start.elapsed();
    println!(
        "echo relay: {n} packets in {:.2?}: {:.0} ns per packet received and sent ({:.2} µs CPU per call-second at 50 pps)",
        elapsed,
        elapsed.as_nanos() as f64 / f64::from(n),
        elapsed.as_nanos() as f64 / f64::from(n) * 50.0 / 1000.0
    );
    black_box(bytes);

    let frame = [0x55u8; 160];
    let mut out = Vec::with_capacity(160);
    let frames = 1_000_000u32;
    let start = Instant::now();
    for _ in 0..frames {
        out.clear();
        transcode(Law::A, Law::Mu, black_box(&frame), &mut out);
    }
    let elapsed = start.elapsed();
    println!(
        "G.711 A-law to μ-law: {:.0} ns per 20 ms frame",
        elapsed.as_nanos() as f64 / f64::from(frames)
    );
}
