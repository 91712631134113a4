//! The block-wise splitter against the byte-wise one it replaced (kept here as
//! the reference): the same chunks, rest, state and refusals on JSON arrays
//! with escapes, nesting, commas in strings and white space anywhere, cut at
//! any point and corrupted at random.

use super::{split_array, ArrayState};
use crate::data::fast::Fallback;
use proptest::prelude::*;

/// The splitter before the block-wise one, byte by byte with a `memchr2` per string.
fn reference(
    buf: &[u8],
    eof: bool,
    size: usize,
    state: &mut ArrayState,
) -> Result<(Vec<(usize, usize)>, usize), Fallback> {
    if state.closed {
        let blank = buf.iter().all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'));
        return if blank { Ok((Vec::new(), buf.len())) } else { Err(Fallback) };
    }
    let mut chunks = Vec::new();
    let (mut start, mut end) = (0, None::<usize>);
    let (mut depth, mut content, mut i) = (0usize, false, 0);
    let close = |mut chunks: Vec<(usize, usize)>, start: usize, end: Option<usize>| match end {
        Some(e) => {
            chunks.push((start, e));
            (chunks, e + 1)
        }
        None => (chunks, start),
    };
    while let Some(&b) = buf.get(i) {
        match b {
            b'"' => {
                content = true;
                let mut j = i + 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', buf.get(j..).unwrap_or_default()) {
                        Some(k) if buf[j + k] == b'\\' => j += k + 2,
                        Some(k) => break i = j + k,
                        None if eof => return Err(Fallback),
                        None => return Ok(close(chunks, start, end)),
                    }
                }
            }
            b'{' | b'[' => (depth, content) = (depth + 1, true),
            b'}' | b']' if depth > 0 => depth -= 1,
            b']' => {
                if !content && state.after_comma {
                    return Err(Fallback);
                }
                if !buf[i + 1..].iter().all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n')) {
                    return Err(Fallback);
                }
                if content {
                    chunks.push((start, i));
                } else if let Some(e) = end {
                    chunks.push((start, e));
                }
                state.closed = true;
                return Ok((chunks, buf.len()));
            }
            b'}' => return Err(Fallback),
            b',' if depth == 0 => {
                if !content {
                    return Err(Fallback);
                }
                (content, state.after_comma, end) = (false, true, Some(i));
                if i - start >= size {
                    chunks.push((start, i));
                    (start, end) = (i + 1, None);
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => content = true,
        }
        i += 1;
    }
    if eof {
        return Err(Fallback);
    }
    Ok(close(chunks, start, end))
}

fn space() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["", " ", "\n", "\t", "\r\n"]), 0..3).prop_map(|v| v.concat())
}

fn string() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a",
        "Z9",
        ",",
        "]",
        "}",
        "[",
        "{",
        " ",
        "\\\"",
        "\\\\",
        "\\n",
        "\\u00e9",
        "张",
        "x\\\\\\\"",
    ]);
    prop::collection::vec(piece, 0..6).prop_map(|v| format!("\"{}\"", v.concat()))
}

fn value() -> impl Strategy<Value = String> {
    let leaf =
        prop_oneof![string(), "-?[0-9]{1,6}(\\.[0-9]{1,3})?", Just("true".to_string()), Just("null".to_string())];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (prop::collection::vec((string(), space(), inner.clone()), 0..4)).prop_map(|kv| {
                let body: Vec<String> = kv.into_iter().map(|(k, s, v)| format!("{k}:{s}{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
            prop::collection::vec((space(), inner), 0..4).prop_map(|v| {
                let body: Vec<String> = v.into_iter().map(|(s, x)| format!("{s}{x}")).collect();
                format!("[{}]", body.join(","))
            }),
        ]
    })
}

/// An array's text after its `[`: elements, commas and white space, the `]`
/// and what follows; often cut short or with a byte replaced.
fn input() -> impl Strategy<Value = Vec<u8>> {
    let array = (prop::collection::vec((space(), value(), space()), 0..12), space()).prop_map(|(elements, tail)| {
        let body: Vec<String> = elements.into_iter().map(|(a, v, b)| format!("{a}{v}{b}")).collect();
        format!("{}]{tail}", body.join(",")).into_bytes()
    });
    (array, any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0u8..4, any::<u8>()).prop_map(
        |(mut bytes, cut, at, how, byte)| {
            match how {
                0 if !bytes.is_empty() => bytes.truncate(cut.index(bytes.len())),
                1 if !bytes.is_empty() => {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
                _ => {}
            }
            bytes
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn block_wise_is_byte_wise(
        bytes in input(),
        eof in any::<bool>(),
        size in prop::sample::select(vec![1usize, 7, 64, 200, 1 << 20]),
        after_comma in any::<bool>(),
        closed in prop::bool::weighted(0.1),
    ) {
        let (mut a, mut b) = (ArrayState { after_comma, closed }, ArrayState { after_comma, closed });
        let got = split_array(&bytes, eof, size, &mut a).map_err(|_| ());
        let want = reference(&bytes, eof, size, &mut b).map_err(|_| ());
        prop_assert_eq!(&got, &want, "{:?}", String::from_utf8_lossy(&bytes));
        prop_assert_eq!((a.after_comma, a.closed), (b.after_comma, b.closed));
    }
}

/// Strings across block boundaries, with a backslash at a block's last byte
/// escaping the next block's first.
#[test]
fn escapes_and_strings_across_blocks() {
    for pad in 0..70 {
        for tail in ["\\\"", "\\\\", "a\\\"b", ",]\\\\\"x"] {
            let text = format!("{{\"k\":\"{}{}\"}},[1,\"]\"],2]  ", "x".repeat(pad), tail);
            let (mut a, mut b) = (ArrayState::default(), ArrayState::default());
            for eof in [false, true] {
                let got = split_array(text.as_bytes(), eof, 1, &mut a).map_err(|_| ());
                let want = reference(text.as_bytes(), eof, 1, &mut b).map_err(|_| ());
                assert_eq!(got, want, "{text}");
            }
        }
    }
}
