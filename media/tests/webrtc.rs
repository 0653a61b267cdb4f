//! The WebRTC endpoint against real str0m peers over an in-memory link, with a simulated
//! clock: ICE-lite, DTLS-SRTP, audio both ways, many legs on one address, bad input.

#![allow(clippy::disallowed_methods)] // Tests pick an arbitrary origin for their clock.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Browser, SERVER, pump, run};
use switchboard_media::g711::Law;
use switchboard_media::webrtc::{AudioFrame, CloseReason, Endpoint, LegEvent, WebRtcError};

fn endpoint() -> Endpoint {
    Endpoint::new(vec![SERVER.parse().expect("addr")], 42).expect("endpoint")
}

fn addr(i: u16) -> SocketAddr {
    SocketAddr::from(([10, 0, 1, (i % 250) as u8 + 1], 40000 + i))
}

#[test]
fn browsers_connect_and_audio_flows_both_ways_on_one_socket() {
    let t0 = Instant::now();
    let mut ep = endpoint();
    let mut browsers: Vec<Browser> = (0..3)
        .map(|i| Browser::connect(&mut ep, t0, addr(i)))
        .collect();
    let events = run(&mut ep, &mut browsers, t0, Duration::from_millis(500));
    let connected = events
        .iter()
        .filter(|(_, e)| *e == LegEvent::Connected)
        .count();
    assert_eq!(connected, 3, "{events:?}");
    assert!(browsers.iter().all(|b| b.connected));
    assert_eq!(ep.len(), 3);

    // Browser 1 speaks; only its leg hears from it.
    let mut t = t0 + Duration::from_millis(501);
    let mut heard = Vec::new();
    for _ in 0..10 {
        browsers[1].send_frame(t, &[0x55; 160]);
        heard.extend(run(&mut ep, &mut browsers, t, Duration::from_millis(19)));
        t += Duration::from_millis(20);
    }
    let frames: Vec<_> = heard
        .iter()
        .filter_map(|(leg, e)| match e {
            LegEvent::Audio(f) => Some((*leg, f.clone())),
            _ => None,
        })
        .collect();
    assert!(frames.len() >= 9, "{}", frames.len());
    assert!(frames.iter().all(|(leg, f)| Some(*leg) == browsers[1].leg
        && f.law == Law::Mu
        && f.payload == vec![0x55; 160]));

    // The endpoint speaks to browser 2 in A-law (both laws were negotiated).
    let leg2 = browsers[2].leg.expect("leg");
    assert_eq!(ep.laws(leg2), [Law::Mu, Law::A]);
    for i in 0..10u32 {
        ep.send_audio(
            t,
            leg2,
            &AudioFrame {
                law: Law::A,
                timestamp: i * 160,
                payload: vec![0xd5; 160],
            },
        )
        .expect("send");
        run(&mut ep, &mut browsers, t, Duration::from_millis(19));
        t += Duration::from_millis(20);
    }
    assert!(browsers[2].received >= 9, "{}", browsers[2].received);
    assert_eq!(browsers[0].received, 0);
}

#[test]
fn garbage_and_strangers_are_dropped_without_touching_the_legs() {
    let t0 = Instant::now();
    let mut ep = endpoint();
    let mut browsers = vec![Browser::connect(&mut ep, t0, addr(1))];
    run(&mut ep, &mut browsers, t0, Duration::from_millis(300));
    assert!(browsers[0].connected);
    let stranger = addr(99);
    for junk in [
        &[][..],
        &[0u8; 1][..],
        &[0x00, 0x01, 0x00, 0x08][..],
        &[0x80; 200][..],
        b"INVITE sip:x SIP/2.0\r\n",
    ] {
        assert!(!ep.receive(t0, stranger, junk));
    }
    // Garbage from a known address goes to its leg, which survives it.
    ep.receive(t0, addr(1), &[0x80; 100]);
    ep.receive(t0, addr(1), &[0x17, 0xfe, 0xfd, 0, 0]);
    assert_eq!(ep.len(), 1);
    assert!(matches!(
        ep.accept_offer(t0, None, "v=0\r\nnonsense"),
        Err(WebRtcError::BadSdp(_))
    ));
    assert_eq!(ep.len(), 1);
}

#[test]
fn a_leg_whose_browser_goes_silent_is_closed_when_consent_expires() {
    let t0 = Instant::now();
    let mut ep = endpoint();
    let mut browsers = vec![Browser::connect(&mut ep, t0, addr(1))];
    run(&mut ep, &mut browsers, t0, Duration::from_millis(300));
    let leg = browsers[0].leg.expect("leg");
    // The browser vanishes (no more input from it).
    let mut gone: Vec<Browser> = Vec::new();
    let mut t = t0 + Duration::from_millis(300);
    let mut closed = None;
    while t < t0 + Duration::from_secs(60) && closed.is_none() {
        ep.handle_timeout(t);
        closed = pump(&mut ep, &mut gone, t)
            .into_iter()
            .find_map(|(l, e)| matches!(e, LegEvent::Closed(_)).then_some((l, e)));
        t += Duration::from_millis(100);
    }
    assert_eq!(
        closed,
        Some((leg, LegEvent::Closed(CloseReason::Disconnected)))
    );
    assert!(ep.is_empty());
}

#[test]
fn closing_a_leg_frees_it_and_its_address() {
    let t0 = Instant::now();
    let mut ep = endpoint();
    let mut browsers = vec![Browser::connect(&mut ep, t0, addr(1))];
    run(&mut ep, &mut browsers, t0, Duration::from_millis(300));
    let leg = browsers[0].leg.expect("leg");
    ep.close(t0, leg);
    let events = pump(&mut ep, &mut browsers, t0);
    assert!(events.contains(&(leg, LegEvent::Closed(CloseReason::Requested))));
    assert!(ep.is_empty());
    assert!(matches!(
        ep.send_audio(
            t0,
            leg,
            &AudioFrame {
                law: Law::Mu,
                timestamp: 0,
                payload: vec![0; 160]
            }
        ),
        Err(WebRtcError::UnknownLeg)
    ));
}

#[test]
fn a_browser_that_prefers_opus_gets_opus_transcoded_at_the_legs_edge() {
    let t0 = Instant::now();
    let mut ep = endpoint();
    let (mut browser, offer, pending) = Browser::offer_with(t0, addr(5), true);
    let (leg, answer) = ep.accept_offer(t0, None, &offer).expect("accepted");
    assert!(answer.contains("opus/48000"), "{answer}");
    browser.accept(leg, &answer, pending);
    let mut browsers = vec![browser];
    run(&mut ep, &mut browsers, t0, Duration::from_millis(500));
    assert!(browsers[0].connected);
    assert_eq!(
        ep.laws(leg),
        [Law::Mu, Law::A],
        "the bridge may send either law"
    );
    // The bridge sends G.711; the browser receives Opus.
    let mut t = t0 + Duration::from_millis(501);
    let mut heard = Vec::new();
    for i in 0..20u32 {
        let tone: Vec<u8> = (0..160)
            .map(|n| {
                Law::A.encode(
                    (((i * 160 + n) as f64 / 8000.0 * 440.0 * std::f64::consts::TAU).sin() * 8000.0)
                        as i16,
                )
            })
            .collect();
        ep.send_audio(
            t,
            leg,
            &AudioFrame {
                law: Law::A,
                timestamp: i * 160,
                payload: tone,
            },
        )
        .expect("send");
        browsers[0].send_frame(t, &[0x55; 160]);
        heard.extend(run(&mut ep, &mut browsers, t, Duration::from_millis(19)));
        t += Duration::from_millis(20);
    }
    assert!(browsers[0].received >= 18, "{}", browsers[0].received);
    assert_eq!(browsers[0].codecs, [str0m::format::Codec::Opus]);
    // The browser's Opus arrives as 20 ms of G.711 in the law last sent to it.
    let frames: Vec<_> = heard
        .iter()
        .filter_map(|(_, e)| match e {
            LegEvent::Audio(f) => Some(f),
            _ => None,
        })
        .collect();
    assert!(frames.len() >= 18, "{}", frames.len());
    assert!(
        frames
            .iter()
            .all(|f| f.law == Law::A && f.payload.len() == 160)
    );
}
