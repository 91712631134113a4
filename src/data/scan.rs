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

/// The mask of the 64 bytes from `at` (fewer at the end of the chunk).
fn mask_at(bytes: &[u8], at: usize) -> u64 {
    let Some(block) = bytes.get(at..at + 64) else {
        let tail = bytes.get(at..).unwrap_or_default();
        return tail.iter().enumerate().filter(|(_, &b)| structural(b)).fold(0, |m, (i, _)| m | 1 << i);
    };
    let (comma, quote, lf, cr) = (u8x16::splat(b','), u8x16::splat(b'"'), u8x16::splat(b'\n'), u8x16::splat(b'\r'));
    let mut mask = 0u64;
    for (k, part) in block.chunks_exact(16).enumerate() {
        let mut lanes = [0u8; 16];
        lanes.copy_from_slice(part);
        let v = u8x16::new(lanes);
        let hits = v.simd_eq(comma) | v.simd_eq(quote) | v.simd_eq(lf) | v.simd_eq(cr);
        mask |= u64::from(hits.to_bitmask()) << (16 * k);
    }
    mask
}

fn structural(b: u8) -> bool {
    matches!(b, b',' | b'"' | b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_structural_byte_in_order_across_blocks() {
        let mut text = Vec::new();
        for i in 0..300u32 {
            text.extend_from_slice(format!("field{i}").as_bytes());
            text.push([b',', b'"', b'\n', b'\r', b' '][i as usize % 5]);
            text.extend_from_slice("张三".as_bytes());
        }
        let want: Vec<usize> = (0..text.len()).filter(|&i| structural(text[i])).collect();
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
