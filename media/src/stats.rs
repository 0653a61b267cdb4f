//! Reception statistics of one RTP source (RFC 3550 appendix A): extended sequence numbers with
//! wrap-around, packets expected and lost, fraction lost per report interval, and interarrival
//! jitter. Arrival times are given by the caller.

use std::time::Instant;

/// Tracks one source. Feed every packet with [`ReceiverStats::record`].
#[derive(Debug, Clone)]
pub struct ReceiverStats {
    clock_rate: u32,
    base_seq: Option<u32>,
    max_seq: u16,
    cycles: u32,
    received: u64,
    // For the fraction lost of the current interval (A.3).
    expected_prior: u64,
    received_prior: u64,
    // Jitter (A.8), in timestamp units, scaled by 16 as in the reference code.
    jitter_q4: u32,
    transit: Option<i64>,
    epoch: Option<Instant>,
}

/// A snapshot for an RTCP report block or the call record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReceptionReport {
    /// Fraction of packets lost since the previous report, 0-255 (RFC 3550 6.4.1).
    pub fraction_lost: u8,
    /// Cumulative packets lost (may be negative with duplicates), 24-bit clamped.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_max_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
}

/// Largest forward jump in sequence accepted as in-order (A.1's MAX_DROPOUT).
const MAX_DROPOUT: u16 = 3000;

impl ReceiverStats {
    /// Statistics of a source whose RTP clock runs at `clock_rate` Hz (8000 for G.711).
    pub fn new(clock_rate: u32) -> ReceiverStats {
        ReceiverStats {
            clock_rate,
            base_seq: None,
            max_seq: 0,
            cycles: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            jitter_q4: 0,
            transit: None,
            epoch: None,
        }
    }

    /// Record a packet with sequence `seq` and RTP timestamp `ts` that arrived at `now`.
    pub fn record(&mut self, now: Instant, seq: u16, ts: u32) {
        self.received += 1;
        match self.base_seq {
            None => {
                self.base_seq = Some(u32::from(seq));
                self.max_seq = seq;
            }
            Some(_) => {
                let delta = seq.wrapping_sub(self.max_seq);
                if delta > 0 && delta < MAX_DROPOUT {
                    if seq < self.max_seq {
                        self.cycles = self.cycles.wrapping_add(1 << 16);
                    }
                    self.max_seq = seq;
                }
                // Late, duplicate or wildly out-of-order packets count as received but do not
                // move the highest sequence number.
            }
        }
        // Jitter (A.8): D = (Rj - Ri) - (Sj - Si) in timestamp units.
        let epoch = *self.epoch.get_or_insert(now);
        let arrival = (now.duration_since(epoch).as_secs_f64() * f64::from(self.clock_rate)) as i64;
        let transit = arrival - i64::from(ts);
        if let Some(prev) = self.transit {
            let d = (transit - prev)
                .unsigned_abs()
                .min(u64::from(u32::MAX >> 4)) as u32;
            // J += (|D| - J) / 16, in Q4 fixed point.
            self.jitter_q4 = self
                .jitter_q4
                .wrapping_add(d)
                .wrapping_sub((self.jitter_q4 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// Packets received so far, duplicates and late ones included.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The highest sequence number received, extended with the count of wraps in the high
    /// 16 bits (RFC 3550 A.1).
    pub fn extended_max_seq(&self) -> u32 {
        self.cycles | u32::from(self.max_seq)
    }

    /// Packets expected so far.
    pub fn expected(&self) -> u64 {
        match self.base_seq {
            None => 0,
            Some(base) => u64::from(self.extended_max_seq()).saturating_sub(u64::from(base)) + 1,
        }
    }

    /// Packets lost so far (negative when duplicates arrived).
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// Jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// Jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        f64::from(self.jitter()) * 1000.0 / f64::from(self.clock_rate)
    }

    /// A report for an RTCP report block; starts a new interval for the fraction lost.
    pub fn report(&mut self) -> ReceptionReport {
        let expected = self.expected();
        let expected_interval = expected - self.expected_prior;
        let received_interval = self.received - self.received_prior;
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        ReceptionReport {
            fraction_lost,
            cumulative_lost: self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_max_seq: self.extended_max_seq(),
            jitter: self.jitter(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // A test picks an arbitrary origin for its clock.
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_clean_stream_has_no_loss_and_no_jitter() {
        let t0 = Instant::now();
        let mut s = ReceiverStats::new(8000);
        for i in 0..100u16 {
            s.record(
                t0 + Duration::from_millis(20 * u64::from(i)),
                i,
                u32::from(i) * 160,
            );
        }
        let r = s.report();
        assert_eq!(s.expected(), 100);
        assert_eq!(r.fraction_lost, 0);
        assert_eq!(r.cumulative_lost, 0);
        assert!(r.jitter <= 1, "{}", r.jitter);
    }

    #[test]
    fn losses_are_counted_across_a_sequence_wrap() {
        let t0 = Instant::now();
        let mut s = ReceiverStats::new(8000);
        let mut seq = 65500u16;
        for i in 0..100u32 {
            if i % 10 != 3 {
                s.record(t0 + Duration::from_millis(20 * u64::from(i)), seq, i * 160);
            }
            seq = seq.wrapping_add(1);
        }
        let r = s.report();
        assert_eq!(s.expected(), 100);
        assert_eq!(r.cumulative_lost, 10);
        assert_eq!(r.fraction_lost, (10 * 256 / 100) as u8);
        assert_eq!(
            r.extended_max_seq,
            (1 << 16) | u32::from(seq.wrapping_sub(1))
        );
        // The next interval has no loss.
        for i in 100..110u32 {
            s.record(t0 + Duration::from_millis(20 * u64::from(i)), seq, i * 160);
            seq = seq.wrapping_add(1);
        }
        assert_eq!(s.report().fraction_lost, 0);
    }

    #[test]
    fn jitter_follows_arrival_variation() {
        let t0 = Instant::now();
        let mut s = ReceiverStats::new(8000);
        for i in 0..500u32 {
            // Alternate 10 ms early and late: |D| = 20 ms = 160 units between packets.
            let wobble = if i % 2 == 0 { 0 } else { 20 };
            s.record(
                t0 + Duration::from_millis(20 * u64::from(i) + wobble),
                i as u16,
                i * 160,
            );
        }
        let j = s.jitter_ms();
        assert!((18.0..=22.0).contains(&j), "{j}");
    }
}
