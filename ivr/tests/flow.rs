//! Flow validation and the interpreter, with a simulated clock.

#![allow(clippy::disallowed_methods)] // Tests pick an arbitrary origin for their clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_ivr::{Action, Flow, FlowError, Interpreter, Route};

/// The demo's kind of flow: hours check, a menu (1 sales, 2 support), a customer number for
/// support, VIPs (menu 9) with a higher priority.
fn hotline() -> Flow {
    serde_json::from_value(json!({
        "start": "hours",
        "nodes": {
            "hours": { "type": "hours", "schedule": "office", "open": "welcome", "closed": "closed" },
            "closed": { "type": "hangup", "prompt": "closed" },
            "welcome": { "type": "play", "prompt": "welcome", "next": "menu" },
            "menu": { "type": "menu", "prompt": "menu", "options": { "1": "sales", "2": "account", "9": "vip" },
                      "timeout_secs": 5, "retries": 2, "invalid_prompt": "invalid", "fallback": "support" },
            "account": { "type": "collect", "prompt": "enter-account", "variable": "account", "max_digits": 6, "next": "support" },
            "vip": { "type": "set_priority", "priority": 5, "next": "support" },
            "sales": { "type": "queue", "queue": "sales" },
            "support": { "type": "queue", "queue": "support" }
        }
    }))
    .expect("flow json")
}

fn actions(i: &mut Interpreter) -> Vec<Action> {
    std::iter::from_fn(|| i.poll_action()).collect()
}

fn done_route(actions: &[Action]) -> Option<&Route> {
    actions.iter().find_map(|a| match a {
        Action::Done { route, .. } => Some(route),
        _ => None,
    })
}

#[test]
fn the_demo_flow_is_valid() {
    assert_eq!(hotline().validate(), Ok(()));
}

#[test]
fn invalid_flows_are_refused_with_every_reason() {
    let cases = [
        (
            json!({ "start": "nope", "nodes": { "a": { "type": "hangup" } } }),
            "no start",
        ),
        (
            json!({ "start": "a", "nodes": { "a": { "type": "play", "prompt": "p", "next": "ghost" } } }),
            "dangling",
        ),
        (
            json!({ "start": "a", "nodes": { "a": { "type": "hangup" }, "b": { "type": "hangup" } } }),
            "unreachable",
        ),
        (
            json!({ "start": "a", "nodes": {
            "a": { "type": "play", "prompt": "p", "next": "b" },
            "b": { "type": "set_priority", "priority": 1, "next": "a" } } }),
            "loop without input",
        ),
        (
            json!({ "start": "m", "nodes": {
            "m": { "type": "menu", "prompt": "p", "options": { "x": "q" }, "fallback": "q" },
            "q": { "type": "queue", "queue": "support" } } }),
            "not a key",
        ),
        (
            json!({ "start": "c", "nodes": {
            "c": { "type": "collect", "prompt": "p", "variable": "v", "max_digits": 0, "next": "q" },
            "q": { "type": "queue", "queue": "support" } } }),
            "zero digits",
        ),
    ];
    for (json, why) in cases {
        let flow: Flow = serde_json::from_value(json).expect("parses");
        assert!(flow.validate().is_err(), "{why}");
    }
    let looping: Flow = serde_json::from_value(json!({ "start": "a", "nodes": {
        "a": { "type": "play", "prompt": "p", "next": "b" },
        "b": { "type": "set_variable", "name": "x", "value": "1", "next": "a" } } }))
    .expect("parses");
    let errors = looping.validate().expect_err("a loop without input");
    assert!(
        matches!(&errors[..], [FlowError::LoopWithoutInput(nodes)] if nodes.len() == 3),
        "{errors:?}"
    );
    // A loop through a menu waits on the caller: allowed.
    let menu_loop: Flow = serde_json::from_value(json!({ "start": "m", "nodes": {
        "m": { "type": "menu", "prompt": "p", "options": { "0": "m2", "1": "q" }, "fallback": "q" },
        "m2": { "type": "play", "prompt": "again", "next": "m" },
        "q": { "type": "queue", "queue": "support" } } }))
    .expect("parses");
    assert_eq!(menu_loop.validate(), Ok(()));
    // Unknown node types and fields do not parse at all.
    assert!(
        serde_json::from_value::<Flow>(
            json!({ "start": "a", "nodes": { "a": { "type": "teleport" } } })
        )
        .is_err()
    );
}

#[test]
fn a_caller_who_presses_2_and_enters_an_account_reaches_support_with_it() {
    let t0 = Instant::now();
    let mut i = Interpreter::start(Arc::new(hotline()));
    assert_eq!(actions(&mut i), [Action::CheckHours("office".into())]);
    i.hours(true);
    assert_eq!(actions(&mut i), [Action::Play("welcome".into())]);
    i.prompt_done(t0);
    assert_eq!(actions(&mut i), [Action::Play("menu".into())]);
    // Barge-in: the key stops the menu prompt.
    i.key(t0, '2');
    assert_eq!(
        actions(&mut i),
        [Action::StopPrompt, Action::Play("enter-account".into())]
    );
    i.prompt_done(t0);
    for k in "123".chars() {
        i.key(t0, k);
    }
    i.key(t0, '#');
    let out = actions(&mut i);
    match &out[..] {
        [
            Action::Done {
                route,
                variables,
                choices,
            },
        ] => {
            assert_eq!(
                route,
                &Route::Queue {
                    queue: "support".into(),
                    priority: 0
                }
            );
            assert_eq!(variables.get("account").map(String::as_str), Some("123"));
            assert_eq!(choices, &[("menu".to_owned(), '2')]);
        }
        other => panic!("{other:?}"),
    }
    assert!(i.is_done());
}

#[test]
fn a_closed_hour_plays_the_closed_prompt_and_hangs_up() {
    let t0 = Instant::now();
    let mut i = Interpreter::start(Arc::new(hotline()));
    actions(&mut i);
    i.hours(false);
    assert_eq!(actions(&mut i), [Action::Play("closed".into())]);
    i.prompt_done(t0);
    assert_eq!(done_route(&actions(&mut i)), Some(&Route::Hangup));
}

#[test]
fn silence_and_wrong_keys_retry_then_fall_back() {
    let t0 = Instant::now();
    let mut i = Interpreter::start(Arc::new(hotline()));
    actions(&mut i);
    i.hours(true);
    i.prompt_done(t0);
    i.prompt_done(t0); // the menu prompt played; now 5 s to press
    actions(&mut i);
    assert_eq!(i.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    i.handle_timeout(t0 + Duration::from_secs(4));
    assert_eq!(actions(&mut i), [], "not yet");
    i.handle_timeout(t0 + Duration::from_secs(5));
    assert_eq!(
        actions(&mut i),
        [Action::Play("menu".into())],
        "first retry"
    );
    i.prompt_done(t0 + Duration::from_secs(6));
    i.key(t0 + Duration::from_secs(7), '7');
    assert_eq!(
        actions(&mut i),
        [Action::Play("invalid".into())],
        "second retry, after the invalid prompt"
    );
    i.prompt_done(t0 + Duration::from_secs(8));
    assert_eq!(actions(&mut i), [Action::Play("menu".into())]);
    i.prompt_done(t0 + Duration::from_secs(9));
    i.handle_timeout(t0 + Duration::from_secs(14));
    assert_eq!(
        done_route(&actions(&mut i)),
        Some(&Route::Queue {
            queue: "support".into(),
            priority: 0
        }),
        "retries spent: the fallback"
    );
}

#[test]
fn vips_get_their_priority_and_sales_its_queue() {
    let t0 = Instant::now();
    for (key, want) in [
        (
            '9',
            Route::Queue {
                queue: "support".into(),
                priority: 5,
            },
        ),
        (
            '1',
            Route::Queue {
                queue: "sales".into(),
                priority: 0,
            },
        ),
    ] {
        let mut i = Interpreter::start(Arc::new(hotline()));
        i.hours(true);
        i.prompt_done(t0);
        i.prompt_done(t0);
        actions(&mut i);
        i.key(t0, key);
        assert_eq!(done_route(&actions(&mut i)), Some(&want));
    }
}

#[test]
fn input_out_of_turn_changes_nothing() {
    let t0 = Instant::now();
    let mut i = Interpreter::start(Arc::new(hotline()));
    actions(&mut i);
    // Keys and prompt reports while the hours are being checked are ignored.
    i.key(t0, '1');
    i.prompt_done(t0);
    i.handle_timeout(t0 + Duration::from_secs(100));
    assert_eq!(actions(&mut i), []);
    i.hours(true);
    assert_eq!(actions(&mut i), [Action::Play("welcome".into())]);
    // A second hours answer is not expected any more.
    i.hours(false);
    assert_eq!(actions(&mut i), []);
}
