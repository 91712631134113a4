//! Positions: byte offsets into a document's text and the protocol's
//! line/character positions, counted in UTF-16 code units (the default) or in
//! UTF-8 bytes when the client offers that encoding.

use crate::syntax::Span;
use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// How `Position::character` is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// A document's text with the byte offset of every line start.
#[derive(Debug, Clone)]
pub struct Text {
    pub text: String,
    lines: Vec<usize>,
    pub encoding: Encoding,
}

impl Text {
    pub fn new(text: String, encoding: Encoding) -> Text {
        let lines = line_starts(&text);
        Text { text, lines, encoding }
    }

    /// The protocol position of a byte offset (clamped to the text, and moved
    /// back to a character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.lines.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.lines.get(line).copied().unwrap_or(0);
        let before = self.text.get(start..offset).unwrap_or("");
        let character = match self.encoding {
            Encoding::Utf8 => before.len(),
            Encoding::Utf16 => before.encode_utf16().count(),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, span: &Span) -> Range {
        Range::new(self.position(span.start), self.position(span.end))
    }

    /// The byte offset of a protocol position; a character past the end of its
    /// line means the line's end, a line past the last means the end of the text.
    pub fn offset(&self, pos: Position) -> usize {
        let Some(&start) = self.lines.get(pos.line as usize) else { return self.text.len() };
        let end = self.lines.get(pos.line as usize + 1).copied().unwrap_or(self.text.len());
        let line = self.text.get(start..end).unwrap_or("");
        let line = line.strip_suffix('\n').unwrap_or(line);
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= pos.character as usize {
                return start + i;
            }
            units += match self.encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
        }
        start + line.len()
    }

    pub fn span(&self, range: Range) -> Span {
        self.offset(range.start)..self.offset(range.end)
    }

    /// Applies one change from `didChange`: a whole new text, or a range replaced.
    pub fn apply(&mut self, change: TextDocumentContentChangeEvent) {
        match change.range {
            None => self.text = change.text,
            Some(range) => {
                let span = self.span(range);
                // A reversed range from a confused client replaces nothing.
                let span = span.start.min(span.end)..span.end.max(span.start);
                self.text.replace_range(span, &change.text);
            }
        }
        self.lines = line_starts(&self.text);
    }

    /// The range covering the whole text.
    pub fn full_range(&self) -> Range {
        self.range(&(0..self.text.len()))
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_after_cjk() {
        let t = Text::new("tier 贵宾 {\n  when x > 1\n}".into(), Encoding::Utf16);
        // `{` is after 5 ASCII, 2 CJK characters (1 unit each) and a space.
        let brace = t.text.find('{').unwrap_or(0);
        assert_eq!(t.position(brace), Position::new(0, 8));
        assert_eq!(t.offset(Position::new(0, 8)), brace);
        let utf8 = Text::new(t.text.clone(), Encoding::Utf8);
        assert_eq!(utf8.position(brace), Position::new(0, 12));
        assert_eq!(t.offset(Position::new(1, 99)), t.text.find("\n}").unwrap_or(0));
    }

    #[test]
    fn astral_characters_take_two_units() {
        let t = Text::new("# 😀 x".into(), Encoding::Utf16);
        assert_eq!(t.position(t.text.len() - 1), Position::new(0, 5));
        assert_eq!(t.offset(Position::new(0, 5)), t.text.len() - 1);
    }

    #[test]
    fn incremental_change() {
        let mut t = Text::new("a 贵宾\nb".into(), Encoding::Utf16);
        t.apply(TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(0, 2), Position::new(0, 4))),
            range_length: None,
            text: "VIP".into(),
        });
        assert_eq!(t.text, "a VIP\nb");
        assert_eq!(t.position(t.text.len()), Position::new(1, 1));
    }
}
