//! Text tables for the terminal: padding by display width, so that columns
//! line up when tier names are Chinese (each CJK character takes two columns).

use unicode_width::UnicodeWidthStr;

/// The columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    text.width()
}

/// `text` followed by spaces up to `w` columns.
pub fn left(text: &str, w: usize) -> String {
    format!("{text}{}", " ".repeat(w.saturating_sub(width(text))))
}

/// Spaces up to `w` columns, then `text`.
pub fn right(text: &str, w: usize) -> String {
    format!("{}{text}", " ".repeat(w.saturating_sub(width(text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_characters_take_two_columns() {
        assert_eq!(width("贵宾"), 4);
        assert_eq!(left("贵宾", 6), "贵宾  ");
        assert_eq!(right("VIP", 6), "   VIP");
        assert_eq!(left("私人银行客户", 4), "私人银行客户", "never cut");
    }
}
