//! Opus for browser legs that negotiate it (agents on poor networks): transcoding between the
//! trunk's G.711 and Opus, at 8 kHz on both sides (libopus codes narrowband directly, so no
//! resampler is needed; the RTP clock of Opus stays 48 kHz, RFC 7587 4.1).
//!
//! Pass-through G.711 is the cheap path; this costs a decode and an encode per frame.

use crate::g711::Law;

/// Samples per 20 ms frame at 8 kHz.
const FRAME: usize = 160;

/// Why Opus could not be set up or used.
#[derive(Debug, thiserror::Error)]
pub enum OpusError {
    /// libopus refused (bad packet, or it could not create a codec).
    #[error("opus: {0}")]
    Codec(String),
}

impl From<opus::Error> for OpusError {
    fn from(e: opus::Error) -> OpusError {
        OpusError::Codec(e.to_string())
    }
}

/// One leg's Opus encoder and decoder.
pub struct Transcoder {
    encoder: opus::Encoder,
    decoder: opus::Decoder,
    pcm: Vec<i16>,
    packet: Vec<u8>,
}

impl std::fmt::Debug for Transcoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transcoder")
    }
}

impl Transcoder {
    /// An 8 kHz mono encoder (VoIP mode, in-band FEC on) and decoder.
    pub fn new() -> Result<Transcoder, OpusError> {
        let mut encoder = opus::Encoder::new(8000, opus::Channels::Mono, opus::Application::Voip)?;
        // In-band FEC: the point of Opus here is surviving loss on the agent's network.
        encoder.set_inband_fec(true)?;
        encoder.set_packet_loss_perc(5)?;
        Ok(Transcoder {
            encoder,
            decoder: opus::Decoder::new(8000, opus::Channels::Mono)?,
            pcm: vec![0; FRAME * 6],
            packet: vec![0; 400],
        })
    }

    /// A G.711 frame (in `law`) as an Opus packet.
    pub fn encode(&mut self, law: Law, g711: &[u8]) -> Result<Vec<u8>, OpusError> {
        self.pcm.clear();
        self.pcm.extend(g711.iter().map(|b| law.decode(*b)));
        self.pcm.resize(FRAME, 0);
        let n = self.encoder.encode(&self.pcm, &mut self.packet)?;
        Ok(self.packet[..n].to_vec())
    }

    /// An Opus packet as G.711 in `law` (20 ms, or what the packet holds).
    pub fn decode(&mut self, law: Law, packet: &[u8]) -> Result<Vec<u8>, OpusError> {
        self.pcm.resize(FRAME * 6, 0);
        let n = self.decoder.decode(packet, &mut self.pcm, false)?;
        Ok(self.pcm[..n].iter().map(|s| law.encode(*s)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, frame: usize) -> Vec<i16> {
        (0..FRAME)
            .map(|i| {
                let t = (frame * FRAME + i) as f64 / 8000.0;
                ((t * freq * std::f64::consts::TAU).sin() * 8000.0) as i16
            })
            .collect()
    }

    #[test]
    fn a_tone_survives_g711_to_opus_and_back() {
        let mut a = Transcoder::new().expect("codec");
        let mut b = Transcoder::new().expect("codec");
        let mut out = Vec::new();
        for f in 0..50 {
            let g711: Vec<u8> = tone(440.0, f).iter().map(|s| Law::Mu.encode(*s)).collect();
            let packet = a.encode(Law::Mu, &g711).expect("encode");
            assert!(
                packet.len() < 160,
                "Opus is smaller than G.711: {}",
                packet.len()
            );
            let back = b.decode(Law::A, &packet).expect("decode");
            assert_eq!(back.len(), FRAME);
            out.extend(back.iter().map(|x| Law::A.decode(*x)));
        }
        // After the codec's start-up, the level is about the input's (peak 8000).
        let tail = &out[4000..];
        let rms =
            (tail.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
        assert!((4000.0..7000.0).contains(&rms), "{rms}");
    }

    #[test]
    fn a_broken_packet_is_an_error_not_a_panic() {
        let mut t = Transcoder::new().expect("codec");
        for junk in [
            &[0xffu8; 3][..],
            &[0x0b, 0xff, 0xff, 0xff][..],
            &[0u8; 1500][..],
        ] {
            let _ = t.decode(Law::Mu, junk);
        }
    }
}
