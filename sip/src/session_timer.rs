//! RFC 4028 session timers: which interval a call's session runs on and which side refreshes
//! it, decided from header values. The refresher sends a re-INVITE or UPDATE every half
//! interval; the other side hangs up a session that was not refreshed in time. This is what
//! ends a call whose BYE was lost in signalling (a proxy or NAT that forgot the dialog).
//!
//! Values in, decisions out: the edge reads the headers and the call machine
//! ([`crate::call::Call`]) runs the timer.

use std::time::Duration;

/// Which side refreshes the session (RFC 4028 4, the `refresher` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    /// The caller (user agent client) refreshes.
    Uac,
    /// The callee (user agent server) refreshes.
    Uas,
}

impl Refresher {
    fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

/// A `Session-Expires` header value: `delta-seconds [;refresher=uac|uas]` (RFC 4028 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpires {
    /// The session interval in seconds.
    pub secs: u32,
    /// Who refreshes, when the header says.
    pub refresher: Option<Refresher>,
}

impl SessionExpires {
    /// Parse a header value; `None` when it is not one (unknown parameters are ignored).
    pub fn parse(value: &str) -> Option<SessionExpires> {
        let mut parts = value.split(';');
        let secs = parts.next()?.trim().parse::<u32>().ok()?;
        let mut refresher = None;
        for p in parts {
            if let Some((k, v)) = p.split_once('=')
                && k.trim().eq_ignore_ascii_case("refresher")
            {
                refresher = match v.trim().to_ascii_lowercase().as_str() {
                    "uac" => Some(Refresher::Uac),
                    "uas" => Some(Refresher::Uas),
                    _ => return None,
                };
            }
        }
        Some(SessionExpires { secs, refresher })
    }

    /// The header value to send.
    pub fn header_value(&self) -> String {
        match self.refresher {
            Some(r) => format!("{};refresher={}", self.secs, r.as_str()),
            None => self.secs.to_string(),
        }
    }
}

/// The interval a `Min-SE` header value asks for (RFC 4028 5), if it is one.
pub fn parse_min_se(value: &str) -> Option<u32> {
    value.split(';').next()?.trim().parse().ok()
}

/// Whether a `Supported` or `Require` header value lists the `timer` option tag.
pub fn lists_timer(value: &str) -> bool {
    value
        .split(',')
        .any(|tag| tag.trim().eq_ignore_ascii_case("timer"))
}

/// What this node wants: the interval it asks for and the shortest it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerPolicy {
    /// The session interval we ask for, in seconds.
    pub interval: u32,
    /// The shortest interval we accept, in seconds (our `Min-SE`, RFC 4028 5).
    pub min: u32,
}

/// A call's session timer as it runs: the interval and whether this side refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimer {
    /// The negotiated session interval.
    pub interval: Duration,
    /// Whether this side is the refresher.
    pub we_refresh: bool,
}

impl SessionTimer {
    /// When the refresher sends its refresh: half the interval (RFC 4028 10).
    pub fn refresh_after(&self) -> Duration {
        self.interval / 2
    }

    /// When the other side gives up on a session nobody refreshed: the interval less a
    /// third of it, at most 32 s (RFC 4028 10).
    pub fn expire_after(&self) -> Duration {
        self.interval - (self.interval / 3).min(Duration::from_secs(32))
    }
}

/// The UAS's answer to an INVITE's session-timer headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UasDecision {
    /// The asked interval is shorter than we accept: answer 422 with this `Min-SE`.
    TooSmall {
        /// The shortest interval we accept, in seconds.
        min_se: u32,
    },
    /// Run this timer; the 2xx carries `Session-Expires` (and `Require: timer` when the
    /// caller supports it).
    Run {
        /// The timer this side runs.
        timer: SessionTimer,
        /// The `Session-Expires` value for the 2xx, naming the refresher.
        response: SessionExpires,
        /// Whether the 2xx carries `Require: timer`.
        require: bool,
    },
}

/// RFC 4028 9: the UAS decides from the INVITE's `Session-Expires`, `Min-SE` and whether the
/// caller lists `timer` in `Supported`. A caller that does not support timers still gets one,
/// refreshed by us (`refresher=uas`), as the RFC allows.
pub fn negotiate_uas(
    policy: TimerPolicy,
    session_expires: Option<SessionExpires>,
    min_se: Option<u32>,
    supports_timer: bool,
) -> UasDecision {
    let floor = policy.min.max(min_se.unwrap_or(0));
    let secs = match session_expires {
        Some(se) if se.secs < policy.min => return UasDecision::TooSmall { min_se: policy.min },
        // The UAS may shorten the interval, never below the Min-SE in force.
        Some(se) => se.secs.min(policy.interval).max(floor),
        None => policy.interval.max(floor),
    };
    let refresher = match session_expires.and_then(|se| se.refresher) {
        _ if !supports_timer => Refresher::Uas,
        Some(r) => r,
        // Absent: the UAS chooses; the caller refreshes its own call.
        None => Refresher::Uac,
    };
    UasDecision::Run {
        timer: SessionTimer {
            interval: Duration::from_secs(u64::from(secs)),
            we_refresh: refresher == Refresher::Uas,
        },
        response: SessionExpires {
            secs,
            refresher: Some(refresher),
        },
        require: supports_timer,
    }
}

/// RFC 4028 7.2/7.4: the UAC's timer from the 2xx's `Session-Expires`. A 2xx without one
/// comes from a UAS that does not do timers; we refresh ourselves on our own interval.
pub fn negotiate_uac(policy: TimerPolicy, response: Option<SessionExpires>) -> SessionTimer {
    match response {
        Some(se) => SessionTimer {
            interval: Duration::from_secs(u64::from(se.secs.max(policy.min))),
            we_refresh: se.refresher != Some(Refresher::Uas),
        },
        None => SessionTimer {
            interval: Duration::from_secs(u64::from(policy.interval)),
            we_refresh: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: TimerPolicy = TimerPolicy {
        interval: 1800,
        min: 90,
    };

    #[test]
    fn session_expires_values_parse_and_bad_ones_are_refused() {
        assert_eq!(
            SessionExpires::parse("1800;refresher=uac"),
            Some(SessionExpires {
                secs: 1800,
                refresher: Some(Refresher::Uac)
            })
        );
        assert_eq!(
            SessionExpires::parse(" 90 ; foo=bar ; REFRESHER=UAS"),
            Some(SessionExpires {
                secs: 90,
                refresher: Some(Refresher::Uas)
            })
        );
        assert_eq!(
            SessionExpires::parse("600").map(|s| s.refresher),
            Some(None)
        );
        for bad in ["", "abc", "-5", "99999999999", "90;refresher=proxy"] {
            assert_eq!(SessionExpires::parse(bad), None, "{bad:?}");
        }
        assert_eq!(parse_min_se("120;x=y"), Some(120));
        assert!(lists_timer("replaces, Timer"));
        assert!(!lists_timer("timers,100rel"));
    }

    #[test]
    fn an_interval_below_our_minimum_is_answered_with_422() {
        let se = SessionExpires::parse("30").expect("valid");
        assert_eq!(
            negotiate_uas(POLICY, Some(se), None, true),
            UasDecision::TooSmall { min_se: 90 }
        );
    }

    #[test]
    fn the_caller_refreshes_when_it_says_so_or_leaves_it_to_us() {
        let se = SessionExpires::parse("600").expect("valid");
        let UasDecision::Run {
            timer,
            response,
            require,
        } = negotiate_uas(POLICY, Some(se), Some(90), true)
        else {
            panic!("runs");
        };
        assert_eq!(timer.interval, Duration::from_secs(600));
        assert!(!timer.we_refresh);
        assert_eq!(response.header_value(), "600;refresher=uac");
        assert!(require);
        let se = SessionExpires::parse("7200;refresher=uas").expect("valid");
        let UasDecision::Run {
            timer, response, ..
        } = negotiate_uas(POLICY, Some(se), None, true)
        else {
            panic!("runs");
        };
        assert!(timer.we_refresh);
        assert_eq!(response.secs, 1800, "the UAS shortens a long interval");
    }

    #[test]
    fn a_caller_without_timer_support_gets_our_refreshes() {
        let UasDecision::Run {
            timer,
            response,
            require,
        } = negotiate_uas(POLICY, None, None, false)
        else {
            panic!("runs");
        };
        assert!(timer.we_refresh);
        assert_eq!(response.header_value(), "1800;refresher=uas");
        assert!(!require);
    }

    #[test]
    fn refresh_and_expiry_fall_where_rfc_4028_puts_them() {
        let t = SessionTimer {
            interval: Duration::from_secs(1800),
            we_refresh: true,
        };
        assert_eq!(t.refresh_after(), Duration::from_secs(900));
        assert_eq!(t.expire_after(), Duration::from_secs(1768));
        let short = SessionTimer {
            interval: Duration::from_secs(90),
            we_refresh: false,
        };
        assert_eq!(short.expire_after(), Duration::from_secs(60));
    }

    #[test]
    fn the_uac_refreshes_unless_the_answer_gives_it_to_the_uas() {
        let uas = SessionExpires::parse("900;refresher=uas").expect("valid");
        assert!(!negotiate_uac(POLICY, Some(uas)).we_refresh);
        let uac = SessionExpires::parse("900;refresher=uac").expect("valid");
        assert!(negotiate_uac(POLICY, Some(uac)).we_refresh);
        let none = negotiate_uac(POLICY, None);
        assert!(none.we_refresh);
        assert_eq!(none.interval, Duration::from_secs(1800));
    }
}
