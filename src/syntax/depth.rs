//! The nesting limits, so that no pass over the tree (parse, check, fmt, compile,
//! eval, analysis, explain, SQL) can run out of stack: expressions, lists and
//! maps nest at most [`MAX_DEPTH`] levels (enforced while building the tree),
//! and brackets at most [`MAX_BRACKETS`] (checked on the text, before the
//! grammar recurses into it). docs/limits.md documents both.

use super::error::SyntaxError;

/// How deep expressions (each operator, `not`, minus sign, comparison and call
/// is one level; parentheses are none), lists and maps may nest.
pub const MAX_DEPTH: usize = 64;

/// How deep brackets and `not`s may nest in the text. Twice [`MAX_DEPTH`], so
/// that `tier fmt`, which adds a parenthesis where an operand needs one, never
/// turns a policy within the limits into one beyond them.
pub const MAX_BRACKETS: usize = 2 * MAX_DEPTH;

/// Refuses text whose brackets (`(`, `[`, `{`, counting the blocks' braces) and
/// runs of `not` nest past [`MAX_BRACKETS`].
pub fn prescan(source: &str) -> Result<(), SyntaxError> {
    let (mut brackets, mut nots) = (0usize, 0usize);
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    let mut chars = source.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' | '\n' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '#' => in_comment = true,
            '"' => in_string = true,
            '(' | '[' | '{' => brackets += 1,
            ')' | ']' | '}' => brackets = brackets.saturating_sub(1),
            c if c.is_whitespace() => {}
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if !(d.is_alphanumeric() || d == '_') {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                nots = if &source[start..end] == "not" { nots + 1 } else { 0 };
                if brackets + nots > MAX_BRACKETS {
                    return Err(SyntaxError::too_deep(start..end, "`not`", MAX_BRACKETS));
                }
                continue;
            }
            _ => nots = 0,
        }
        if brackets + nots > MAX_BRACKETS {
            return Err(SyntaxError::too_deep(i..i + c.len_utf8(), "brackets", MAX_BRACKETS));
        }
    }
    Ok(())
}
