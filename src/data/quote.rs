//! Follows CSV quoting beside the csv crate's parser, which accepts an input
//! that ends inside a quoted field: the open field silently swallows every later
//! line. The readers ask the watch whether the input ended that way.

use std::cell::Cell as Flag;
use std::io::Read;
use std::rc::Rc;

/// Where the csv crate's parser stands, followed byte by byte beside it.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Start,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: its end, or the first of a doubled quote.
    AfterQuote,
}

/// Follows the csv crate's quoting over the bytes it reads, because the crate
/// accepts an input that ends inside a quoted field: the open field silently
/// swallows every later line. `open` is set when the input ends that way (the
/// last record the reader yields is the culprit).
pub struct QuoteWatch<R> {
    inner: R,
    state: Field,
    open: Rc<Flag<bool>>,
    /// The line of the next byte, 1-based.
    line: u64,
    /// No byte of the current record seen yet (blank lines are no records).
    at_record: bool,
    /// The first line of each record seen and not yet taken by the reader;
    /// `None` until a reader asks for them (else they would pile up).
    starts: Option<Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>>,
}

impl<R> QuoteWatch<R> {
    /// `input` watched, and the flag set when it ends inside a quoted field.
    pub fn new(input: R) -> (Self, Rc<Flag<bool>>) {
        let open = Rc::new(Flag::new(false));
        let watch = QuoteWatch {
            inner: input,
            state: Field::Start,
            open: open.clone(),
            line: 1,
            at_record: true,
            starts: None,
        };
        (watch, open)
    }

    /// The first line of each record, in order, as the bytes are read (the
    /// reader takes one per record it yields, the header's first).
    pub fn starts(&mut self) -> Rc<std::cell::RefCell<std::collections::VecDeque<u64>>> {
        self.starts.get_or_insert_with(Default::default).clone()
    }
}

impl<R: Read> Read for QuoteWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.open.set(self.state == Field::Quoted);
        }
        let bytes = buf.get(..n).unwrap_or_default();
        let mut i = 0;
        while i < bytes.len() {
            let rest = &bytes[i..];
            let (skip, state) = match self.state {
                Field::Quoted => match memchr::memchr(b'"', rest) {
                    Some(p) => (p + 1, Field::AfterQuote),
                    None => (rest.len(), Field::Quoted),
                },
                Field::Unquoted => match memchr::memchr3(b',', b'\n', b'\r', rest) {
                    Some(p) => (p + 1, Field::Start),
                    None => (rest.len(), Field::Unquoted),
                },
                Field::Start if self.at_record && !matches!(rest[0], b'\n' | b'\r') => {
                    self.at_record = false;
                    if let Some(starts) = &self.starts {
                        starts.borrow_mut().push_back(self.line);
                    }
                    continue;
                }
                Field::Start => match rest[0] {
                    b'"' => (1, Field::Quoted),
                    b',' | b'\n' | b'\r' => (1, Field::Start),
                    _ => (1, Field::Unquoted),
                },
                Field::AfterQuote => match rest[0] {
                    b'"' => (1, Field::Quoted),
                    b',' | b'\n' | b'\r' => (1, Field::Start),
                    _ => (1, Field::Unquoted),
                },
            };
            let span = &rest[..skip.min(rest.len())];
            self.line += memchr::memchr_iter(b'\n', span).count() as u64;
            // A line break outside quotes ends the record.
            if state == Field::Start && matches!(span.last(), Some(b'\n' | b'\r')) {
                self.at_record = true;
            }
            i += skip;
            self.state = state;
        }
        Ok(n)
    }
}
