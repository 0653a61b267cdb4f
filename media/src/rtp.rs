//! RTP packets (RFC 3550 section 5.1): parse and write, header extensions and padding handled,
//! CSRCs kept. Parsing borrows the payload; it never allocates or panics.

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header, or than the header it announces.
    #[error("truncated RTP packet")]
    Truncated,
    /// The version field is not 2.
    #[error("RTP version {0} is not 2")]
    BadVersion(u8),
    /// The padding count is zero or longer than the packet.
    #[error("invalid RTP padding")]
    BadPadding,
}

/// A parsed RTP packet borrowing its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The marker bit (for audio, the first packet of a talkspurt; RFC 3551 4.1).
    pub marker: bool,
    /// The payload type, 0-127.
    pub payload_type: u8,
    /// The sequence number, one more for each packet sent.
    pub sequence: u16,
    /// The sampling instant of the first payload byte, in clock-rate units (8 kHz for G.711).
    pub timestamp: u32,
    /// The synchronisation source: the sender's stream id.
    pub ssrc: u32,
    /// How many CSRC identifiers the header carries (0-15).
    pub csrc_count: u8,
    /// The payload, after any CSRCs and header extension and without padding.
    pub payload: &'a [u8],
}

/// Whether the second byte of a packet says RTCP rather than RTP (RFC 5761 section 4: RTCP
/// packet types 192..=223 occupy the marker bit plus payload types 64..=95).
pub fn looks_like_rtcp(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && (192..=223).contains(&bytes[1])
}

impl<'a> RtpPacket<'a> {
    /// Parse a packet, skipping CSRCs, the header extension (RFC 3550 5.3.1) and padding.
    pub fn parse(bytes: &'a [u8]) -> Result<RtpPacket<'a>, RtpError> {
        if bytes.len() < 12 {
            return Err(RtpError::Truncated);
        }
        let version = bytes[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let padding = bytes[0] & 0x20 != 0;
        let extension = bytes[0] & 0x10 != 0;
        let csrc_count = bytes[0] & 0x0f;
        let mut offset = 12 + 4 * usize::from(csrc_count);
        if bytes.len() < offset {
            return Err(RtpError::Truncated);
        }
        if extension {
            // RFC 3550 5.3.1: 16-bit profile, 16-bit length in 32-bit words.
            let header = bytes.get(offset..offset + 4).ok_or(RtpError::Truncated)?;
            let words = usize::from(u16::from_be_bytes([header[2], header[3]]));
            offset += 4 + 4 * words;
            if bytes.len() < offset {
                return Err(RtpError::Truncated);
            }
        }
        let mut end = bytes.len();
        if padding {
            let count = usize::from(bytes[end - 1]);
            if count == 0 || offset + count > end {
                return Err(RtpError::BadPadding);
            }
            end -= count;
        }
        Ok(RtpPacket {
            marker: bytes[1] & 0x80 != 0,
            payload_type: bytes[1] & 0x7f,
            sequence: u16::from_be_bytes([bytes[2], bytes[3]]),
            timestamp: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            ssrc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
            csrc_count,
            payload: &bytes[offset..end],
        })
    }
}

/// The header of an RTP packet to send (no CSRCs, no extension, no padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// The marker bit (for audio, the first packet of a talkspurt; RFC 3551 4.1).
    pub marker: bool,
    /// The payload type, 0-127.
    pub payload_type: u8,
    /// The sequence number.
    pub sequence: u16,
    /// The sampling instant of the first payload byte, in clock-rate units.
    pub timestamp: u32,
    /// Our synchronisation source id.
    pub ssrc: u32,
}

impl RtpHeader {
    /// Append the 12-byte header and `payload` to `out`.
    pub fn write(&self, payload: &[u8], out: &mut Vec<u8>) {
        out.reserve(12 + payload.len());
        out.push(0x80);
        out.push(u8::from(self.marker) << 7 | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_packet_parses_back() {
        let h = RtpHeader {
            marker: true,
            payload_type: 0,
            sequence: 65535,
            timestamp: 0xdead_beef,
            ssrc: 0x1234_5678,
        };
        let mut buf = Vec::new();
        h.write(&[1, 2, 3], &mut buf);
        let p = RtpPacket::parse(&buf).expect("parse");
        assert!(p.marker);
        assert_eq!(
            (p.payload_type, p.sequence, p.timestamp, p.ssrc),
            (0, 65535, 0xdead_beef, 0x1234_5678)
        );
        assert_eq!(p.payload, &[1, 2, 3]);
        assert!(!looks_like_rtcp(&buf));
    }

    #[test]
    fn csrcs_extensions_and_padding_are_skipped() {
        let mut b = vec![0x80 | 0x20 | 0x10 | 1, 8, 0, 1, 0, 0, 0, 160, 0, 0, 0, 9];
        b.extend_from_slice(&[0, 0, 0, 7]); // one CSRC
        b.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // extension, one word
        b.extend_from_slice(&[0xaa, 0xbb]); // payload
        b.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let p = RtpPacket::parse(&b).expect("parse");
        assert_eq!(p.payload, &[0xaa, 0xbb]);
        assert_eq!(p.csrc_count, 1);
        assert_eq!(p.payload_type, 8);
    }

    #[test]
    fn malformed_packets_are_refused_without_panicking() {
        assert_eq!(RtpPacket::parse(&[0x80; 11]), Err(RtpError::Truncated));
        assert_eq!(RtpPacket::parse(&[0x40; 12]), Err(RtpError::BadVersion(1)));
        // CSRC count 15 but no CSRCs.
        assert_eq!(
            RtpPacket::parse(&[0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(RtpError::Truncated)
        );
        // Extension header announced but missing.
        assert_eq!(
            RtpPacket::parse(&[0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe]),
            Err(RtpError::Truncated)
        );
        // Padding longer than the packet, and zero padding.
        let mut b = vec![0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200];
        assert_eq!(RtpPacket::parse(&b), Err(RtpError::BadPadding));
        *b.last_mut().expect("byte") = 0;
        assert_eq!(RtpPacket::parse(&b), Err(RtpError::BadPadding));
        // Every prefix of a valid packet either parses or errs.
        let mut full = Vec::new();
        RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: 1,
            timestamp: 2,
            ssrc: 3,
        }
        .write(&[9; 160], &mut full);
        for n in 0..full.len() {
            let _ = RtpPacket::parse(&full[..n]);
        }
    }

    #[test]
    fn rtcp_is_told_apart_by_packet_type() {
        assert!(looks_like_rtcp(&[0x80, 200, 0, 6]));
        assert!(looks_like_rtcp(&[0x81, 201, 0, 7]));
        assert!(!looks_like_rtcp(&[0x80, 0x80 | 101]));
    }
}
