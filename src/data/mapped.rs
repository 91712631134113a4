//! An input file mapped into memory: the parallel reader then cuts its
//! blocks as slices of the file's pages instead of copying each block out of
//! the kernel's page cache (that copy was a sixth of a clean 10M-row run's
//! CPU time), and lets go of each block's pages once it is done, so resident
//! memory stays a few blocks. The only `unsafe` of the library is here.
//!
//! A mapping is only as stable as the file under it. Another program that
//! *writes* to the file meanwhile changes the bytes being read: the run is
//! void, and [`Mapped::unchanged`] (size and modification time, checked
//! after the run) says so, so the caller reads the file again. One that
//! *truncates* it makes reading past the new end raise `SIGBUS`; the `tier`
//! binary handles that signal (it says so, removes its temporary outputs and
//! exits 2), so nothing is written either way.

use std::fs::File;
use std::time::SystemTime;

/// Files below this are best read, not mapped: a mapping's setup costs more
/// than copying a few blocks.
pub const WORTH_MAPPING: u64 = 1 << 20;

/// A regular file mapped read-only, with what it was like when mapped.
pub struct Mapped {
    map: memmap2::Mmap,
    file: File,
    stamp: (u64, Option<SystemTime>),
}

impl Mapped {
    /// `file` mapped, if it is a regular file of at least `min` bytes (and
    /// one) and the system maps it; else the file back, to be read.
    pub fn new(file: File, min: u64) -> Result<Mapped, File> {
        let Ok(meta) = file.metadata() else { return Err(file) };
        if !meta.is_file() || meta.len() < min.max(1) {
            return Err(file);
        }
        // SAFETY: the mapping is read-only and private to this process, and
        // lives as long as `Mapped` (the slices handed out borrow it). What a
        // mapping cannot rule out is another process changing the file: a
        // write is caught by `unchanged` after the run, a truncation raises
        // SIGBUS, which the binary turns into an error (see the module's docs).
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().map(&file) };
        match map {
            Ok(map) => Ok(Mapped { map, stamp: stamp(&meta), file }),
            Err(_) => Err(file),
        }
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Lets go of the pages of `bytes()[at..at + len]`, which the run has
    /// read: a mapped page counts in the process's resident memory from its
    /// first read, so a run over a large file would otherwise end up holding
    /// all of it. The pages stay in the page cache; read again, they are
    /// mapped again.
    pub fn release(&self, at: usize, len: usize) {
        // SAFETY: MADV_DONTNEED on a read-only file mapping only drops this
        // process's page table entries: the mapping has no pages of its own
        // to lose, and a later read faults the same file bytes in again.
        #[allow(unsafe_code)]
        let _ = unsafe { self.map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, at, len) };
    }

    /// Whether the file still has the size and modification time it had
    /// when mapped; `false` where they cannot be read.
    pub fn unchanged(&self) -> bool {
        self.file.metadata().is_ok_and(|meta| stamp(&meta) == self.stamp && self.map.len() as u64 == meta.len())
    }
}

fn stamp(meta: &std::fs::Metadata) -> (u64, Option<SystemTime>) {
    (meta.len(), meta.modified().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_is_mapped_whole_and_a_change_to_it_is_seen() {
        let mut tmp = tempfile::NamedTempFile::new().expect("temp file");
        let text: Vec<u8> = (0..WORTH_MAPPING + 7).map(|i| b'a' + (i % 26) as u8).collect();
        tmp.write_all(&text).expect("write");
        let Ok(mapped) = Mapped::new(tmp.reopen().expect("reopen"), WORTH_MAPPING) else { panic!("not mapped") };
        assert_eq!(mapped.bytes(), &text[..]);
        assert!(mapped.unchanged());
        // Let go of, the pages read again are the same bytes.
        mapped.release(0, text.len());
        assert_eq!(mapped.bytes(), &text[..]);
        // Grown by another writer: the run over the mapping is void.
        tmp.as_file().set_len(WORTH_MAPPING + 8).expect("grow");
        assert!(!mapped.unchanged());
    }

    #[test]
    fn small_files_and_what_is_not_a_file_are_read_instead() {
        let tmp = tempfile::NamedTempFile::new().expect("temp file");
        tmp.as_file().set_len(WORTH_MAPPING - 1).expect("size");
        assert!(Mapped::new(tmp.reopen().expect("reopen"), WORTH_MAPPING).is_err());
        // An empty file is never mapped (there is nothing to map).
        tmp.as_file().set_len(0).expect("size");
        assert!(Mapped::new(tmp.reopen().expect("reopen"), 0).is_err());
        let dir = tempfile::tempdir().expect("dir");
        if let Ok(d) = File::open(dir.path()) {
            assert!(Mapped::new(d, 0).is_err());
        }
    }
}
