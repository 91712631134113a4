//! A JSON array of records read one element at a time, so that memory holds one
//! record, not the document. The scanner only finds where each top-level element
//! ends (outside strings, at depth one); serde_json parses the element itself.

use std::io::BufRead;

/// One element of the top-level array: its bytes and the line it starts on.
pub struct Element {
    pub bytes: Vec<u8>,
    pub line: u64,
}

/// Why the document is not an array of elements (with the line where it broke).
#[derive(Debug)]
pub enum ArrayError {
    Io(std::io::Error),
    Syntax { line: u64, message: String },
}

/// The elements of a JSON array read from `input`.
pub struct Elements<R: BufRead> {
    input: R,
    line: u64,
    started: bool,
    /// The closing `]` has been read: no more elements.
    closed: bool,
    done: bool,
}

impl<R: BufRead> Elements<R> {
    pub fn new(input: R) -> Self {
        Elements { input, line: 1, started: false, closed: false, done: false }
    }

    fn byte(&mut self) -> Result<Option<u8>, ArrayError> {
        let buf = self.input.fill_buf().map_err(ArrayError::Io)?;
        let Some(&b) = buf.first() else { return Ok(None) };
        self.input.consume(1);
        if b == b'\n' {
            self.line += 1;
        }
        Ok(Some(b))
    }

    /// The next byte that is not white space (a byte-order mark at the start too).
    fn token(&mut self) -> Result<Option<u8>, ArrayError> {
        loop {
            match self.byte()? {
                Some(b' ' | b'\t' | b'\r' | b'\n') => continue,
                Some(0xEF) if !self.started => {
                    // U+FEFF in UTF-8: EF BB BF.
                    if self.byte()? != Some(0xBB) || self.byte()? != Some(0xBF) {
                        return Err(self.syntax("the document does not start with `[`"));
                    }
                }
                other => return Ok(other),
            }
        }
    }

    fn syntax(&self, message: &str) -> ArrayError {
        ArrayError::Syntax { line: self.line, message: message.to_string() }
    }

    /// Reads one element whose first byte is `first`; returns it and the byte
    /// that ended it (`,` or `]`). Works through the reader's buffer a slice
    /// at a time, jumping through strings to their next quote or backslash.
    fn element(&mut self, first: u8) -> Result<(Vec<u8>, u8), ArrayError> {
        let mut bytes = vec![first];
        let (mut depth, mut in_string, mut escaped) = (0usize, first == b'"', false);
        if matches!(first, b'{' | b'[') {
            depth = 1;
        }
        loop {
            let buf = self.input.fill_buf().map_err(ArrayError::Io)?;
            if buf.is_empty() {
                return Err(self.syntax("the document ends inside an element: the array is never closed"));
            }
            let (mut i, mut end) = (0, None);
            while let Some(&b) = buf.get(i) {
                if escaped {
                    escaped = false;
                } else if in_string {
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        Some(k) => {
                            i += k;
                            (escaped, in_string) = (buf[i] == b'\\', buf[i] == b'\\');
                        }
                        None => i = buf.len() - 1,
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if depth > 0 => depth -= 1,
                        b',' | b']' if depth == 0 => {
                            end = Some(b);
                            break;
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            let taken = &buf[..i];
            bytes.extend_from_slice(taken);
            let lines = memchr::memchr_iter(b'\n', taken).count() as u64;
            self.line += lines;
            match end {
                Some(b) => {
                    self.input.consume(i + 1);
                    return Ok((bytes, b));
                }
                None => self.input.consume(i),
            }
        }
    }
}

impl<R: BufRead> Iterator for Elements<R> {
    type Item = Result<Element, ArrayError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.closed {
            return None;
        }
        let step = (|| {
            if !self.started {
                let first = self.token()?;
                self.started = true;
                if first != Some(b'[') {
                    return Err(self.syntax("the JSON document is not an array of records"));
                }
                return match self.token()? {
                    Some(b']') => Ok(None),
                    Some(b) => self.read_one(b).map(Some),
                    None => Err(self.syntax("the array is never closed")),
                };
            }
            match self.token()? {
                Some(b) => self.read_one(b).map(Some),
                None => Err(self.syntax("the array is never closed")),
            }
        })();
        match step {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: BufRead> Elements<R> {
    /// One element starting with `first`; at the closing `]`, checks that
    /// nothing but white space follows.
    fn read_one(&mut self, first: u8) -> Result<Element, ArrayError> {
        if matches!(first, b',' | b']') {
            return Err(self.syntax("an empty element: a comma with no record before it, or after the last"));
        }
        let line = self.line;
        let (mut bytes, end) = self.element(first)?;
        while bytes.last().is_some_and(u8::is_ascii_whitespace) {
            bytes.pop();
        }
        if end == b']' {
            if self.token()?.is_some() {
                return Err(self.syntax("text after the end of the array"));
            }
            self.closed = true;
        }
        Ok(Element { bytes, line })
    }
}
