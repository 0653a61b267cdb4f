//! WAV prompts: RIFF/WAVE files with 16-bit PCM (any rate, mono or stereo) or G.711 samples,
//! read into 8 kHz linear samples for playback; and a 16-bit PCM writer (recordings, tests).
//! Tenants upload their own prompts, so the reader refuses anything malformed with a reason.

/// Why a file is not a usable prompt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// Not a RIFF/WAVE file, or a chunk runs past the end.
    #[error("not a WAV file: {0}")]
    Malformed(&'static str),
    /// A format we do not play.
    #[error("unsupported WAV format: {0}")]
    Unsupported(String),
}

/// Decoded audio: 8 kHz mono linear samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    /// The samples, 8000 per second.
    pub samples: Vec<i16>,
}

impl Audio {
    /// How long the audio plays, in ms (rounded down).
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 * 1000 / 8000
    }
}

fn le16(b: &[u8], at: usize) -> Result<u16, WavError> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(WavError::Malformed("truncated"))
}

fn le32(b: &[u8], at: usize) -> Result<u32, WavError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(WavError::Malformed("truncated"))
}

/// Read a 16-bit PCM stereo WAV file (a call recording) into its left and right channels,
/// at the file's own rate.
pub fn read_stereo(bytes: &[u8]) -> Result<(Vec<i16>, Vec<i16>), WavError> {
    let (body, (tag, channels, _, bits)) = data_chunk(bytes)?;
    if (tag, channels, bits) != (1, 2, 16) {
        return Err(WavError::Unsupported("not 16-bit PCM stereo".into()));
    }
    let samples: Vec<i16> = body
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(samples.chunks_exact(2).map(|c| (c[0], c[1])).unzip())
}

/// Read a WAV file into 8 kHz mono samples.
pub fn read(bytes: &[u8]) -> Result<Audio, WavError> {
    let (body, (tag, channels, rate, bits)) = data_chunk(bytes)?;
    decode(body, tag, channels, rate, bits)
}

/// A WAV file's format: tag, channels, rate, bits per sample.
type Format = (u16, u16, u32, u16);

/// The data chunk of a WAV file and its format.
fn data_chunk(bytes: &[u8]) -> Result<(&[u8], Format), WavError> {
    if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Err(WavError::Malformed("no RIFF/WAVE header"));
    }
    let mut at = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = le32(bytes, at + 4)? as usize;
        let body = bytes
            .get(at + 8..at + 8 + size)
            .ok_or(WavError::Malformed("chunk runs past the end"))?;
        match id {
            b"fmt " => {
                format = Some((
                    le16(body, 0)?,
                    le16(body, 2)?,
                    le32(body, 4)?,
                    le16(body, 14)?,
                ));
            }
            b"data" => {
                let format = format.ok_or(WavError::Malformed("data before fmt"))?;
                return Ok((body, format));
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        at += 8 + size + (size & 1);
    }
    Err(WavError::Malformed("no data chunk"))
}

fn decode(body: &[u8], tag: u16, channels: u16, rate: u32, bits: u16) -> Result<Audio, WavError> {
    if channels == 0 || channels > 2 {
        return Err(WavError::Unsupported(format!("{channels} channels")));
    }
    if !(8000..=96_000).contains(&rate) {
        return Err(WavError::Unsupported(format!("sample rate {rate}")));
    }
    let frame: Vec<i16> = match (tag, bits) {
        (1, 16) => body
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect(),
        (6, 8) => body
            .iter()
            .map(|&b| crate::g711::Law::A.decode(b))
            .collect(),
        (7, 8) => body
            .iter()
            .map(|&b| crate::g711::Law::Mu.decode(b))
            .collect(),
        (tag, bits) => {
            return Err(WavError::Unsupported(format!(
                "format tag {tag} with {bits} bits"
            )));
        }
    };
    let mono: Vec<i16> = if channels == 2 {
        frame
            .chunks_exact(2)
            .map(|c| ((i32::from(c[0]) + i32::from(c[1])) / 2) as i16)
            .collect()
    } else {
        frame
    };
    Ok(Audio {
        samples: resample_to_8k(&mono, rate),
    })
}

/// Linear-interpolation resampling to 8 kHz, after a box filter over the samples each output
/// sample spans (enough for speech prompts; make prompts at 8 kHz for best quality).
fn resample_to_8k(input: &[i16], rate: u32) -> Vec<i16> {
    if rate == 8000 || input.is_empty() {
        return input.to_vec();
    }
    let step = f64::from(rate) / 8000.0;
    let out_len = (input.len() as f64 / step) as usize;
    let span = step.ceil() as usize;
    (0..out_len)
        .map(|i| {
            let start = (i as f64 * step) as usize;
            let end = (start + span).min(input.len());
            let sum: i64 = input[start..end].iter().map(|&s| i64::from(s)).sum();
            (sum / (end - start).max(1) as i64) as i16
        })
        .collect()
}

/// A 16-bit PCM WAV file of `channels` interleaved channels at `rate`.
pub fn write_pcm16(samples: &[i16], channels: u16, rate: u32) -> Vec<u8> {
    let mut out = pcm16_header(channels, rate, (samples.len() * 2) as u32);
    out.reserve(samples.len() * 2);
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// The 44-byte header of a 16-bit PCM WAV file with `data_len` bytes of samples (a recorder
/// writes it first and rewrites it as the file grows).
pub fn pcm16_header(channels: u16, rate: u32, data_len: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(44);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&data_len.saturating_add(36).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_8k_mono_file_round_trips() {
        let samples: Vec<i16> = (0..800).map(|i| (i * 37 % 2000) as i16 - 1000).collect();
        let audio = read(&write_pcm16(&samples, 1, 8000)).expect("read");
        assert_eq!(audio.samples, samples);
        assert_eq!(audio.duration_ms(), 100);
    }

    #[test]
    fn other_rates_and_stereo_become_8k_mono() {
        let stereo: Vec<i16> = (0..22050 * 2)
            .map(|i| if i % 2 == 0 { 1000 } else { 3000 })
            .collect();
        let audio = read(&write_pcm16(&stereo, 2, 22050)).expect("read");
        assert!(
            (7990..=8000).contains(&audio.samples.len()),
            "{}",
            audio.samples.len()
        );
        assert!(audio.samples.iter().all(|&s| s == 2000));
    }

    #[test]
    fn malformed_and_unsupported_files_are_refused() {
        assert!(matches!(read(b"nonsense"), Err(WavError::Malformed(_))));
        let mut f = write_pcm16(&[0; 10], 1, 8000);
        f.truncate(30);
        assert!(read(&f).is_err());
        let mut f = write_pcm16(&[0; 10], 1, 8000);
        f[34] = 24; // bits per sample
        assert!(matches!(read(&f), Err(WavError::Unsupported(_))));
        let mut f = write_pcm16(&[0; 10], 1, 8000);
        f[40] = 0xff; // data size far past the end
        assert!(matches!(read(&f), Err(WavError::Malformed(_))));
        for n in 0..44 {
            let _ = read(&write_pcm16(&[1; 4], 1, 8000)[..n]);
        }
    }
}
