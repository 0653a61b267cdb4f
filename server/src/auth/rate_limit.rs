//! Fixed-window counters for sign-in attempts, per account and per source address. Sans-IO:
//! the caller passes the time. One node's memory; a cluster shares nothing here yet, so the
//! effective limit is per node.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Counts events per key in fixed windows.
#[derive(Debug)]
pub struct WindowCounter {
    limit: u32,
    window: Duration,
    entries: HashMap<String, (Instant, u32)>,
}

/// How many distinct keys are kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;

impl WindowCounter {
    pub fn new(limit: u32, window: Duration) -> WindowCounter {
        WindowCounter {
            limit,
            window,
            entries: HashMap::new(),
        }
    }

    /// `Err(retry_after)` if `key` has reached its limit in the current window.
    pub fn check(&self, now: Instant, key: &str) -> Result<(), Duration> {
        match self.entries.get(key) {
            Some(&(start, count)) if count >= self.limit => {
                let end = start + self.window;
                if now < end { Err(end - now) } else { Ok(()) }
            }
            _ => Ok(()),
        }
    }

    /// Count one event for `key`.
    pub fn hit(&mut self, now: Instant, key: &str) {
        if self.entries.len() >= SWEEP_AT {
            let window = self.window;
            self.entries.retain(|_, (start, _)| now < *start + window);
        }
        let entry = self.entries.entry(key.to_owned()).or_insert((now, 0));
        if now >= entry.0 + self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Forget `key` (a successful sign-in clears the account's failures).
    pub fn clear(&mut self, key: &str) {
        self.entries.remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_for_the_window_then_resets() {
        let t0 = Instant::now();
        let mut c = WindowCounter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(c.check(t0, "k").is_ok());
            c.hit(t0, "k");
        }
        assert_eq!(
            c.check(t0 + Duration::from_secs(10), "k"),
            Err(Duration::from_secs(50))
        );
        assert!(c.check(t0, "other").is_ok());
        assert!(c.check(t0 + Duration::from_secs(60), "k").is_ok());
        c.hit(t0 + Duration::from_secs(61), "k");
        assert!(c.check(t0 + Duration::from_secs(61), "k").is_ok());
    }

    #[test]
    fn clearing_a_key_forgets_its_count() {
        let t0 = Instant::now();
        let mut c = WindowCounter::new(1, Duration::from_secs(60));
        c.hit(t0, "k");
        assert!(c.check(t0, "k").is_err());
        c.clear("k");
        assert!(c.check(t0, "k").is_ok());
    }

    #[test]
    fn expired_keys_are_swept_when_the_table_is_large() {
        let t0 = Instant::now();
        let mut c = WindowCounter::new(1, Duration::from_secs(1));
        for i in 0..SWEEP_AT {
            c.hit(t0, &i.to_string());
        }
        c.hit(t0 + Duration::from_secs(2), "late");
        assert_eq!(c.len(), 1);
    }
}
