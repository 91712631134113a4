//! The slips a new author makes that the grammar alone words badly: full-width
//! punctuation from a Chinese input method, a string never closed, a misspelt
//! keyword, `=` where an entry wants `:`.

use super::ast::Span;

/// Full-width (and curly) punctuation, with the ASCII character to type instead.
const FULL_WIDTH: &[(char, &str)] = &[
    ('：', ":"),
    ('（', "("),
    ('）', ")"),
    ('“', "\""),
    ('”', "\""),
    ('‘', "\""),
    ('’', "\""),
    ('，', ","),
    ('、', ","),
    ('；', ";"),
    ('【', "["),
    ('】', "]"),
    ('［', "["),
    ('］', "]"),
    ('｛', "{"),
    ('｝', "}"),
    ('＝', "="),
    ('＞', ">"),
    ('＜', "<"),
    ('！', "!"),
    ('＋', "+"),
    ('－', "-"),
    ('＊', "*"),
    ('／', "/"),
    ('．', "."),
    ('。', "."),
    ('％', "%"),
    ('＃', "#"),
];

/// The first full-width punctuation outside strings and comments before `end`,
/// with its span and the ASCII character meant.
pub fn full_width(source: &str, end: usize) -> Option<(Span, char, &'static str)> {
    outside_strings(source)
        .take_while(|(i, _)| *i < end)
        .find_map(|(i, c)| FULL_WIDTH.iter().find(|(f, _)| *f == c).map(|(_, a)| (i..i + c.len_utf8(), c, *a)))
}

/// The opening quote of the first string literal not closed on its line, if it
/// opens before `end`.
pub fn unclosed_string(source: &str, end: usize) -> Option<Span> {
    let mut open: Option<usize> = None;
    let (mut in_comment, mut escaped) = (false, false);
    for (i, c) in source.char_indices() {
        if i >= end && open.is_none() {
            return None;
        }
        match c {
            '\n' if open.is_some() => return open.map(|o| o..o + 1),
            '\n' => in_comment = false,
            _ if in_comment => {}
            _ if escaped => escaped = false,
            '\\' if open.is_some() => escaped = true,
            '"' if open.is_some() => open = None,
            '"' => open = Some(i),
            '#' if open.is_none() => in_comment = true,
            _ => {}
        }
    }
    open.map(|o| o..o + 1)
}

/// Characters outside string literals and comments, with their offsets.
fn outside_strings(source: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    source.char_indices().filter(move |&(_, c)| {
        let outside = !in_string && !in_comment && c != '"' && c != '#';
        match c {
            '\n' => (in_string, in_comment) = (false, false),
            _ if in_comment => {}
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => in_comment = true,
            _ => {}
        }
        outside
    })
}

/// "did you mean `when`?" for a word close to one of the keywords expected.
pub fn keyword(word: &str, expected: &[&str]) -> Option<String> {
    if word.is_empty() || !word.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let limit = (word.chars().count() / 3).max(1);
    expected
        .iter()
        .filter_map(|e| e.strip_prefix('`').and_then(|e| e.strip_suffix('`')))
        .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_') && *k != word)
        .map(|k| (strsim::damerau_levenshtein(word, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!("did you mean `{k}`?"))
}

/// The `=` after the word at `pos` (`review = 1/month` in a strategy), when the
/// word is followed by a single `=`.
pub fn equals_for_colon(source: &str, pos: usize, word_len: usize) -> Option<Span> {
    let after = source.get(pos + word_len..)?;
    let eq = pos + word_len + (after.len() - after.trim_start_matches([' ', '\t']).len());
    let rest = source.get(eq..)?;
    (rest.starts_with('=') && !rest.starts_with("==")).then_some(eq..eq + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_slips() {
        let src = "a: \"（ok）\" # （fine）\nb： c";
        assert_eq!(
            full_width(src, src.len()).map(|(s, c, a)| (s.start, c, a)),
            Some((src.find('：').unwrap(), '：', ":"))
        );
        assert_eq!(unclosed_string("x \"ok\" y \"no\nz", 100), Some(9..10));
        assert_eq!(unclosed_string("x \"ok\" # \"comment\ny", 100), None);
        assert_eq!(keyword("wehn", &["`when`", "`otherwise`"]).as_deref(), Some("did you mean `when`?"));
        assert_eq!(keyword("spend", &["`when`"]), None);
        assert_eq!(equals_for_colon("{ review = 1 }", 2, 6), Some(9..10));
        assert_eq!(equals_for_colon("{ review == 1 }", 2, 6), None);
    }
}
