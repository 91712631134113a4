//! A JSON array cut into chunks of whole elements, on the reader thread. The
//! bytes are classified 64 at a time (as [`crate::data::scan`] does for CSV):
//! quotes, brackets, commas and white space as bit masks, strings found by a
//! running parity of the quotes, so the loop stops only at brackets and
//! commas outside strings. A block with a backslash (or starting after one)
//! is walked byte by byte: escapes are rare and this keeps the masks simple.
//! Stopping at every string cost the reader thread as much as a worker.

use super::Fallback;
use wide::u8x16;

/// Where a JSON array's splitting has got to across blocks.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ArrayState {
    /// A comma has been read: an element must follow (`[1,]` is no array).
    pub(crate) after_comma: bool,
    /// The closing `]` has been read.
    pub(crate) closed: bool,
}

/// What the walk carries from one byte (or block) to the next.
struct Walk<'s> {
    /// Chunks of about this many bytes, those found, and the state across blocks.
    size: usize,
    chunks: Vec<(usize, usize)>,
    state: &'s mut ArrayState,
    in_string: bool,
    /// The last byte was a backslash inside a string.
    escaped: bool,
    depth: usize,
    /// The element being read has a byte other than white space.
    content: bool,
    /// The chunk being gathered starts at `start`; its whole elements end at `end`.
    start: usize,
    end: Option<usize>,
}

/// What a byte outside strings did.
enum Step {
    Go,
    /// The array's closing bracket, at this position.
    Closed(usize),
}

/// Splits the elements of a JSON array (`buf` starts after the `[`, or after a
/// comma between elements) into chunks of about `size` bytes: each chunk is
/// whole elements and the commas between them, without the comma after it,
/// so `[` + chunk + `]` is an array of its elements exactly when the
/// document's text is. Returns the chunks and where the rest begins (after
/// the comma following the last chunk). Elements end at commas outside
/// strings at depth one; the parser judges everything else. An empty
/// element, a stray closing bracket, anything but white space after the
/// array, or an input ending inside it hands back (the plain path says why).
pub(crate) fn split_array(
    buf: &[u8],
    eof: bool,
    size: usize,
    state: &mut ArrayState,
) -> Result<(Vec<(usize, usize)>, usize), Fallback> {
    if state.closed {
        return if blank(buf) { Ok((Vec::new(), buf.len())) } else { Err(Fallback) };
    }
    let mut w = Walk {
        size,
        chunks: Vec::new(),
        state,
        in_string: false,
        escaped: false,
        depth: 0,
        content: false,
        start: 0,
        end: None,
    };
    let mut at = 0;
    while at < buf.len() {
        let block = &buf[at..buf.len().min(at + 64)];
        let m = Masks::of(block);
        let step =
            if m.backslash != 0 || w.escaped { w.bytewise(buf, at, block.len())? } else { w.blockwise(buf, at, &m)? };
        if let Step::Closed(i) = step {
            if !blank(&buf[i + 1..]) {
                return Err(Fallback);
            }
            if w.content {
                w.chunks.push((w.start, i));
            } else if let Some(e) = w.end {
                w.chunks.push((w.start, e));
            }
            w.state.closed = true;
            return Ok((w.chunks, buf.len()));
        }
        at += 64;
    }
    // The input ends inside the array (inside a string, or before its `]`).
    if eof {
        return Err(Fallback);
    }
    Ok(close_block(w.chunks, w.start, w.end))
}

impl Walk<'_> {
    /// One block by its masks: strings skipped by quote parity, the loop stopping
    /// at brackets and commas outside them.
    fn blockwise(&mut self, buf: &[u8], at: usize, m: &Masks) -> Result<Step, Fallback> {
        // Bit i: byte i is inside a string or is its opening quote.
        let inside = prefix_xor(m.quote) ^ if self.in_string { u64::MAX } else { 0 };
        let (brackets, commas) = (m.brackets & !inside, m.comma & !inside);
        // Bytes that make an element non-empty (a string's opening quote among them).
        let filled = m.valid & !m.space & !m.comma;
        // Inside an element (depth > 0) only brackets matter: its commas are passed
        // over, and it has content (its opening bracket).
        let (mut rest, mut from) = (brackets | commas, 0);
        loop {
            let stops = if self.depth == 0 { rest } else { rest & brackets };
            if stops == 0 {
                break;
            }
            let k = stops.trailing_zeros() as usize;
            if self.depth == 0 {
                self.content |= filled & below(k) & !below(from) != 0;
            }
            from = k;
            if let Step::Closed(i) = self.outside(buf[at + k], at + k)? {
                return Ok(Step::Closed(i));
            }
            rest &= !below(k + 1);
        }
        if self.depth == 0 {
            self.content |= filled & !below(from) != 0;
        }
        self.in_string = inside >> 63 != 0;
        Ok(Step::Go)
    }

    /// One block byte by byte (it has a backslash, or starts inside an escape).
    fn bytewise(&mut self, buf: &[u8], at: usize, len: usize) -> Result<Step, Fallback> {
        for (i, &b) in buf.iter().enumerate().skip(at).take(len) {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            if let Step::Closed(i) = self.outside(b, i)? {
                return Ok(Step::Closed(i));
            }
            match b {
                b'"' => (self.in_string, self.content) = (true, true),
                b' ' | b'\t' | b'\r' | b'\n' | b',' | b'{' | b'[' | b'}' | b']' => {}
                _ => self.content = true,
            }
        }
        Ok(Step::Go)
    }

    /// A bracket or comma outside strings at `i` (other bytes pass).
    fn outside(&mut self, b: u8, i: usize) -> Result<Step, Fallback> {
        match b {
            b'{' | b'[' => (self.depth, self.content) = (self.depth + 1, true),
            b'}' | b']' if self.depth > 0 => self.depth -= 1,
            // The array's end: its last element, then only white space.
            b']' if !self.content && self.state.after_comma => return Err(Fallback),
            b']' => return Ok(Step::Closed(i)),
            b'}' => return Err(Fallback),
            b',' if self.depth == 0 => {
                if !self.content {
                    return Err(Fallback); // `[,` or `,,`
                }
                (self.content, self.state.after_comma, self.end) = (false, true, Some(i));
                if i - self.start >= self.size {
                    self.chunks.push((self.start, i));
                    (self.start, self.end) = (i + 1, None);
                }
            }
            _ => {}
        }
        Ok(Step::Go)
    }
}

/// The chunks of a block that ends inside an element: the whole elements
/// gathered so far make the last chunk; the rest starts after their comma.
fn close_block(mut chunks: Vec<(usize, usize)>, start: usize, end: Option<usize>) -> (Vec<(usize, usize)>, usize) {
    match end {
        Some(e) => {
            chunks.push((start, e));
            (chunks, e + 1)
        }
        None => (chunks, start),
    }
}

/// Whether `bytes` are all JSON white space.
pub(super) fn blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
}

/// The bits below `k` (`k` ≤ 64).
fn below(k: usize) -> u64 {
    1u64.checked_shl(k as u32).map_or(u64::MAX, |b| b - 1)
}

/// Bit i: the parity of the bits 0..=i of `x`.
fn prefix_xor(mut x: u64) -> u64 {
    for s in [1, 2, 4, 8, 16, 32] {
        x ^= x << s;
    }
    x
}

/// The classes of up to 64 bytes, bit i for byte i.
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{` `}` `[` `]`
    brackets: u64,
    comma: u64,
    space: u64,
    /// The bytes there are (a last block may be short).
    valid: u64,
}

impl Masks {
    fn of(block: &[u8]) -> Masks {
        let mut m = Masks { quote: 0, backslash: 0, brackets: 0, comma: 0, space: 0, valid: below(block.len()) };
        // A short last block is padded with zeros (no class); full ones are
        // read in place, 16 bytes at a time (a copy of unknown length is a call).
        let mut padded = [0u8; 64];
        let block = match <&[u8; 64]>::try_from(block) {
            Ok(full) => full,
            Err(_) => {
                padded[..block.len().min(64)].copy_from_slice(&block[..block.len().min(64)]);
                &padded
            }
        };
        let splat = u8x16::splat;
        for (k, part) in block.chunks_exact(16).enumerate() {
            let mut lanes = [0u8; 16];
            lanes.copy_from_slice(part);
            let v = u8x16::new(lanes);
            let bits = |x: u8x16| u64::from(x.to_bitmask()) << (16 * k);
            // `[` and `]` are `{` and `}` with 0x20 cleared.
            let folded = v | splat(0x20);
            let comma = v.simd_eq(splat(b','));
            m.quote |= bits(v.simd_eq(splat(b'"')));
            m.backslash |= bits(v.simd_eq(splat(b'\\')));
            m.comma |= bits(comma);
            m.brackets |= bits(folded.simd_eq(splat(b'{')) | folded.simd_eq(splat(b'}')));
            let space = v.simd_eq(splat(b' ')) | v.simd_eq(splat(b'\t')) | v.simd_eq(splat(b'\r'));
            m.space |= bits(space | v.simd_eq(splat(b'\n')));
        }
        let valid = m.valid;
        for mask in [&mut m.quote, &mut m.backslash, &mut m.brackets, &mut m.comma, &mut m.space] {
            *mask &= valid;
        }
        m
    }
}

#[cfg(test)]
mod tests;
