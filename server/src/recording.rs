//! Call recordings: stereo WAV (caller left, agent right, 8 kHz, 16-bit), written as the call
//! goes, stored per tenant behind one trait so the local directory (the default) and an
//! S3-compatible object store are interchangeable.
//!
//! The file is valid at every second: the WAV header's sizes are rewritten once a second, so a
//! crash of the node loses at most the last second of audio, and the file plays.
//!
//! Recordings are named by tenant and call id (`<tenant>/<call>.wav`), never exposed as a path:
//! they are served only through `GET /api/v1/calls/{id}/recording`, after the caller's tenant
//! has been checked against the call record.

use std::fmt::Debug;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;

use uuid::Uuid;

use crate::store::TenantId;

/// Recorded samples per second.
pub const RATE: u32 = 8000;
/// Frames (20 ms) between header rewrites: one second.
const FLUSH_EVERY: u32 = 50;

/// Where recordings live.
#[async_trait::async_trait]
pub trait RecordingStore: Send + Sync + Debug {
    /// Start a recording for a call; returns the sink to write it through.
    fn create(&self, tenant: TenantId, call: Uuid) -> std::io::Result<Box<dyn RecordingSink>>;

    /// Open a finished or growing recording by key, with its length in bytes.
    async fn open(&self, key: &str) -> std::io::Result<Option<(u64, tokio::fs::File)>>;
}

/// A recording being written.
pub trait RecordingSink: Send + Debug {
    /// The key the recording is stored under.
    fn key(&self) -> &str;
    /// Append 20 ms of interleaved stereo samples.
    fn write(&mut self, stereo: &[i16]) -> std::io::Result<()>;
    /// Complete the file.
    fn finish(&mut self) -> std::io::Result<()>;
}

/// Recordings in a local directory, one subdirectory per tenant.
#[derive(Debug)]
pub struct LocalRecordings {
    root: PathBuf,
}

impl LocalRecordings {
    pub fn new(root: PathBuf) -> LocalRecordings {
        LocalRecordings { root }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        // Keys are made here (`<uuid>/<uuid>.wav`); anything else is refused, so a key can
        // never climb out of the root.
        let (tenant, file) = key.split_once('/')?;
        let call = file.strip_suffix(".wav")?;
        Uuid::parse_str(tenant).ok()?;
        Uuid::parse_str(call).ok()?;
        Some(self.root.join(tenant).join(file))
    }
}

#[async_trait::async_trait]
impl RecordingStore for LocalRecordings {
    fn create(&self, tenant: TenantId, call: Uuid) -> std::io::Result<Box<dyn RecordingSink>> {
        let key = format!("{}/{}.wav", tenant.0, call);
        let path = self
            .path(&key)
            .ok_or_else(|| std::io::Error::other("bad key"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        file.write_all(&header(0))?;
        Ok(Box::new(LocalSink {
            key,
            file,
            data_bytes: 0,
            frames: 0,
        }))
    }

    async fn open(&self, key: &str) -> std::io::Result<Option<(u64, tokio::fs::File)>> {
        let Some(path) = self.path(key) else {
            return Ok(None);
        };
        match tokio::fs::File::open(&path).await {
            Ok(f) => {
                let len = f.metadata().await?.len();
                Ok(Some((len, f)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[derive(Debug)]
struct LocalSink {
    key: String,
    file: std::io::BufWriter<std::fs::File>,
    data_bytes: u32,
    frames: u32,
}

impl LocalSink {
    fn patch_header(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        let f = self.file.get_mut();
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&header(self.data_bytes))?;
        f.seek(SeekFrom::End(0))?;
        Ok(())
    }
}

impl RecordingSink for LocalSink {
    fn key(&self) -> &str {
        &self.key
    }

    fn write(&mut self, stereo: &[i16]) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(stereo.len() * 2);
        for s in stereo {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        self.file.write_all(&bytes)?;
        self.data_bytes = self.data_bytes.saturating_add(bytes.len() as u32);
        self.frames += 1;
        if self.frames.is_multiple_of(FLUSH_EVERY) {
            self.patch_header()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.patch_header()?;
        self.file.get_ref().sync_data()
    }
}

/// The WAV header of a stereo 16-bit recording with `data_bytes` of samples.
fn header(data_bytes: u32) -> Vec<u8> {
    switchboard_media::wav::pcm16_header(2, RATE, data_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_recording_is_a_valid_stereo_wav_every_second_and_at_the_end() {
        let root = std::env::temp_dir().join(format!("sb-rec-{}", Uuid::new_v4().simple()));
        let store = LocalRecordings::new(root.clone());
        let tenant = TenantId(Uuid::new_v4());
        let call = Uuid::new_v4();
        let mut sink = store.create(tenant, call).expect("create");
        let frame: Vec<i16> = (0..320)
            .map(|i| if i % 2 == 0 { 1000 } else { -200 })
            .collect();
        for _ in 0..60 {
            sink.write(&frame).expect("write");
        }
        // After one second (50 frames) the header on disk already says so: a crash now
        // leaves a playable file.
        let on_disk = std::fs::read(root.join(sink.key())).expect("read");
        let (left, right) =
            switchboard_media::wav::read_stereo(&on_disk).expect("valid WAV mid-call");
        assert!(left.len() >= 8000);
        assert_eq!(
            (left[0], right[0]),
            (1000, -200),
            "caller left, agent right"
        );
        sink.finish().expect("finish");
        let (len, _) = store.open(sink.key()).await.expect("open").expect("exists");
        assert_eq!(len, 44 + 60 * 640);
        let audio =
            switchboard_media::wav::read(&std::fs::read(root.join(sink.key())).expect("read"))
                .expect("valid WAV");
        assert_eq!(audio.duration_ms(), 1200);
        // Keys that are not ours never reach the file system.
        for key in [
            "../../etc/passwd",
            "x/y.wav",
            &format!("{}/../{}.wav", tenant.0, call),
        ] {
            assert!(store.open(key).await.expect("no error").is_none(), "{key}");
        }
        std::fs::remove_dir_all(root).ok();
    }
}
