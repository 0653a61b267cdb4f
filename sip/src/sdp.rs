//! SDP (RFC 4566) for audio calls: a tolerant parser that keeps what offer/answer needs, a writer,
//! and the answerer's negotiation (RFC 3264) for G.711 with RFC 4733 telephone events.
//!
//! Tolerant means: unknown lines and attributes are kept or ignored, both CRLF and LF line ends
//! are accepted, and only what we cannot do without (the `m=` lines, a connection address for
//! audio) is an error. It never panics on any input.

use std::fmt::Write as _;
use std::net::IpAddr;

/// Why an SDP body cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// A line is not `<letter>=<value>`.
    #[error("line {0} is not of the form x=value")]
    BadLine(usize),
    /// No `v=0` first line.
    #[error("the description does not start with v=0")]
    NoVersion,
    /// An `m=` line that does not parse.
    #[error("malformed m= line: {0}")]
    BadMedia(String),
    /// A `c=` line that does not parse.
    #[error("malformed c= line: {0}")]
    BadConnection(String),
    /// No audio stream in the offer.
    #[error("no audio stream offered")]
    NoAudio,
    /// The audio stream has no address to send to.
    #[error("the audio stream has no connection address")]
    NoConnection,
    /// None of the offered codecs is G.711.
    #[error("no common codec: offered {0}")]
    NoCommonCodec(String),
}

/// Media direction (RFC 3264 section 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`: media flows both ways (the default).
    SendRecv,
    /// `a=sendonly`: the writer sends but does not receive (it puts the other side on hold).
    SendOnly,
    /// `a=recvonly`: the writer receives but does not send.
    RecvOnly,
    /// `a=inactive`: no media flows either way.
    Inactive,
}

impl Direction {
    /// The attribute name, as written in an `a=` line.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn parse(s: &str) -> Option<Direction> {
        match s {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The direction an answer takes for this offered direction (RFC 3264 section 6.1), when
    /// the answerer itself would send and receive.
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    /// Whether the party that wrote this direction will send media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the party that wrote this direction wants to receive media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// `audio`, `video`, `application`, ...
    pub kind: String,
    /// The transport port; 0 means the stream is rejected or disabled (RFC 3264 section 6).
    pub port: u16,
    /// `RTP/AVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`, ...
    pub proto: String,
    /// Payload types (or other format tokens), in preference order.
    pub formats: Vec<String>,
    /// The section's own `c=` address, if any.
    pub connection: Option<IpAddr>,
    /// `a=` lines of this section: name and optional value.
    pub attributes: Vec<(String, Option<String>)>,
}

impl Media {
    /// The value of this section's first `a=<name>:<value>` attribute, if it has one.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The direction attribute, `sendrecv` by default (RFC 4566 section 6).
    pub fn direction(&self, session: &SessionDescription) -> Direction {
        self.attributes
            .iter()
            .chain(&session.attributes)
            .find_map(|(n, _)| Direction::parse(n))
            .unwrap_or(Direction::SendRecv)
    }

    /// The `a=rtpmap` of a payload type: encoding name and clock rate.
    pub fn rtpmap(&self, pt: u8) -> Option<(String, u32)> {
        self.attributes.iter().find_map(|(n, v)| {
            if n != "rtpmap" {
                return None;
            }
            let v = v.as_deref()?;
            let (num, rest) = v.split_once(' ')?;
            if num.trim().parse::<u8>().ok()? != pt {
                return None;
            }
            let mut parts = rest.trim().split('/');
            let name = parts.next()?.to_owned();
            let rate = parts.next()?.parse().ok()?;
            Some((name, rate))
        })
    }
}

/// A parsed session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=` session id and version.
    pub session_id: String,
    /// `o=` session version; 0 when missing or not a number.
    pub session_version: u64,
    /// The session-level `c=` address.
    pub connection: Option<IpAddr>,
    /// Session-level `a=` lines.
    pub attributes: Vec<(String, Option<String>)>,
    /// The `m=` sections, in order.
    pub media: Vec<Media>,
}

fn parse_connection(value: &str) -> Result<IpAddr, SdpError> {
    // c=<nettype> <addrtype> <address>[/ttl][/count]
    let mut parts = value.split_whitespace();
    let (Some("IN"), Some(kind), Some(addr)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(SdpError::BadConnection(value.to_owned()));
    };
    let addr = addr.split('/').next().unwrap_or(addr);
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| SdpError::BadConnection(value.to_owned()))?;
    match (kind, ip) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Ok(ip),
        _ => Err(SdpError::BadConnection(value.to_owned())),
    }
}

fn parse_attribute(value: &str) -> (String, Option<String>) {
    match value.split_once(':') {
        Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
        None => (value.to_owned(), None),
    }
}

impl SessionDescription {
    /// Parse an SDP body; lines we do not use are skipped, and no input makes it panic.
    pub fn parse(text: &str) -> Result<SessionDescription, SdpError> {
        let mut sd = SessionDescription {
            session_id: String::new(),
            session_version: 0,
            connection: None,
            attributes: Vec::new(),
            media: Vec::new(),
        };
        let mut saw_version = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let bytes = line.as_bytes();
            if bytes.len() < 2 || bytes[1] != b'=' || !bytes[0].is_ascii_lowercase() {
                return Err(SdpError::BadLine(i + 1));
            }
            let value = &line[2..];
            if !saw_version {
                if bytes[0] != b'v' || value.trim() != "0" {
                    return Err(SdpError::NoVersion);
                }
                saw_version = true;
                continue;
            }
            match (bytes[0], sd.media.last_mut()) {
                (b'o', None) => {
                    let mut parts = value.split_whitespace();
                    parts.next();
                    sd.session_id = parts.next().unwrap_or_default().to_owned();
                    sd.session_version = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                }
                (b'c', None) => sd.connection = Some(parse_connection(value)?),
                (b'c', Some(m)) => m.connection = Some(parse_connection(value)?),
                (b'a', None) => sd.attributes.push(parse_attribute(value)),
                (b'a', Some(m)) => m.attributes.push(parse_attribute(value)),
                (b'm', _) => {
                    let mut parts = value.split_whitespace();
                    let (Some(kind), Some(port), Some(proto)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        return Err(SdpError::BadMedia(value.to_owned()));
                    };
                    // <port>/<number of ports> is allowed; we use the first.
                    let port = port
                        .split('/')
                        .next()
                        .and_then(|p| p.parse::<u16>().ok())
                        .ok_or_else(|| SdpError::BadMedia(value.to_owned()))?;
                    sd.media.push(Media {
                        kind: kind.to_owned(),
                        port,
                        proto: proto.to_owned(),
                        formats: parts.map(str::to_owned).collect(),
                        connection: None,
                        attributes: Vec::new(),
                    });
                }
                // s=, t=, b=, i=, u=, e=, p=, k=, r=, z= and unknown letters carry nothing we use.
                _ => {}
            }
        }
        if !saw_version {
            return Err(SdpError::NoVersion);
        }
        Ok(sd)
    }
}

/// A G.711 codec we can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    /// The static RTP payload type (RFC 3551 section 6).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The encoding name, as written in `a=rtpmap`.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

/// The audio session both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioSession {
    /// Index of the audio `m=` line in the offer.
    pub media_index: usize,
    /// Where to send RTP. Port 0 or address 0.0.0.0 (old-style hold) means "do not send".
    pub remote_addr: IpAddr,
    /// The RTP port to send to.
    pub remote_port: u16,
    /// The codec chosen for the call.
    pub codec: Codec,
    /// Payload type the offerer uses for telephone-event/8000, if any.
    pub telephone_event: Option<u8>,
    /// Our direction in the answer.
    pub direction: Direction,
    /// Packetisation time in ms the offerer asked for (20 by default).
    pub ptime: u16,
}

impl AudioSession {
    /// Whether we should send media now (not on hold, a real address and port).
    pub fn we_send(&self) -> bool {
        self.direction.sends() && self.remote_port != 0 && !self.remote_addr.is_unspecified()
    }
}

/// Our preferences when answering.
#[derive(Debug, Clone)]
pub struct AudioPolicy {
    /// Codecs we accept, in our order of preference; the offerer's order wins among them.
    pub codecs: Vec<Codec>,
}

impl Default for AudioPolicy {
    fn default() -> Self {
        AudioPolicy {
            codecs: vec![Codec::Pcmu, Codec::Pcma],
        }
    }
}

/// Choose the audio session for an offer (RFC 3264 section 6). The first RTP/AVP audio stream
/// with a non-zero port is used; the offerer's most preferred G.711 codec wins.
pub fn negotiate(
    offer: &SessionDescription,
    policy: &AudioPolicy,
) -> Result<AudioSession, SdpError> {
    let (index, media) = offer
        .media
        .iter()
        .enumerate()
        .find(|(_, m)| m.kind == "audio" && m.port != 0 && m.proto.starts_with("RTP/AVP"))
        .ok_or(SdpError::NoAudio)?;
    let remote_addr = media
        .connection
        .or(offer.connection)
        .ok_or(SdpError::NoConnection)?;
    let codec = media
        .formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .find_map(|pt| {
            // Static types need no rtpmap; a dynamic type may name PCMU/PCMA too.
            let named = media.rtpmap(pt).map(|(n, r)| (n.to_ascii_uppercase(), r));
            let codec = match (pt, named.as_ref().map(|(n, r)| (n.as_str(), *r))) {
                (0, None) | (_, Some(("PCMU", 8000))) => Some(Codec::Pcmu),
                (8, None) | (_, Some(("PCMA", 8000))) => Some(Codec::Pcma),
                _ => None,
            };
            codec.filter(|c| policy.codecs.contains(c) && c.payload_type() == pt)
        })
        .ok_or_else(|| SdpError::NoCommonCodec(media.formats.join(" ")))?;
    let telephone_event = media
        .formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .find(|&pt| {
            media
                .rtpmap(pt)
                .is_some_and(|(n, r)| n.eq_ignore_ascii_case("telephone-event") && r == 8000)
        });
    let ptime = media
        .attribute("ptime")
        .and_then(|p| p.trim().parse::<u16>().ok())
        .filter(|p| (10..=60).contains(p) && p % 10 == 0)
        .unwrap_or(20);
    Ok(AudioSession {
        media_index: index,
        remote_addr,
        remote_port: media.port,
        codec,
        telephone_event,
        direction: media.direction(offer).answer(),
        ptime,
    })
}

/// What to write into an SDP body for our side of an audio session.
#[derive(Debug, Clone)]
pub struct LocalAudio {
    /// `o=` session id.
    pub session_id: u64,
    /// `o=` session version; raise it when the description changes (RFC 3264 section 8).
    pub session_version: u64,
    /// Our address, written in the `o=` and `c=` lines.
    pub addr: IpAddr,
    /// Our RTP port, written in the `m=` line.
    pub port: u16,
    /// Codecs to list, in order of preference.
    pub codecs: Vec<Codec>,
    /// Payload type to list for telephone-event/8000 (events 0-16), if any.
    pub telephone_event: Option<u8>,
    /// Our media direction.
    pub direction: Direction,
    /// Packetisation time in ms, written as `a=ptime`.
    pub ptime: u16,
}

fn addr_line(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => format!("IN IP4 {a}"),
        IpAddr::V6(a) => format!("IN IP6 {a}"),
    }
}

/// Write an SDP body with one audio stream: an offer, or, with `answer_to` = (offer, index of
/// the accepted stream), an answer in which the offer's other `m=` lines are rejected with port
/// 0 in their original positions (RFC 3264 section 6).
pub fn write(local: &LocalAudio, answer_to: Option<(&SessionDescription, usize)>) -> String {
    let mut s = String::with_capacity(256);
    let origin = addr_line(local.addr);
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "v=0\r\no=switchboard {} {} {origin}\r\ns=switchboard\r\nc={origin}\r\nt=0 0\r\n",
        local.session_id, local.session_version
    );
    let audio = |s: &mut String| {
        let mut pts: Vec<String> = local
            .codecs
            .iter()
            .map(|c| c.payload_type().to_string())
            .collect();
        if let Some(te) = local.telephone_event {
            pts.push(te.to_string());
        }
        let _ = write!(s, "m=audio {} RTP/AVP {}\r\n", local.port, pts.join(" "));
        for c in &local.codecs {
            let _ = write!(s, "a=rtpmap:{} {}/8000\r\n", c.payload_type(), c.name());
        }
        if let Some(te) = local.telephone_event {
            let _ = write!(
                s,
                "a=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-16\r\n"
            );
        }
        let _ = write!(
            s,
            "a=ptime:{}\r\na={}\r\n",
            local.ptime,
            local.direction.as_str()
        );
    };
    match answer_to {
        None => audio(&mut s),
        Some((offer, accepted)) => {
            for (i, m) in offer.media.iter().enumerate() {
                if i == accepted {
                    audio(&mut s);
                } else {
                    let fmt = m.formats.first().map_or("0", String::as_str);
                    let _ = write!(s, "m={} 0 {} {fmt}\r\n", m.kind, m.proto);
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIPP_OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n\
        c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0 101\r\n\
        a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-11,16\r\n";

    #[test]
    fn a_carrier_offer_is_answered_with_its_preferred_codec_and_dtmf() {
        let offer = SessionDescription::parse(SIPP_OFFER).expect("parse");
        let a = negotiate(&offer, &AudioPolicy::default()).expect("negotiate");
        assert_eq!(a.codec, Codec::Pcma);
        assert_eq!(a.telephone_event, Some(101));
        assert_eq!(a.remote_port, 6000);
        assert_eq!(a.remote_addr.to_string(), "127.0.0.1");
        assert_eq!(a.direction, Direction::SendRecv);
        assert!(a.we_send());

        let local = LocalAudio {
            session_id: 1,
            session_version: 1,
            addr: "192.0.2.10".parse().expect("ip"),
            port: 30000,
            codecs: vec![a.codec],
            telephone_event: a.telephone_event,
            direction: a.direction,
            ptime: a.ptime,
        };
        let body = write(&local, Some((&offer, a.media_index)));
        let parsed = SessionDescription::parse(&body).expect("our answer parses");
        assert_eq!(parsed.media.len(), 1);
        assert_eq!(parsed.media[0].formats, ["8", "101"]);
        assert_eq!(
            parsed.media[0].rtpmap(101),
            Some(("telephone-event".into(), 8000))
        );
        assert_eq!(parsed.connection, Some("192.0.2.10".parse().expect("ip")));
    }

    #[test]
    fn hold_offers_get_the_matching_direction() {
        let sendonly = SIPP_OFFER.to_owned() + "a=sendonly\r\n";
        let a = negotiate(
            &SessionDescription::parse(&sendonly).expect("p"),
            &AudioPolicy::default(),
        )
        .expect("n");
        assert_eq!(a.direction, Direction::RecvOnly);
        assert!(!a.we_send());
        let old_style = SIPP_OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
        let a = negotiate(
            &SessionDescription::parse(&old_style).expect("p"),
            &AudioPolicy::default(),
        )
        .expect("n");
        assert!(!a.we_send(), "c=0.0.0.0 is hold (RFC 3264 8.4)");
        let session_level = SIPP_OFFER.replace("t=0 0\r\n", "t=0 0\r\na=inactive\r\n");
        let a = negotiate(
            &SessionDescription::parse(&session_level).expect("p"),
            &AudioPolicy::default(),
        )
        .expect("n");
        assert_eq!(a.direction, Direction::Inactive);
    }

    #[test]
    fn other_streams_are_rejected_in_place() {
        let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
            m=video 5002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 5000 RTP/AVP 0\r\n";
        let offer = SessionDescription::parse(offer).expect("parse");
        let a = negotiate(&offer, &AudioPolicy::default()).expect("negotiate");
        assert_eq!(a.media_index, 1);
        assert_eq!(a.codec, Codec::Pcmu);
        let local = LocalAudio {
            session_id: 1,
            session_version: 1,
            addr: "10.0.0.2".parse().expect("ip"),
            port: 4000,
            codecs: vec![Codec::Pcmu],
            telephone_event: None,
            direction: Direction::SendRecv,
            ptime: 20,
        };
        let answer = SessionDescription::parse(&write(&local, Some((&offer, 1)))).expect("parse");
        assert_eq!(answer.media.len(), 2);
        assert_eq!(
            (answer.media[0].kind.as_str(), answer.media[0].port),
            ("video", 0)
        );
        assert_eq!(
            (answer.media[1].kind.as_str(), answer.media[1].port),
            ("audio", 4000)
        );
    }

    #[test]
    fn offers_without_g711_or_audio_are_refused() {
        let opus_only = SIPP_OFFER
            .replace("RTP/AVP 8 0 101", "RTP/AVP 111")
            .replace("a=rtpmap:8 PCMA/8000", "a=rtpmap:111 opus/48000/2");
        assert!(matches!(
            negotiate(
                &SessionDescription::parse(&opus_only).expect("p"),
                &AudioPolicy::default()
            ),
            Err(SdpError::NoCommonCodec(_))
        ));
        let no_audio = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n";
        assert_eq!(
            negotiate(
                &SessionDescription::parse(no_audio).expect("p"),
                &AudioPolicy::default()
            ),
            Err(SdpError::NoAudio)
        );
        let no_c = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5 RTP/AVP 0\r\n";
        assert_eq!(
            negotiate(
                &SessionDescription::parse(no_c).expect("p"),
                &AudioPolicy::default()
            ),
            Err(SdpError::NoConnection)
        );
        // A PCMA-only policy refuses a PCMU-only offer.
        let pcmu = SIPP_OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 0");
        let pcma_only = AudioPolicy {
            codecs: vec![Codec::Pcma],
        };
        assert!(negotiate(&SessionDescription::parse(&pcmu).expect("p"), &pcma_only).is_err());
    }

    #[test]
    fn malformed_bodies_are_refused_with_a_reason() {
        assert_eq!(SessionDescription::parse(""), Err(SdpError::NoVersion));
        assert_eq!(
            SessionDescription::parse("o=- 1 1 IN IP4 1.2.3.4\r\n"),
            Err(SdpError::NoVersion)
        );
        assert_eq!(
            SessionDescription::parse("v=0\r\nthis is not sdp\r\n"),
            Err(SdpError::BadLine(2))
        );
        assert!(matches!(
            SessionDescription::parse("v=0\r\nm=audio\r\n"),
            Err(SdpError::BadMedia(_))
        ));
        assert!(matches!(
            SessionDescription::parse("v=0\r\nm=audio 99999 RTP/AVP 0\r\n"),
            Err(SdpError::BadMedia(_))
        ));
        assert!(matches!(
            SessionDescription::parse("v=0\r\nc=IN IP7 X\r\n"),
            Err(SdpError::BadConnection(_))
        ));
        assert!(matches!(
            SessionDescription::parse("v=0\r\nc=IN IP4 ::1\r\n"),
            Err(SdpError::BadConnection(_))
        ));
        // Every prefix of a valid body parses or errs; none panics.
        for n in 0..SIPP_OFFER.len() {
            if let Some(prefix) = SIPP_OFFER.get(..n) {
                let _ = SessionDescription::parse(prefix)
                    .map(|sd| negotiate(&sd, &AudioPolicy::default()));
            }
        }
    }

    #[test]
    fn the_sdp_corpus_parses_or_fails_cleanly() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sdp");
        let mut seen = 0;
        let mut negotiated = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("corpus directory").flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "sdp") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable corpus file");
            seen += 1;
            if let Ok(sd) = SessionDescription::parse(&text)
                && negotiate(&sd, &AudioPolicy::default()).is_ok()
            {
                negotiated.push(path.file_name().map(|n| n.to_string_lossy().into_owned()));
            }
        }
        assert!(seen >= 20, "corpus has {seen} files");
        let has = |name: &str| negotiated.contains(&Some(name.to_owned()));
        // Plain RTP/AVP audio offers with G.711 negotiate; SRTP-only offers (RTP/SAVPF, as
        // browsers send) do not: the trunk side speaks plain RTP.
        assert!(
            has("simulcast.sdp") && has("ts-refclk-media.sdp"),
            "{negotiated:?}"
        );
        assert!(!has("normal.sdp") && !has("jssip.sdp"), "{negotiated:?}");
        // invalid.sdp's oddities (`a=rtcp:1 IN IP7 X`, an `f=` line) are in places a tolerant
        // parser ignores; it parses.
        let invalid = std::fs::read_to_string(dir.join("invalid.sdp")).expect("invalid.sdp");
        assert!(SessionDescription::parse(&invalid).is_ok());
    }
}
