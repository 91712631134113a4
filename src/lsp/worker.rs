//! The decision-table analysis on its own thread: the server keeps answering
//! hover and completion while a large policy is analysed, and of several
//! versions of a document queued meanwhile only the newest is analysed.

use super::document::Analysis;
use crate::analysis::Finding;
use crossbeam_channel::{unbounded, Receiver, Sender};
use lsp_types::Url;

pub struct Job {
    pub uri: Url,
    pub version: i32,
    pub analysis: Analysis,
}

pub struct Done {
    pub uri: Url,
    pub version: i32,
    /// `None` when the analysis failed (a bug in it).
    pub findings: Option<Vec<Finding>>,
}

/// Starts the worker; it ends when the job sender is dropped.
pub fn spawn() -> (Sender<Job>, Receiver<Done>) {
    let (jobs, inbox) = unbounded::<Job>();
    let (outbox, done) = unbounded();
    std::thread::spawn(move || {
        while let Ok(first) = inbox.recv() {
            let mut latest = vec![first];
            while let Ok(job) = inbox.try_recv() {
                latest.retain(|j| j.uri != job.uri);
                latest.push(job);
            }
            for job in latest {
                let run = std::panic::AssertUnwindSafe(|| job.analysis.run());
                let findings = std::panic::catch_unwind(run).ok();
                if outbox.send(Done { uri: job.uri, version: job.version, findings }).is_err() {
                    return;
                }
            }
        }
    });
    (jobs, done)
}
