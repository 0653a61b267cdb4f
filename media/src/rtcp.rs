//! RTCP (RFC 3550 section 6): sender and receiver reports parsed out of compound packets, and
//! compound reports written (SR or RR, then SDES with a CNAME, as section 6.1 requires). Other
//! packet types are skipped. Parsing never panics.

use crate::stats::ReceptionReport;

/// Why bytes are not an RTCP compound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// A header or the body it announces is cut short.
    #[error("truncated RTCP packet")]
    Truncated,
    /// Version is not 2.
    #[error("RTCP version {0} is not 2")]
    BadVersion(u8),
}

/// One report block: how a receiver hears `ssrc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction of packets lost since the previous report, in 1/256 (RFC 3550 6.4.1).
    pub fraction_lost: u8,
    /// Packets lost since reception began (24-bit signed; negative with duplicates).
    pub cumulative_lost: i32,
    /// Highest sequence number received, extended with the count of wraps in the high 16 bits.
    pub extended_max_seq: u32,
    /// Interarrival jitter, in RTP timestamp units (RFC 3550 6.4.1).
    pub jitter: u32,
    /// Middle 32 bits of the NTP time of the last SR received from `ssrc`.
    pub last_sr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

/// Sender information of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// Wallclock time of the report, as a 64-bit NTP timestamp.
    pub ntp_time: u64,
    /// The same instant in the sender's RTP timestamp units.
    pub rtp_time: u32,
    /// RTP packets sent since the start of transmission.
    pub packet_count: u32,
    /// RTP payload bytes sent since the start of transmission.
    pub octet_count: u32,
}

/// The parts of a compound packet that Switchboard uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compound {
    /// SSRC of the sender of the first SR/RR.
    pub sender_ssrc: Option<u32>,
    /// Sender information of the first SR, if there was one.
    pub sender_info: Option<SenderInfo>,
    /// Report blocks of every SR and RR, in order.
    pub reports: Vec<ReportBlock>,
    /// A BYE was present.
    pub bye: bool,
}

fn be32(b: &[u8], at: usize) -> Result<u32, RtcpError> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(RtcpError::Truncated)
}

fn report_block(b: &[u8], at: usize) -> Result<ReportBlock, RtcpError> {
    let lost = be32(b, at + 4)?;
    // 24-bit signed cumulative loss.
    let cumulative = ((lost & 0x00ff_ffff) << 8) as i32 >> 8;
    Ok(ReportBlock {
        ssrc: be32(b, at)?,
        fraction_lost: (lost >> 24) as u8,
        cumulative_lost: cumulative,
        extended_max_seq: be32(b, at + 8)?,
        jitter: be32(b, at + 12)?,
        last_sr: be32(b, at + 16)?,
        delay_since_last_sr: be32(b, at + 20)?,
    })
}

impl Compound {
    /// Parse a compound packet, skipping packet types other than SR, RR and BYE.
    pub fn parse(bytes: &[u8]) -> Result<Compound, RtcpError> {
        let mut out = Compound::default();
        let mut rest = bytes;
        if rest.is_empty() {
            return Err(RtcpError::Truncated);
        }
        while !rest.is_empty() {
            if rest.len() < 4 {
                return Err(RtcpError::Truncated);
            }
            let version = rest[0] >> 6;
            if version != 2 {
                return Err(RtcpError::BadVersion(version));
            }
            let count = usize::from(rest[0] & 0x1f);
            let kind = rest[1];
            let len = (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1) * 4;
            let packet = rest.get(..len).ok_or(RtcpError::Truncated)?;
            match kind {
                200 => {
                    let ssrc = be32(packet, 4)?;
                    let info = SenderInfo {
                        ntp_time: u64::from(be32(packet, 8)?) << 32 | u64::from(be32(packet, 12)?),
                        rtp_time: be32(packet, 16)?,
                        packet_count: be32(packet, 20)?,
                        octet_count: be32(packet, 24)?,
                    };
                    if out.sender_ssrc.is_none() {
                        out.sender_ssrc = Some(ssrc);
                        out.sender_info = Some(info);
                    }
                    for i in 0..count {
                        out.reports.push(report_block(packet, 28 + 24 * i)?);
                    }
                }
                201 => {
                    let ssrc = be32(packet, 4)?;
                    out.sender_ssrc.get_or_insert(ssrc);
                    for i in 0..count {
                        out.reports.push(report_block(packet, 8 + 24 * i)?);
                    }
                }
                203 => out.bye = true,
                _ => {}
            }
            rest = &rest[len..];
        }
        Ok(out)
    }
}

/// The middle 32 bits of a 64-bit NTP timestamp (the LSR field).
pub fn ntp_middle(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// What a compound report carries.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// Our SSRC, the sender of the report.
    pub ssrc: u32,
    /// Present when we sent media since the last report: an SR instead of an RR.
    pub sender_info: Option<SenderInfo>,
    /// `(remote ssrc, reception, last SR middle bits, delay since it)`.
    pub blocks: &'a [(u32, ReceptionReport, u32, u32)],
    /// Our canonical name, written in the SDES CNAME item (RFC 3550 6.5.1).
    pub cname: &'a str,
}

impl Report<'_> {
    /// Append the compound packet to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        // At most 31 report blocks fit one SR/RR.
        let blocks = &self.blocks[..self.blocks.len().min(31)];
        let count = blocks.len() as u8;
        let words = match self.sender_info {
            Some(_) => 6 + 6 * blocks.len(),
            None => 1 + 6 * blocks.len(),
        };
        out.push(0x80 | count);
        out.push(if self.sender_info.is_some() { 200 } else { 201 });
        out.extend_from_slice(&(words as u16).to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        if let Some(info) = self.sender_info {
            out.extend_from_slice(&info.ntp_time.to_be_bytes());
            out.extend_from_slice(&info.rtp_time.to_be_bytes());
            out.extend_from_slice(&info.packet_count.to_be_bytes());
            out.extend_from_slice(&info.octet_count.to_be_bytes());
        }
        for (ssrc, r, lsr, dlsr) in blocks {
            out.extend_from_slice(&ssrc.to_be_bytes());
            let lost = (r.cumulative_lost as u32) & 0x00ff_ffff;
            out.extend_from_slice(&(u32::from(r.fraction_lost) << 24 | lost).to_be_bytes());
            out.extend_from_slice(&r.extended_max_seq.to_be_bytes());
            out.extend_from_slice(&r.jitter.to_be_bytes());
            out.extend_from_slice(&lsr.to_be_bytes());
            out.extend_from_slice(&dlsr.to_be_bytes());
        }
        // SDES with one chunk: SSRC, CNAME item, end, padded to a 32-bit boundary.
        let cname = &self.cname.as_bytes()[..self.cname.len().min(255)];
        let chunk_len = 4 + 2 + cname.len() + 1;
        let padded = chunk_len.div_ceil(4) * 4;
        out.push(0x81);
        out.push(202);
        out.extend_from_slice(&((padded / 4) as u16).to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.push(1);
        out.push(cname.len() as u8);
        out.extend_from_slice(cname);
        out.resize(out.len() + (padded - chunk_len) + 1, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reception() -> ReceptionReport {
        ReceptionReport {
            fraction_lost: 25,
            cumulative_lost: -3,
            extended_max_seq: 70_000,
            jitter: 42,
        }
    }

    #[test]
    fn a_written_receiver_report_parses_back() {
        let blocks = [(7u32, reception(), 0x1234_5678, 65536)];
        let mut buf = Vec::new();
        Report {
            ssrc: 99,
            sender_info: None,
            blocks: &blocks,
            cname: "switchboard@node-1",
        }
        .write(&mut buf);
        assert_eq!(buf.len() % 4, 0);
        let c = Compound::parse(&buf).expect("parse");
        assert_eq!(c.sender_ssrc, Some(99));
        assert_eq!(c.sender_info, None);
        assert_eq!(
            c.reports,
            [ReportBlock {
                ssrc: 7,
                fraction_lost: 25,
                cumulative_lost: -3,
                extended_max_seq: 70_000,
                jitter: 42,
                last_sr: 0x1234_5678,
                delay_since_last_sr: 65536,
            }]
        );
    }

    #[test]
    fn a_sender_report_keeps_its_sender_info() {
        let info = SenderInfo {
            ntp_time: 0x0102_0304_0506_0708,
            rtp_time: 160,
            packet_count: 10,
            octet_count: 1600,
        };
        let mut buf = Vec::new();
        Report {
            ssrc: 1,
            sender_info: Some(info),
            blocks: &[],
            cname: "x",
        }
        .write(&mut buf);
        let c = Compound::parse(&buf).expect("parse");
        assert_eq!(c.sender_info, Some(info));
        assert_eq!(ntp_middle(info.ntp_time), 0x0304_0506);
    }

    #[test]
    fn malformed_compounds_are_refused_without_panicking() {
        assert_eq!(Compound::parse(&[]), Err(RtcpError::Truncated));
        assert_eq!(Compound::parse(&[0x80, 201, 0]), Err(RtcpError::Truncated));
        assert_eq!(
            Compound::parse(&[0x40, 201, 0, 1, 0, 0, 0, 0]),
            Err(RtcpError::BadVersion(1))
        );
        // An RR that claims a report block it does not carry.
        assert_eq!(
            Compound::parse(&[0x81, 201, 0, 1, 0, 0, 0, 1]),
            Err(RtcpError::Truncated)
        );
        let mut buf = Vec::new();
        Report {
            ssrc: 1,
            sender_info: None,
            blocks: &[(2, reception(), 0, 0)],
            cname: "c",
        }
        .write(&mut buf);
        for n in 0..buf.len() {
            let _ = Compound::parse(&buf[..n]);
        }
        let mut with_bye = buf.clone();
        with_bye.extend_from_slice(&[0x81, 203, 0, 1, 0, 0, 0, 1]);
        assert!(Compound::parse(&with_bye).expect("parse").bye);
    }
}
