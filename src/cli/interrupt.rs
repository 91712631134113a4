//! Temporary output files are removed when a run is interrupted: a signal ends
//! the process without running destructors, so `apply`'s outputs register
//! their temporary files with `tierlang::data::output` until they are committed.

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary files, exit 128 + signal.
pub fn install() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let temps = tierlang::data::output::temporaries();
            for t in temps {
                let _ = std::fs::remove_file(t);
            }
            std::process::exit(128 + sig);
        }
    });
}
