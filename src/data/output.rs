//! Where a run's output and reject report go: a file, written to a temporary
//! file beside the target and renamed at the end, or stdout (or a device),
//! held until the run has succeeded. A failed run never leaves half a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// An output that appears only when the run succeeds.
pub enum Output {
    Stdout(Spill),
    File(FileOut, PathBuf),
    /// A device or pipe (`/dev/null`, a FIFO): written in place, never replaced.
    Special(Spill, PathBuf),
}

/// A temporary file being written. Past every [`SYNC_EVERY`] bytes a thread
/// of its own writes the file's pages back to disk (`sync_data` on a second
/// handle) while the run goes on, so that the `sync_all` before the rename
/// finds little left: syncing a 200 MB output at the end took longer than
/// a tenth of the run, with every core idle.
pub struct FileOut {
    w: std::io::BufWriter<tempfile::NamedTempFile>,
    since_sync: u64,
    syncer: Option<(std::sync::mpsc::SyncSender<()>, std::thread::JoinHandle<()>)>,
}

/// Bytes written between background syncs (small in unit tests, to sync often).
const SYNC_EVERY: u64 = if cfg!(test) { 1 << 12 } else { 32 << 20 };

impl FileOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(buf)?;
        self.since_sync += n as u64;
        if self.since_sync >= SYNC_EVERY {
            self.since_sync = 0;
            self.sync_behind();
        }
        Ok(n)
    }

    /// Asks the syncing thread (started the first time) for a sync; a request
    /// while it is still syncing is dropped, never waited for. A failed sync
    /// is only an early one: the final `sync_all` reports the error.
    fn sync_behind(&mut self) {
        if self.syncer.is_none() {
            let Ok(file) = self.w.get_ref().as_file().try_clone() else { return };
            let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
            let handle = std::thread::spawn(move || {
                while rx.recv().is_ok() {
                    let _ = file.sync_data();
                }
            });
            self.syncer = Some((tx, handle));
        }
        if let Some((tx, _)) = &self.syncer {
            let _ = tx.try_send(());
        }
    }

    /// Everything written, flushed and on disk: the syncing thread stopped,
    /// then the whole file synced.
    fn finish(&mut self) -> std::io::Result<()> {
        self.w.flush()?;
        if let Some((tx, handle)) = self.syncer.take() {
            drop(tx);
            let _ = handle.join();
        }
        self.w.get_ref().as_file().sync_all()
    }
}

/// Output held until the run succeeds without holding it in memory: past a few
/// MiB it goes to an anonymous temporary file (unlinked at once, so nothing is
/// left behind however the process ends), copied out on commit.
#[derive(Default)]
pub struct Spill {
    memory: Vec<u8>,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

/// Output kept in memory up to this size.
const SPILL_AT: usize = 8 << 20;

impl Spill {
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.file.is_none() && self.memory.len() + buf.len() > SPILL_AT {
            let mut file = std::io::BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        match self.file.as_mut() {
            Some(f) => f.write_all(buf),
            None => {
                self.memory.extend_from_slice(buf);
                Ok(())
            }
        }
    }

    /// Copies everything held to `to`.
    fn copy_to(self, to: &mut impl Write) -> std::io::Result<()> {
        use std::io::Seek;
        match self.file {
            Some(f) => {
                let mut file = f.into_inner().map_err(|e| e.into_error())?;
                file.seek(std::io::SeekFrom::Start(0))?;
                std::io::copy(&mut file, to)?;
            }
            None => to.write_all(&self.memory)?,
        }
        to.flush()
    }
}

/// `e` with the target named: `cannot write `out.csv`: …`.
fn named(target: &Path, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("cannot write `{}`: {e}", target.display()))
}

impl Output {
    /// The output for `target` (`-`: stdout).
    pub fn create(target: &str) -> std::io::Result<Output> {
        if target == "-" {
            return Ok(Output::Stdout(Spill::default()));
        }
        let path = PathBuf::from(target);
        // Renaming a temporary file over `/dev/null` would replace the device.
        if std::fs::metadata(&path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            return Ok(Output::Special(Spill::default(), path));
        }
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new().prefix(".tier-").tempfile_in(dir).map_err(|e| named(&path, e))?;
        watch(tmp.path());
        Ok(Output::File(FileOut { w: std::io::BufWriter::new(tmp), since_sync: 0, syncer: None }, path))
    }

    /// Makes the output appear: renames the file into place, or copies what is
    /// held to stdout or the device.
    pub fn commit(self) -> std::io::Result<()> {
        match self {
            Output::Stdout(held) => held.copy_to(&mut std::io::stdout().lock()),
            Output::Special(held, path) => std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|mut f| held.copy_to(&mut f))
                .map_err(|e| named(&path, e)),
            Output::File(f, path) => {
                let tmp = f.w.into_inner().map_err(|e| e.into_error())?;
                let temp = tmp.path().to_path_buf();
                tmp.persist(&path).map_err(|e| named(&path, e.error))?;
                forget(&temp);
                Ok(())
            }
        }
    }
}

/// Commits a run's output and its reject report once both are completely
/// written (a full disk fails here, before either appears), the reject report
/// first: no failure leaves an output whose skipped records are nowhere.
pub fn commit(out: Output, rejects: Option<Output>) -> std::io::Result<()> {
    commit_all(rejects.into_iter().chain([out]).collect())
}

/// Commits outputs in order once all are completely written.
pub fn commit_all(mut all: Vec<Output>) -> std::io::Result<()> {
    for o in &mut all {
        o.flush()?;
        if let Output::File(f, _) = o {
            f.finish()?;
        }
    }
    all.into_iter().try_for_each(Output::commit)
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(held) | Output::Special(held, _) => held.write_all(buf).map(|()| buf.len()),
            Output::File(f, _) => f.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(_) | Output::Special(..) => Ok(()),
            Output::File(f, _) => f.w.flush(),
        }
    }
}

/// The temporary files of outputs not yet committed: a signal ends the process
/// without running destructors, so the CLI's handler removes these.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn watch(path: &Path) {
    if let Ok(mut t) = TEMPS.lock() {
        t.push(path.to_path_buf());
    }
}

fn forget(path: &Path) {
    if let Ok(mut t) = TEMPS.lock() {
        t.retain(|p| p != path);
    }
}

/// The temporary files to remove if the run is interrupted now.
pub fn temporaries() -> Vec<PathBuf> {
    TEMPS.lock().map(|t| t.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_synced_in_the_background_while_written_is_whole_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let mut out = Output::create(target.to_str().unwrap()).unwrap();
        let mut want = Vec::new();
        for i in 0..20_000u32 {
            let line = format!("C{i},tier {}\n", i % 7);
            out.write_all(line.as_bytes()).unwrap();
            want.extend_from_slice(line.as_bytes());
        }
        assert!(matches!(&out, Output::File(f, _) if f.syncer.is_some()), "the syncing thread started");
        assert!(!target.exists(), "nothing appears before the commit");
        commit(out, None).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), want);
    }
}
