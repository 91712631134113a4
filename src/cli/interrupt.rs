//! Temporary output files are removed when a run is interrupted: a signal ends
//! the process without running destructors, so `apply`'s outputs register
//! their temporary files with `tierlang::data::output` until they are committed.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set when a mapped input was cut short under the run (see [`guard_mapped`]).
static CUT_SHORT: AtomicBool = AtomicBool::new(false);

/// What `tier` says when a mapped input was cut short.
const CUT_SHORT_MESSAGE: &[u8] = b"error: the input file was cut short while it was being read \
(did another program truncate it?); nothing was written\n";

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary files, exit 128 + signal
/// (exit 2 where an input was cut short, see [`guard_mapped`]).
pub fn install() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    guard_mapped();
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let temps = tierlang::data::output::temporaries();
            for t in temps {
                let _ = std::fs::remove_file(t);
            }
            std::process::exit(if CUT_SHORT.load(Ordering::SeqCst) { 2 } else { 128 + sig });
        }
    });
}

/// A large input file is mapped into memory (`tierlang::data::mapped`); if
/// another program truncates it during the run, reading past its new end
/// raises SIGBUS in the reading thread, which must not return to the read.
/// Its handler may only do what is safe in a signal handler: it writes the
/// message (once) on a descriptor opened beforehand, has the thread above
/// remove the temporary files and exit 2 (by raising SIGTERM), and waits.
fn guard_mapped() {
    use std::io::Write;
    use std::os::fd::AsFd;
    let Ok(err) = std::io::stderr().as_fd().try_clone_to_owned() else { return };
    let err = std::fs::File::from(err);
    let action = move || {
        if !CUT_SHORT.swap(true, Ordering::SeqCst) {
            let _ = (&err).write_all(CUT_SHORT_MESSAGE);
            let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTERM);
        }
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    };
    // SAFETY: the action is async-signal-safe: an atomic swap, one write(2)
    // of bytes made beforehand on a descriptor opened beforehand (a `File`
    // writes straight to it: no lock, no allocation), raise(2) and
    // nanosleep(2). It never returns, so the faulting read is not retried.
    // The handler in place before (Rust's, which tells a stack overflow from
    // other faults) is set aside first: signal-hook would call it before the
    // action, and for a fault outside a stack guard it resets SIGBUS to the
    // default, so a second thread reading the cut file would kill the
    // process. On Linux a stack overflow raises SIGSEGV, not SIGBUS.
    #[allow(unsafe_code)]
    let _ = unsafe {
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
        signal_hook::low_level::register(signal_hook::consts::SIGBUS, action)
    };
}
