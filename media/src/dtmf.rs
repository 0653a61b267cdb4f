//! RFC 4733 telephone events (DTMF over RTP): the 4-byte payload, a receiver that reports each
//! key press once despite the redundant packets and retransmitted end packets the RFC requires,
//! and a sender that produces the packet train for a digit.

/// Why a payload is not a telephone event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// Shorter than 4 bytes.
    #[error("telephone-event payload shorter than 4 bytes")]
    Truncated,
    /// An event code that is not a DTMF key (RFC 4733 section 3.2: 0-15).
    #[error("event code {0} is not a DTMF key")]
    NotDtmf(u8),
}

/// One telephone-event payload (RFC 4733 section 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// 0-9, 10 = `*`, 11 = `#`, 12-15 = A-D.
    pub event: u8,
    /// The E bit: set on the packets that end the event (RFC 4733 section 2.3.2).
    pub end: bool,
    /// Power level in -dBm0, 0-63.
    pub volume: u8,
    /// Duration so far, in timestamp units (8 kHz: 160 per 20 ms).
    pub duration: u16,
}

impl TelephoneEvent {
    /// Read the first 4 bytes of an RTP payload; refuses short payloads and codes above 15.
    pub fn parse(payload: &[u8]) -> Result<TelephoneEvent, DtmfError> {
        let b = payload.get(..4).ok_or(DtmfError::Truncated)?;
        if b[0] > 15 {
            return Err(DtmfError::NotDtmf(b[0]));
        }
        Ok(TelephoneEvent {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// The 4-byte payload (the reserved R bit is zero).
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            u8::from(self.end) << 7 | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }

    /// The key as a character: `0`-`9`, `*`, `#`, `A`-`D`.
    pub fn key(self) -> char {
        key_of(self.event)
    }
}

/// The character of a DTMF event code (codes are checked to be 0-15 on parse).
pub fn key_of(event: u8) -> char {
    match event {
        0..=9 => char::from(b'0' + event),
        10 => '*',
        11 => '#',
        12..=15 => char::from(b'A' + event - 12),
        _ => '?',
    }
}

/// The event code of a key, if it is a DTMF key.
pub fn event_of(key: char) -> Option<u8> {
    match key {
        '0'..='9' => Some(key as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(key as u8 - b'A' + 12),
        'a'..='d' => Some(key as u8 - b'a' + 12),
        _ => None,
    }
}

/// Turns the packet stream of one RTP source into key presses, each reported once.
///
/// An event is identified by its RTP timestamp (RFC 4733 section 2.5.1.2: all packets of one
/// event carry its start timestamp). A press is reported on its first packet, so menus react
/// without waiting for the key to be released; later packets of the same event, including the
/// three end packets, are ignored.
#[derive(Debug, Default)]
pub struct DtmfReceiver {
    last: Option<u32>,
}

impl DtmfReceiver {
    /// Feed the payload and RTP timestamp of a telephone-event packet; `Some(key)` for a new
    /// press.
    pub fn receive(&mut self, timestamp: u32, payload: &[u8]) -> Result<Option<char>, DtmfError> {
        let ev = TelephoneEvent::parse(payload)?;
        if self.last == Some(timestamp) {
            return Ok(None);
        }
        self.last = Some(timestamp);
        Ok(Some(ev.key()))
    }
}

/// The packets of one key press, for an RTP sender, as `(marker, payload)`, one per 20 ms at
/// 8 kHz. All of them carry the event's start timestamp; the first has the marker bit; the end
/// packet is sent three times (RFC 4733 section 2.5.1.4).
pub fn key_press(event: u8, duration_ms: u16, volume: u8) -> Vec<(bool, [u8; 4])> {
    let steps = (duration_ms / 20).max(1);
    let mut out = Vec::with_capacity(usize::from(steps) + 2);
    for i in 1..=steps {
        let ev = TelephoneEvent {
            event,
            end: false,
            volume,
            duration: i * 160,
        };
        out.push((i == 1, ev.to_bytes()));
    }
    let end = TelephoneEvent {
        event,
        end: true,
        volume,
        duration: steps * 160,
    };
    for _ in 0..3 {
        out.push((false, end.to_bytes()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_round_trips() {
        let ev = TelephoneEvent {
            event: 11,
            end: true,
            volume: 10,
            duration: 800,
        };
        assert_eq!(TelephoneEvent::parse(&ev.to_bytes()), Ok(ev));
        assert_eq!(ev.key(), '#');
    }

    #[test]
    fn bad_payloads_are_refused() {
        assert_eq!(TelephoneEvent::parse(&[1, 2, 3]), Err(DtmfError::Truncated));
        assert_eq!(
            TelephoneEvent::parse(&[16, 0, 0, 0]),
            Err(DtmfError::NotDtmf(16))
        );
    }

    #[test]
    fn keys_and_codes_correspond() {
        for (i, k) in "0123456789*#ABCD".chars().enumerate() {
            assert_eq!(event_of(k), Some(i as u8));
            assert_eq!(key_of(i as u8), k);
        }
        assert_eq!(event_of('x'), None);
    }

    #[test]
    fn a_press_with_redundant_and_end_packets_is_reported_once() {
        let mut rx = DtmfReceiver::default();
        let mut keys = Vec::new();
        for (ts, key) in [(1000u32, 5u8), (2600, 5), (4200, 11)] {
            for (_, payload) in key_press(key, 100, 10) {
                if let Some(k) = rx.receive(ts, &payload).expect("valid") {
                    keys.push(k);
                }
            }
        }
        // The same digit twice in a row is two presses: different timestamps.
        assert_eq!(keys, ['5', '5', '#']);
    }

    #[test]
    fn the_packet_train_has_a_marker_first_and_three_ends() {
        let train = key_press(1, 100, 10);
        assert_eq!(train.len(), 5 + 3);
        assert!(train[0].0);
        assert!(train[1..].iter().all(|(m, _)| !m));
        let ends = train.iter().filter(|(_, p)| p[1] & 0x80 != 0).count();
        assert_eq!(ends, 3);
        assert_eq!(
            TelephoneEvent::parse(&train[7].1).map(|e| e.duration),
            Ok(800)
        );
    }
}
