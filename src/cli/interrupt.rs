//! Temporary output files are removed when a run is interrupted: a signal ends
//! the process without running destructors, so `apply`'s outputs register
//! their temporary files here until they are committed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary files, exit 128 + signal.
pub fn install() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let temps = TEMPS.lock().map(|t| t.clone()).unwrap_or_default();
            for t in temps {
                let _ = std::fs::remove_file(t);
            }
            std::process::exit(128 + sig);
        }
    });
}

/// A temporary file to remove if the run is interrupted.
pub fn watch(path: &Path) {
    if let Ok(mut t) = TEMPS.lock() {
        t.push(path.to_path_buf());
    }
}

/// A temporary file committed (renamed): nothing to remove any more.
pub fn forget(path: &Path) {
    if let Ok(mut t) = TEMPS.lock() {
        t.retain(|p| p != path);
    }
}
