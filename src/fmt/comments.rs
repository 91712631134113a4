//! The comments of a policy, found by scanning the source (the grammar drops them),
//! and handed out to the printer as it reaches their place.

use crate::syntax::Span;

#[derive(Debug, Clone)]
pub struct Comment {
    pub span: Span,
    /// Without the `#` and trailing white space.
    pub text: String,
}

/// Every `#` comment outside string literals, in order.
pub fn scan(source: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = source.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '\n' => in_string = false,
            '#' if !in_string => {
                let end = source[i..].find('\n').map_or(source.len(), |n| i + n);
                let text = source[i + 1..end].trim_end().to_string();
                out.push(Comment { span: i..end, text });
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    out
}

/// Comments not yet printed.
pub struct Pending<'s> {
    source: &'s str,
    comments: Vec<Comment>,
    next: usize,
}

impl<'s> Pending<'s> {
    pub fn new(source: &'s str) -> Self {
        Pending { source, comments: scan(source), next: 0 }
    }

    /// Comments that start before `pos` and have not been printed.
    pub fn before(&mut self, pos: usize) -> Vec<Comment> {
        let start = self.next;
        while self.comments.get(self.next).is_some_and(|c| c.span.start < pos) {
            self.next += 1;
        }
        self.comments[start..self.next].to_vec()
    }

    /// A comment after `pos` on the same source line, if it is the next one.
    pub fn trailing(&mut self, pos: usize) -> Option<Comment> {
        let c = self.comments.get(self.next)?;
        let between = self.source.get(pos..c.span.start)?;
        // Only punctuation may stand between: a comment after more code on the
        // line belongs to that code.
        if c.span.start >= pos && between.chars().all(|ch| " \t{},;".contains(ch)) {
            self.next += 1;
            return Some(c.clone());
        }
        None
    }

    /// Whether any unprinted comment starts inside `span`.
    pub fn any_within(&self, span: &Span) -> bool {
        self.comments[self.next..].iter().any(|c| span.contains(&c.span.start))
    }

    /// Whether a blank line separates `pos` from the code before it: `pos` starts
    /// its line and the line above is blank (code after other code on its line
    /// has no blank line before it, however far up the line's start is).
    pub fn blank_line_before(&self, pos: usize) -> bool {
        let before = self.source.get(..pos).unwrap_or("");
        let trimmed = before.trim_end_matches([' ', '\t', '\r']);
        let mut lines = trimmed.rsplit('\n');
        lines.next().is_some_and(str::is_empty) && lines.next().is_some_and(|l| l.trim().is_empty())
    }

    pub fn rest(&mut self) -> Vec<Comment> {
        self.before(usize::MAX)
    }
}
