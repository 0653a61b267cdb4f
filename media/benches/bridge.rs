//! CPU and memory of bridged calls on the server side, in process: for each call a trunk leg
//! (RTP through `Service::relay`), the `Bridge`, and a browser leg on the WebRTC `Endpoint`
//! (SRTP through str0m), G.711 pass-through both ways, recording taps on. Simulated browsers
//! (plain str0m peers) are on the other side; their work is not counted.
//!
//!     cargo bench -p switchboard-media --bench bridge [-- <calls> <seconds> [opus]]
//!
//! With `opus`, the browsers prefer Opus and the server transcodes at the leg's edge.
//!
//! Prints figures; never fails on time.
#![allow(clippy::disallowed_methods)] // A benchmark reads the clock.

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Browser, SERVER, pump, run};
use switchboard_media::bridge::{Bridge, BridgeOutput};
use switchboard_media::g711::Law;
use switchboard_media::rtp::{RtpHeader, RtpPacket};
use switchboard_media::service::{MediaParams, Service};
use switchboard_media::webrtc::{AudioFrame, Endpoint, LegEvent, Output};

/// Resident memory of this process, in bytes (Linux).
fn rss() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<f64>().ok())
        })
        .map_or(0.0, |pages| pages * 4096.0)
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let opus = args.next().as_deref() == Some("opus");
    let t0 = Instant::now();
    let mut ep = Endpoint::new(vec![SERVER.parse().expect("addr")], 7).expect("endpoint");
    // Browsers make their offers first, so the server's share of memory can be told apart.
    let mut offers = Vec::new();
    let mut browsers: Vec<Browser> = (0..calls)
        .map(|i| {
            let addr = SocketAddr::from(([10, 1, (i / 250) as u8, (i % 250) as u8 + 1], 40000));
            let (b, offer, pending) = Browser::offer_with(t0, addr, opus);
            offers.push((offer, pending));
            b
        })
        .collect();
    let rss_before_legs = rss();
    let answers: Vec<_> = offers
        .iter()
        .map(|(offer, _)| ep.accept_offer(t0, None, offer).expect("accepted"))
        .collect();
    let leg_bytes = (rss() - rss_before_legs) / calls as f64;
    for ((b, (_, pending)), (leg, answer)) in browsers.iter_mut().zip(offers).zip(answers) {
        b.accept(leg, &answer, pending);
    }
    run(&mut ep, &mut browsers, t0, Duration::from_millis(500));
    assert!(
        browsers.iter().all(|b| b.connected),
        "every browser connected"
    );
    let legs: Vec<_> = browsers.iter().map(|b| b.leg.expect("leg")).collect();

    let rss_before_bridges = rss();
    let mut services: Vec<Service> = (0..calls)
        .map(|i| {
            Service::relay(MediaParams {
                law: Law::Mu,
                telephone_event: Some(101),
                ssrc: i as u32 + 1,
            })
        })
        .collect();
    let mut bridges: Vec<Bridge> = (0..calls)
        .map(|_| {
            let mut b = Bridge::new(Law::Mu, vec![0; 3200], true);
            b.set_agent(Some(&[Law::Mu, Law::A]));
            b
        })
        .collect();
    let bridge_bytes = (rss() - rss_before_bridges) / calls as f64;

    let mut caller_packets = Vec::new();
    for seq in 0..50u16 {
        let mut p = Vec::new();
        RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: seq,
            timestamp: u32::from(seq) * 160,
            ssrc: 9,
        }
        .write(&[0x55; 160], &mut p);
        caller_packets.push(p);
    }
    let mut server = Duration::ZERO;
    let (mut to_agent, mut to_caller, mut recorded) = (0u64, 0u64, 0u64);
    let ticks = seconds * 50;
    let mut now = t0 + Duration::from_millis(600);
    for tick in 0..ticks {
        // The browsers speak (not timed), their datagrams are the server's input.
        let mut inbound = Vec::with_capacity(calls);
        for b in &mut browsers {
            b.send_frame(now, &[0x55; 160]);
            inbound.push(b.drain_datagrams());
        }
        let start = Instant::now();
        let mut outbound = Vec::with_capacity(calls * 2);
        for i in 0..calls {
            // Caller -> agent.
            let p = RtpPacket::parse(&caller_packets[(tick % 50) as usize]).expect("rtp");
            services[i].on_rtp(now, &p);
            while let Some(frame) = services[i].take_received() {
                bridges[i].from_caller(now, &frame);
            }
            // Agent -> caller.
            for d in &inbound[i] {
                ep.receive(now, browsers[i].addr, d);
            }
        }
        while let Some(out) = ep.poll_output() {
            match out {
                Output::Event(leg, LegEvent::Audio(f)) => {
                    let i = (leg.0 - legs[0].0) as usize;
                    bridges[i].from_agent(now, f.law, &f.payload);
                }
                Output::Transmit { to, data } => outbound.push((to, data)),
                _ => {}
            }
        }
        for i in 0..calls {
            bridges[i].handle_timeout(now);
            while let Some(out) = bridges[i].poll_output() {
                match out {
                    BridgeOutput::ToAgent { law, payload } => {
                        let frame = AudioFrame {
                            law,
                            timestamp: tick as u32 * 160,
                            payload,
                        };
                        let _ = ep.send_audio(now, legs[i], &frame);
                        to_agent += 1;
                    }
                    BridgeOutput::ToCaller(p) => services[i].push(&p),
                    BridgeOutput::Record(r) => recorded += r.len() as u64,
                    BridgeOutput::ToSupervisor { .. } | BridgeOutput::AnnouncementDone => {}
                }
            }
            while let Some(rtp) = services[i].poll_transmit(now) {
                to_caller += 1;
                std::hint::black_box(rtp);
            }
        }
        ep.handle_timeout(now);
        while let Some(out) = ep.poll_output() {
            if let Output::Transmit { to, data } = out {
                outbound.push((to, data));
            }
        }
        server += start.elapsed();
        // Deliver to the browsers (not timed).
        for (to, data) in outbound {
            if let Some(i) = browsers.iter().position(|b| b.addr == to) {
                browsers[i].receive(now, &data);
            }
        }
        for b in &mut browsers {
            if b.deadline <= now {
                let _ = b.rtc.handle_input(str0m::Input::Timeout(now));
            }
            b.drain(now, &mut ep);
        }
        pump(&mut ep, &mut browsers, now);
        now += Duration::from_millis(20);
    }
    let per_call_tick = server.as_secs_f64() * 1e6 / (calls as f64 * ticks as f64);
    let path = if opus {
        "Opus to the browser, transcoded from and to the trunk's G.711"
    } else {
        "G.711 pass-through"
    };
    println!(
        "bridged calls ({path}, SRTP to the browser, recording taps): {calls} calls x {ticks} ticks of 20 ms"
    );
    println!(
        "  server CPU: {per_call_tick:.1} µs per call per 20 ms -> {:.0} calls per core at 100%",
        20_000.0 / per_call_tick
    );
    println!(
        "  frames: {to_agent} to agents, {to_caller} to callers, {} s of stereo recorded per call",
        recorded / 2 / 8000 / calls as u64
    );
    let received: u64 = browsers.iter().map(|b| b.received).sum();
    println!(
        "  browsers received {received} of {to_agent} frames sent ({:.3}% lost)",
        100.0 * (to_agent.saturating_sub(received)) as f64 / to_agent.max(1) as f64
    );
    println!(
        "  memory per call (resident growth when created): {:.1} KiB WebRTC leg (str0m Rtc) + {:.1} KiB bridge and trunk relay",
        leg_bytes / 1024.0,
        bridge_bytes / 1024.0
    );
}
