//! Whether the far end of a call is still there, judged by its media: a call whose far end has
//! sent neither RTP nor RTCP for the configured time is dead, even if its BYE never arrives
//! (a NAT binding that expired, a proxy or carrier that failed). rtpengine, FreeSWITCH and
//! Asterisk end such calls the same way.
//!
//! A stream the far end does not send on (hold: `sendonly`, `recvonly` or `inactive`, RFC 3264
//! 8.4) is not judged: silence there is expected. Time is an input; the driver asks
//! [`Liveness::poll_timeout`] when to look again and [`Liveness::is_dead`] at that time.

use std::time::{Duration, Instant};

/// The far end's media liveness on one call.
#[derive(Debug, Clone)]
pub struct Liveness {
    timeout: Duration,
    /// When the far end was last heard (RTP or RTCP), or when judging (re)started.
    heard: Instant,
    /// Judged only while the stream is `sendrecv`.
    judged: bool,
}

impl Liveness {
    /// Start judging at `now` (the call connected): the far end must be heard within
    /// `timeout`.
    pub fn new(now: Instant, timeout: Duration) -> Liveness {
        Liveness {
            timeout,
            heard: now,
            judged: true,
        }
    }

    /// A packet (RTP or RTCP) came from the far end at `now`.
    pub fn heard(&mut self, now: Instant) {
        self.heard = self.heard.max(now);
    }

    /// The stream's direction changed at `now` (a re-INVITE): `sendrecv` is judged, any hold
    /// is not. Coming back from hold gives the far end a whole `timeout` again.
    pub fn set_judged(&mut self, now: Instant, sendrecv: bool) {
        if sendrecv && !self.judged {
            self.heard = now;
        }
        self.judged = sendrecv;
    }

    /// When the far end is dead if nothing is heard before; `None` while on hold.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.judged.then(|| self.heard + self.timeout)
    }

    /// Whether the far end has been silent for the whole timeout at `now`.
    pub fn is_dead(&self, now: Instant) -> bool {
        self.poll_timeout().is_some_and(|deadline| now >= deadline)
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // A test picks an arbitrary origin for its clock.
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(30);

    #[test]
    fn a_far_end_heard_in_time_is_alive_and_one_silent_for_the_timeout_is_dead() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, T);
        assert!(!l.is_dead(t0 + T - Duration::from_millis(1)));
        l.heard(t0 + Duration::from_secs(20));
        assert!(!l.is_dead(t0 + T));
        assert_eq!(l.poll_timeout(), Some(t0 + Duration::from_secs(50)));
        assert!(l.is_dead(t0 + Duration::from_secs(50)));
    }

    #[test]
    fn a_call_never_heard_at_all_is_dead_after_the_timeout() {
        let t0 = Instant::now();
        let l = Liveness::new(t0, T);
        assert!(l.is_dead(t0 + T));
    }

    #[test]
    fn a_call_on_hold_is_never_dead_and_gets_a_whole_timeout_back() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, T);
        l.set_judged(t0 + Duration::from_secs(1), false);
        assert_eq!(l.poll_timeout(), None);
        assert!(!l.is_dead(t0 + Duration::from_secs(3600)));
        let back = t0 + Duration::from_secs(3600);
        l.set_judged(back, true);
        assert!(!l.is_dead(back + T - Duration::from_millis(1)));
        assert!(l.is_dead(back + T));
    }

    #[test]
    fn a_late_packet_report_never_moves_the_clock_back() {
        let t0 = Instant::now();
        let mut l = Liveness::new(t0, T);
        l.heard(t0 + Duration::from_secs(10));
        l.heard(t0 + Duration::from_secs(5));
        assert_eq!(l.poll_timeout(), Some(t0 + Duration::from_secs(40)));
    }
}
