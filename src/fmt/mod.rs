//! `tier fmt`: the one canonical layout of a policy.
//!
//! Two-space indentation, one blank line between top-level blocks, one `when`,
//! `otherwise` or `strategy` per line, operators spelled one way (`<=`, `==`), the
//! author's number spelling kept (`100万`), every comment kept: own-line comments
//! before the construct that follows them, trailing comments after the line they
//! were on. A comment inside a multi-line expression moves above its clause.
//! Laws (tested): formatting is idempotent, and `parse(fmt(p)) == parse(p)` but
//! for spans.

mod comments;
mod expr;

use crate::syntax::{
    Budget, DimOptionKind, Dimension, Events, EventsEntry, Field, Given, Header, Item, Let, MapEntry, Policy,
    RetentionKind, Schema, Span, Strategy, Test, TestItem, Tier, TierClause, TypeKind, Value, ValueKind,
};
use comments::{Comment, Pending};

/// Lines longer than this break conditions and inline maps.
const WIDTH: usize = 90;

/// Formats a parsed policy; `source` is the text it was parsed from (for comments).
pub fn format(policy: &Policy, source: &str) -> String {
    let mut p = Printer {
        out: String::new(),
        indent: 0,
        pending: Pending::new(source),
        first_in_block: true,
        after_let: false,
    };
    for item in &policy.items {
        p.item(item);
    }
    let rest = p.pending.rest();
    if !rest.is_empty() && !p.out.is_empty() {
        p.out.push('\n');
    }
    p.comment_lines(rest);
    p.out
}

struct Printer<'s> {
    out: String,
    indent: usize,
    pending: Pending<'s>,
    /// No blank line is kept before the first entry of a block.
    first_in_block: bool,
    /// Consecutive `let`s stay together unless the author separated them.
    after_let: bool,
}

impl Printer<'_> {
    fn line_raw(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// A line of code for a construct ending at `end`, with any trailing comment.
    fn line(&mut self, text: &str, end: usize) {
        match self.pending.trailing(end) {
            Some(c) => self.line_raw(&format!("{text}  #{}", c.text)),
            None => self.line_raw(text),
        }
    }

    /// Comments before `pos`, each on its own line; keeps one blank line where the
    /// author left one between entries of a block.
    fn leading(&mut self, pos: usize) {
        let comments = self.pending.before(pos);
        let first_pos = comments.first().map_or(pos, |c| c.span.start);
        if !self.first_in_block && self.pending.blank_line_before(first_pos) {
            self.blank_line();
        }
        self.first_in_block = false;
        self.comment_lines(comments);
    }

    /// One blank line, unless the output already ends with one.
    fn blank_line(&mut self) {
        if !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Comments, one per line, keeping one blank line where the author left one
    /// between two of them. Every blank-line decision looks at the source line
    /// above a comment or a construct, which the output reproduces, so that
    /// formatting the output decides the same (formatting is idempotent).
    fn comment_lines(&mut self, comments: Vec<Comment>) {
        for (i, c) in comments.into_iter().enumerate() {
            if i > 0 && self.pending.blank_line_before(c.span.start) {
                self.blank_line();
            }
            self.line_raw(&format!("#{}", c.text));
        }
    }

    fn open(&mut self, head: &str, head_end: usize) {
        self.line(&format!("{head} {{"), head_end);
        self.indent += 1;
        self.first_in_block = true;
    }

    fn close(&mut self, block_end: usize) {
        let comments = self.pending.before(block_end.saturating_sub(1));
        self.comment_lines(comments);
        self.indent -= 1;
        self.line("}", block_end);
        self.first_in_block = false;
    }

    fn item(&mut self, item: &Item) {
        let start = item_span(item).start;
        let comments = self.pending.before(start);
        // Lets stay grouped unless the author left a blank line above the let or
        // above the comments on it.
        let first_pos = comments.first().map_or(start, |c| c.span.start);
        if !self.out.is_empty() {
            let grouped_lets = matches!(item, Item::Let(_) | Item::Metric(_)) && self.after_let;
            if !grouped_lets || self.pending.blank_line_before(first_pos) {
                self.out.push('\n');
            }
        }
        self.first_in_block = true;
        let commented = !comments.is_empty();
        self.comment_lines(comments);
        if commented && self.pending.blank_line_before(start) {
            self.blank_line();
        }
        self.after_let = matches!(item, Item::Let(_) | Item::Metric(_));
        match item {
            Item::Header(h) => self.header(h),
            Item::Schema(s) => self.schema(s),
            Item::Events(e) => self.events(e),
            Item::Metric(m) => {
                self.leading(m.expr.span.end);
                let text = format!("metric {} = {}", m.name.name, expr::expr(&m.expr));
                self.line(&text, m.span.end);
            }
            Item::Population(p) => {
                self.leading(p.expr.span.end);
                self.line(&format!("population where {}", expr::expr(&p.expr)), p.span.end);
            }
            Item::Budget(b) => self.budget(b),
            Item::Combination(c) => {
                let conds: Vec<String> =
                    c.conditions.iter().map(|(d, t)| format!("{} is {}", d.name, t.name)).collect();
                let head = format!("when {}{}", conds.join(" and "), if c.override_ { " override" } else { "" });
                self.open(&head, c.strategy.span.start);
                self.leading(c.strategy.span.start);
                self.strategy(&c.strategy);
                self.close(c.span.end);
            }
            Item::Let(l) => self.let_def(l),
            Item::Tier(t) => self.tier(t),
            Item::Dimension(d) => self.dimension(d),
            Item::Test(t) => self.test(t),
        }
    }

    fn header(&mut self, h: &Header) {
        let head = match &h.title {
            Some(t) => format!("policy {}", expr::string(&t.value)),
            None => "policy".into(),
        };
        let head_end = h.title.as_ref().map_or(h.span.start + "policy".len(), |t| t.span.end);
        self.open(&head, head_end);
        self.entries(&h.entries);
        self.close(h.span.end);
    }

    fn entries(&mut self, entries: &[MapEntry]) {
        for e in entries {
            self.leading(e.key.span.start);
            self.map_entry(e);
        }
    }

    /// One entry per line; a nested map too long (or too commented) for one line
    /// becomes a block.
    fn map_entry(&mut self, e: &MapEntry) {
        let text = expr::entry(e);
        match &e.value.kind {
            ValueKind::Map(inner)
                if !inner.is_empty() && (self.too_wide(&text) || self.pending.any_within(&e.value.span)) =>
            {
                self.open(&format!("{}:", expr::key(&e.key)), e.value.span.start + 1);
                self.entries(inner);
                self.close(e.value.span.end);
            }
            _ => {
                let end = e.value.span.end;
                self.leading(end);
                self.line(&text, end);
            }
        }
    }

    fn too_wide(&self, text: &str) -> bool {
        self.indent * 2 + text.chars().count() > WIDTH
    }

    fn schema(&mut self, s: &Schema) {
        self.open("schema", s.span.start + "schema".len());
        for f in &s.fields {
            self.leading(f.span.start);
            let text = field(f);
            self.line(&text, f.span.end);
        }
        self.close(s.span.end);
    }

    /// `budget NAME AMOUNT per PERIOD [by weight] { TIER: share }`, a tier per line.
    fn budget(&mut self, b: &Budget) {
        let amount = expr::value(&b.amount);
        let per = b.period.map_or(String::new(), |p| format!(" per {}", p.name()));
        let weight = if b.by_weight { " by weight" } else { "" };
        let head = format!("budget {} {amount}{per}{weight}", b.name.name);
        let head_end = b.entries.first().map_or(b.span.start + head.len(), |(t, _)| t.span.start.saturating_sub(1));
        self.open(&head, head_end.min(b.span.end));
        for (tier, n) in &b.entries {
            self.leading(tier.span.start);
            self.line(&format!("{}: {}", tier.name, n.text), tier.span.end);
        }
        self.close(b.span.end);
    }

    /// Fields first as written, then lets and `where` clauses in order.
    fn events(&mut self, e: &Events) {
        self.open(&format!("events {}", e.name.name), e.name.span.end);
        for entry in &e.entries {
            match entry {
                EventsEntry::Field(f) => {
                    self.leading(f.span.start);
                    let text = field(f);
                    self.line(&text, f.span.end);
                }
                EventsEntry::Let(l) => self.let_def(l),
                EventsEntry::Where(w) => {
                    self.leading(w.span.end);
                    self.line(&format!("where {}", expr::expr(w)), w.span.end);
                }
            }
        }
        self.close(e.span.end);
    }

    fn let_def(&mut self, l: &Let) {
        self.leading(l.expr.span.end);
        let text = format!("let {} = {}", l.name.name, expr::expr(&l.expr));
        self.line(&text, l.span.end);
    }

    fn dimension(&mut self, d: &Dimension) {
        let mut head = format!("dimension {}", d.name.name);
        let mut head_end = d.name.span.end;
        if let Some(l) = &d.label {
            head.push_str(&format!(" {}", expr::string(&l.value)));
            head_end = l.span.end;
        }
        self.open(&head, head_end);
        for o in &d.options {
            self.leading(o.span.start);
            let text = match o.kind {
                DimOptionKind::HitFirst => "hit first",
                DimOptionKind::HitUnique => "hit unique",
                DimOptionKind::Ordered => "ordered",
                DimOptionKind::Unordered => "unordered",
            };
            self.line(text, o.span.end);
        }
        if let Some(r) = &d.retention {
            self.leading(r.span.start);
            self.open("retention", r.span.start + "retention".len());
            for rule in &r.rules {
                self.leading(rule.span.start);
                let text = match &rule.kind {
                    RetentionKind::PromoteImmediately => "promote immediately".to_string(),
                    RetentionKind::DemoteAfter(n) => {
                        let word = if n.text == "1" { "evaluation" } else { "evaluations" };
                        format!("demote after {} {word} below", n.text)
                    }
                    RetentionKind::DemoteAtMost(n) => {
                        let word = if n.text == "1" { "tier" } else { "tiers" };
                        format!("demote at most {} {word} per evaluation", n.text)
                    }
                    RetentionKind::Keep { tier, count, period } => {
                        let p = if count.text == "1" { period.name().to_string() } else { period.plural() };
                        format!("keep {} for {} {p} after promotion", tier.name, count.text)
                    }
                };
                self.line(&text, rule.span.end);
            }
            self.close(r.span.end);
        }
        for t in &d.tiers {
            if !self.first_in_block {
                self.out.push('\n');
            }
            self.first_in_block = true;
            let comments = self.pending.before(t.span.start);
            self.comment_lines(comments);
            self.tier(t);
        }
        self.close(d.span.end);
    }

    fn tier(&mut self, t: &Tier) {
        let mut head = format!("tier {}", t.name.name);
        let mut head_end = t.name.span.end;
        if let Some(l) = &t.label {
            head.push_str(&format!(" {}", expr::string(&l.value)));
            head_end = l.span.end;
        }
        self.open(&head, head_end);
        for c in &t.clauses {
            match c {
                TierClause::When(e) => {
                    self.leading(e.span.end);
                    self.condition(e);
                }
                TierClause::Otherwise(span) => {
                    self.leading(span.start);
                    self.line("otherwise", span.end);
                }
                TierClause::Strategy(s) => {
                    self.leading(s.span.start);
                    self.strategy(s);
                }
            }
        }
        self.close(t.span.end);
    }

    /// `when COND`, broken before each `and`/`or` operand when too wide.
    fn condition(&mut self, e: &crate::syntax::Expr) {
        let text = format!("when {}", expr::expr(e));
        match expr::split_logic(e) {
            Some((op, parts)) if self.too_wide(&text) => {
                let mut lines = parts.into_iter();
                let first = lines.next().unwrap_or_default();
                self.line_raw(&format!("when {first}"));
                let rest: Vec<String> = lines.collect();
                for (i, part) in rest.iter().enumerate() {
                    let text = format!("   {op} {part}");
                    if i + 1 == rest.len() {
                        self.line(&text, e.span.end);
                    } else {
                        self.line_raw(&text);
                    }
                }
            }
            _ => self.line(&text, e.span.end),
        }
    }

    fn strategy(&mut self, s: &Strategy) {
        let head = match &s.extends {
            Some(e) => format!("strategy extends {}", e.name),
            None => "strategy".into(),
        };
        if s.entries.is_empty() && !self.pending.any_within(&s.span) {
            self.line(&format!("{head} {{}}"), s.span.end);
            return;
        }
        let head_end = s.extends.as_ref().map_or(s.span.start + "strategy".len(), |e| e.span.end);
        self.open(&head, head_end);
        self.entries(&s.entries);
        self.close(s.span.end);
    }

    fn test(&mut self, t: &Test) {
        self.open(&format!("test {}", expr::string(&t.name.value)), t.name.span.end);
        for item in &t.items {
            match item {
                TestItem::Given(g) => self.given(g),
                TestItem::Population(v) => self.population(v),
                TestItem::ExpectTier(e) => {
                    self.leading(e.span.start);
                    let tier = e.tier.as_ref().map_or("none", |t| t.name.as_str());
                    let text = match &e.dimension {
                        Some(d) => format!("expect {}.{tier}", d.name),
                        None => format!("expect {tier}"),
                    };
                    self.line(&text, e.span.end);
                }
                TestItem::ExpectStrategy(e) => {
                    self.leading(e.span.start);
                    let dim = e.dimension.as_ref().map_or(String::new(), |d| format!("{}.", d.name));
                    let path: Vec<String> = e.path.iter().map(expr::key).collect();
                    let text =
                        format!("expect {dim}strategy.{} {} {}", path.join("."), e.op.symbol(), expr::value(&e.value));
                    self.line(&text, e.span.end);
                }
            }
        }
        self.close(t.span.end);
    }

    /// `population [ ... ]`, one customer per line.
    fn population(&mut self, v: &Value) {
        self.leading(v.span.start);
        let ValueKind::List(rows) = &v.kind else {
            self.line(&format!("population {}", expr::value(v)), v.span.end);
            return;
        };
        if rows.is_empty() {
            self.line("population []", v.span.end);
            return;
        }
        self.line_raw("population [");
        self.indent += 1;
        for r in rows {
            self.line_raw(&format!("{},", expr::value(r)));
        }
        self.indent -= 1;
        self.line("]", v.span.end);
    }

    fn given(&mut self, g: &Given) {
        self.leading(g.span.start);
        let head = if g.defaults { "given defaults" } else { "given" };
        let entries: Vec<String> = g
            .entries
            .iter()
            .map(|e| match &e.value {
                Some(v) => format!("{}: {}", e.field.name, expr::value(v)),
                None => format!("{}: missing", e.field.name),
            })
            .collect();
        let inline = format!("{head} {{ {} }}", entries.join(", "));
        if g.entries.is_empty() {
            self.line(&format!("{head} {{}}"), g.span.end);
        } else if !self.too_wide(&inline) && !self.pending.any_within(&g.span) {
            self.line(&inline, g.span.end);
        } else {
            self.open(head, g.span.start + head.len());
            for (e, text) in g.entries.iter().zip(entries) {
                self.leading(e.span.start);
                self.line(&text, e.span.end);
            }
            self.close(g.span.end);
        }
    }
}

fn field(f: &Field) -> String {
    let ty = match &f.ty.kind {
        TypeKind::Text => "text".to_string(),
        TypeKind::Number => "number".into(),
        TypeKind::Integer => "integer".into(),
        TypeKind::Count => "count".into(),
        TypeKind::Money => "money".into(),
        TypeKind::Date => "date".into(),
        TypeKind::DateTime => "datetime".into(),
        TypeKind::Bool => "bool".into(),
        TypeKind::Rate(p) => format!("count per {}", p.name()),
        TypeKind::Enum(values) => {
            let vs: Vec<String> =
                values.iter().map(|v| if v.quoted { expr::string(&v.name) } else { v.name.clone() }).collect();
            format!("enum({})", vs.join(", "))
        }
    };
    let mut text = format!("{}: {ty}", f.name.name);
    if f.optional {
        text.push('?');
    }
    if f.key.is_some() {
        text.push_str(" key");
    }
    if f.time.is_some() {
        text.push_str(" time");
    }
    if !f.from.is_empty() {
        let names: Vec<String> = f.from.iter().map(|s| expr::string(&s.value)).collect();
        text.push_str(&format!(" from {}", names.join(" or ")));
    }
    if let Some((higher, _)) = f.prefer {
        text.push_str(if higher { " prefer higher" } else { " prefer lower" });
    }
    text
}

fn item_span(item: &Item) -> &Span {
    match item {
        Item::Header(h) => &h.span,
        Item::Schema(s) => &s.span,
        Item::Events(e) => &e.span,
        Item::Metric(m) => &m.span,
        Item::Population(p) => &p.span,
        Item::Budget(b) => &b.span,
        Item::Combination(c) => &c.span,
        Item::Let(l) => &l.span,
        Item::Tier(t) => &t.span,
        Item::Dimension(d) => &d.span,
        Item::Test(t) => &t.span,
    }
}
