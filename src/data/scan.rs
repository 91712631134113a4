//! Where the CSV structure is in a chunk: the positions of `,` `"` `\n` and
//! `\r`, found 64 bytes at a time with SIMD compares (the `wide` crate: safe,
//! SSE2 on every x86-64) into one bit mask, then taken bit by bit. Fields are
//! short (about ten bytes), so a scan that stops per field costs more than
//! classifying every byte once.

use wide::u8x16;

/// The structural bytes of one chunk, in blocks of 64.
pub(crate) struct Scan<'a> {
    bytes: &'a [u8],
    /// The start of the block `mask` describes.
    block: usize,
    /// Bit `i`: `bytes[block + i]` is structural.
    mask: u64,
}

impl<'a> Scan<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Scan { bytes, block: 0, mask: mask_at(bytes, 0) }
    }

    /// The first structural byte at or after `i`, or the end of the chunk.
    #[inline]
    pub(crate) fn next(&mut self, mut i: usize) -> usize {
        loop {
            if i >= self.bytes.len() {
                return self.bytes.len();
            }
            if i < self.block || i >= self.block + 64 {
                self.block = i & !63;
                self.mask = mask_at(self.bytes, self.block);
            }
            let left = self.mask & (u64::MAX << (i - self.block));
            if left != 0 {
                return self.block + left.trailing_zeros() as usize;
            }
            i = self.block + 64;
        }
    }
}

/// The positions of every `,` and `\n` of a chunk (`seps`) and of every `"`
/// and `\r` (`specials`), in one pass 64 bytes at a time. Where a record has
/// no special byte, its separators are its structure; `false` for a chunk of
/// 4 GiB or more (positions are 32-bit).
pub(crate) fn separators(bytes: &[u8], seps: &mut Vec<u32>, specials: &mut Vec<u32>) -> bool {
    seps.clear();
    specials.clear();
    if u32::try_from(bytes.len()).is_err() {
        return false;
    }
    let mut at = 0;
    while at < bytes.len() {
        let (mut s, mut o) = masks_at(bytes, at);
        while s != 0 {
            seps.push((at + s.trailing_zeros() as usize) as u32);
            s &= s - 1;
        }
        while o != 0 {
            specials.push((at + o.trailing_zeros() as usize) as u32);
            o &= o - 1;
        }
        at += 64;
    }
    true
}

/// The 64 bytes from `at`: the mask of `,` and `\n`, and that of `"` and `\r`.
fn masks_at(bytes: &[u8], at: usize) -> (u64, u64) {
    let Some(block) = bytes.get(at..at + 64) else {
        let tail = bytes.get(at..).unwrap_or_default();
        let bit = |want: &dyn Fn(u8) -> bool| {
            tail.iter().enumerate().filter(|(_, &b)| want(b)).fold(0, |m, (i, _)| m | 1 << i)
        };
        return (bit(&|b| b == b',' || b == b'\n'), bit(&|b| b == b'"' || b == b'\r'));
    };
    let (comma, quote, lf, cr) = (u8x16::splat(b','), u8x16::splat(b'"'), u8x16::splat(b'\n'), u8x16::splat(b'\r'));
    let (mut seps, mut other) = (0u64, 0u64);
    for (k, part) in block.chunks_exact(16).enumerate() {
        let mut lanes = [0u8; 16];
        lanes.copy_from_slice(part);
        let v = u8x16::new(lanes);
        seps |= u64::from((v.simd_eq(comma) | v.simd_eq(lf)).to_bitmask()) << (16 * k);
        other |= u64::from((v.simd_eq(quote) | v.simd_eq(cr)).to_bitmask()) << (16 * k);
    }
    (seps, other)
}

/// The mask of the 64 bytes from `at` (fewer at the end of the chunk).
fn mask_at(bytes: &[u8], at: usize) -> u64 {
    let (seps, specials) = masks_at(bytes, at);
    seps | specials
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_specials_are_every_such_byte_in_order() {
        let mut text = Vec::new();
        for i in 0..300u32 {
            text.extend_from_slice(format!("field{i}").as_bytes());
            text.push([b',', b'\n', b' ', b'"', b'\r'][i as usize % 5]);
            text.extend_from_slice("张三".as_bytes());
        }
        for len in [0, 1, 63, 64, 65, 127, 128, text.len()] {
            let part = &text[..len];
            let at =
                |want: &[u8]| -> Vec<u32> { (0..len).filter(|&i| want.contains(&part[i])).map(|i| i as u32).collect() };
            let (mut seps, mut specials) = (Vec::new(), Vec::new());
            assert!(separators(part, &mut seps, &mut specials));
            assert_eq!(seps, at(b",\n"), "{len} bytes");
            assert_eq!(specials, at(b"\"\r"), "{len} bytes");
        }
    }

    #[test]
    fn finds_every_structural_byte_in_order_across_blocks() {
        let mut text = Vec::new();
        for i in 0..300u32 {
            text.extend_from_slice(format!("field{i}").as_bytes());
            text.push([b',', b'"', b'\n', b'\r', b' '][i as usize % 5]);
            text.extend_from_slice("张三".as_bytes());
        }
        let want: Vec<usize> = (0..text.len()).filter(|&i| b",\"\n\r".contains(&text[i])).collect();
        let mut scan = Scan::new(&text);
        let mut got = Vec::new();
        let mut i = 0;
        while i < text.len() {
            i = scan.next(i);
            if i < text.len() {
                got.push(i);
                i += 1;
            }
        }
        assert_eq!(got, want);
        // Going back (a quoted field re-scanned) and jumping ahead both work.
        assert_eq!(scan.next(0), want[0]);
        assert_eq!(scan.next(want[100] + 1), want[101]);
        assert_eq!(scan.next(text.len() + 5), text.len());
    }
}
