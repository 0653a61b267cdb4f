//! G.711 (ITU-T G.711) μ-law (PCMU, payload type 0) and A-law (PCMA, payload type 8): 8 kHz,
//! one byte per sample, 160 bytes per 20 ms frame. Decoding uses 256-entry tables built at
//! compile time; encoding is the segment search of the reference implementation.

/// Which G.711 law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// μ-law, PCMU, static payload type 0 (North America, Japan).
    Mu,
    /// A-law, PCMA, static payload type 8 (Europe and most of the world).
    A,
}

impl Law {
    /// The static RTP payload type (RFC 3551 table 4).
    pub fn payload_type(self) -> u8 {
        match self {
            Law::Mu => 0,
            Law::A => 8,
        }
    }

    /// The encoding name in SDP (`a=rtpmap`).
    pub fn encoding_name(self) -> &'static str {
        match self {
            Law::Mu => "PCMU",
            Law::A => "PCMA",
        }
    }

    /// The law of a static payload type.
    pub fn from_payload_type(pt: u8) -> Option<Law> {
        match pt {
            0 => Some(Law::Mu),
            8 => Some(Law::A),
            _ => None,
        }
    }

    /// Encode one 16-bit linear sample as a byte in this law.
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Law::Mu => ulaw_encode(sample),
            Law::A => alaw_encode(sample),
        }
    }

    /// Decode one byte in this law to a 16-bit linear sample.
    pub fn decode(self, byte: u8) -> i16 {
        match self {
            Law::Mu => ULAW_TO_LINEAR[usize::from(byte)],
            Law::A => ALAW_TO_LINEAR[usize::from(byte)],
        }
    }

    /// The encoded byte of silence.
    pub fn silence(self) -> u8 {
        self.encode(0)
    }
}

/// Samples per second.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples (and bytes) in a 20 ms frame.
pub const FRAME_SAMPLES: usize = 160;

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

fn ulaw_encode(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let exponent = segment(s >> 7);
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    // Values are masked to 8 bits before the cast.
    !((sign | (exponent << 4) | mantissa) as u8)
}

fn alaw_encode(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s >= 0 {
        0x80
    } else {
        s = -s - 1;
        0
    };
    s = s.min(32767);
    let out = if s < 256 {
        (s >> 4) & 0x0f
    } else {
        let exponent = segment(s >> 8) + 1;
        (exponent << 4) | ((s >> (exponent + 3)) & 0x0f)
    };
    ((sign | out) as u8) ^ 0x55
}

/// The position of the highest set bit of a value below 256, 0 for 0 or 1 (the segment).
fn segment(v: i32) -> i32 {
    let mut e = 0;
    let mut v = v;
    while v > 1 && e < 7 {
        v >>= 1;
        e += 1;
    }
    e
}

const fn ulaw_decode(byte: u8) -> i16 {
    let b = !byte;
    let sign = b & 0x80;
    let exponent = ((b >> 4) & 0x07) as i32;
    let mantissa = (b & 0x0f) as i32;
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

const fn alaw_decode(byte: u8) -> i16 {
    let b = byte ^ 0x55;
    let sign = b & 0x80;
    let exponent = ((b >> 4) & 0x07) as i32;
    let mantissa = (b & 0x0f) as i32;
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

const fn ulaw_table() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_decode(i as u8);
        i += 1;
    }
    t
}

const fn alaw_table() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_decode(i as u8);
        i += 1;
    }
    t
}

const ULAW_TO_LINEAR: [i16; 256] = ulaw_table();
const ALAW_TO_LINEAR: [i16; 256] = alaw_table();

/// Re-encode a frame from one law to the other (a carrier on PCMA, a browser on PCMU).
pub fn transcode(from: Law, to: Law, input: &[u8], out: &mut Vec<u8>) {
    out.extend(input.iter().map(|&b| to.encode(from.decode(b))));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_survives_decode_then_encode() {
        for law in [Law::Mu, Law::A] {
            for code in 0..=255u8 {
                let again = law.encode(law.decode(code));
                // μ-law has two zeros (0x7f and 0xff); both decode to 0.
                if law == Law::Mu && law.decode(code) == 0 {
                    continue;
                }
                assert_eq!(again, code, "{law:?} {code:#x}");
            }
        }
    }

    #[test]
    fn known_values_match_the_reference() {
        assert_eq!(Law::Mu.encode(0), 0xff);
        assert_eq!(Law::A.encode(0), 0xd5);
        assert_eq!(Law::Mu.decode(0x00), -32124);
        assert_eq!(Law::Mu.decode(0x80), 32124);
        assert_eq!(Law::A.decode(0x55), -8);
        assert_eq!(Law::A.decode(0xd5), 8);
        assert_eq!(Law::A.decode(0x2a), -32256);
        assert_eq!(Law::A.decode(0xaa), 32256);
    }

    #[test]
    fn encoding_is_monotonic_and_error_is_bounded() {
        for law in [Law::Mu, Law::A] {
            let mut prev = i32::MIN;
            for s in (-32768..=32767).step_by(7) {
                let back = i32::from(law.decode(law.encode(s as i16)));
                assert!(back >= prev, "{law:?} not monotonic at {s}");
                prev = back;
                // Logarithmic quantisation: error within ~3% of the magnitude, or small.
                let err = (back - s).abs();
                assert!(err <= (s.abs() / 16).max(16) + 2, "{law:?} {s} -> {back}");
            }
        }
    }

    #[test]
    fn transcoding_keeps_the_signal() {
        let frame: Vec<u8> = (0..160)
            .map(|i| Law::Mu.encode(((i as f32 * 0.3).sin() * 10000.0) as i16))
            .collect();
        let mut alaw = Vec::new();
        transcode(Law::Mu, Law::A, &frame, &mut alaw);
        for (m, a) in frame.iter().zip(&alaw) {
            let d = i32::from(Law::Mu.decode(*m)) - i32::from(Law::A.decode(*a));
            assert!(d.abs() < 700, "{d}");
        }
    }
}
