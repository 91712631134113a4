//! Typing expressions: resolve names to slots, enum values to indices, rates to a
//! per-year value, and check units. Errors are collected; a bad sub-expression
//! gets type `Error` so one mistake is reported once.

use super::error::CheckError;
use super::model::{Const, Func, TExpr, TKind};
use super::suggest::{closest, did_you_mean};
use super::types::{self, Mismatch, Order, Ty};
use super::Cx;
use crate::number::Decimal;
use crate::syntax::{BinOp, CmpOp, Expr, ExprKind, Span};

const FUNCTIONS: [&str; 9] =
    ["min", "max", "abs", "round", "days_since", "months_since", "years_since", "contains", "starts_with"];

impl Cx<'_> {
    pub(super) fn expr(&mut self, e: &Expr) -> TExpr {
        let (kind, ty) = match &e.kind {
            ExprKind::Number(n) => (TKind::Const(Const::Num(n.value)), Ty::Lit),
            ExprKind::Money(m) => {
                self.money_literal(m, &e.span);
                (TKind::Const(Const::Num(m.amount.value)), Ty::Money)
            }
            // The parser refused rates whose yearly count is beyond the number range.
            ExprKind::Rate(r) => {
                (TKind::Const(Const::Num(r.count.value.saturating_mul(r.period.per_year()))), Ty::Rate)
            }
            ExprKind::Date(d) => (TKind::Const(Const::Date(*d)), Ty::Date),
            ExprKind::Text(s) => (TKind::Const(Const::Text(s.clone())), Ty::Text),
            ExprKind::Bool(b) => (TKind::Const(Const::Bool(*b)), Ty::Bool),
            ExprKind::Today => (TKind::Today, Ty::Date),
            ExprKind::Name(n) => return self.name(n, &e.span),
            ExprKind::Call { func, args, window } => {
                if super::events::is_metric_function(&func.name, args) {
                    return self.metric_call(&func.name, args, window.as_ref(), &e.span);
                }
                if let Some(w) = window {
                    self.errors.push(CheckError::BadArgument {
                        message: format!("`{}` is not an aggregate: it takes no window", func.name),
                        span: w.span.clone().into(),
                        label: "no window here".into(),
                        help: "windows apply to count, sum, avg, min and max in a metric".into(),
                    });
                }
                for a in args {
                    if let Some(n) = &a.name {
                        self.errors.push(CheckError::BadArgument {
                            message: format!("`{}` takes no options", func.name),
                            span: n.span.clone().into(),
                            label: "unknown option".into(),
                            help: "pass the arguments by position".into(),
                        });
                    }
                    if let Some(d) = &a.distinct {
                        self.errors.push(CheckError::BadArgument {
                            message: format!("`distinct` applies to `count`, not `{}`", func.name),
                            span: d.clone().into(),
                            label: "not here".into(),
                            help: "count distinct values with `count(distinct invoice)`".into(),
                        });
                    }
                }
                let args: Vec<Expr> = args.iter().map(|a| a.value.clone()).collect();
                return self.call(&func.name, &args, &e.span);
            }
            ExprKind::Neg(inner) => {
                let x = self.expr(inner);
                let ty = if x.ty.is_numeric() || x.ty == Ty::Error {
                    x.ty
                } else {
                    self.wrong_type(&x, "only numbers can be negated", None)
                };
                (TKind::Neg(Box::new(x)), ty)
            }
            ExprKind::Binary { op, lhs, rhs } => return self.binary(*op, lhs, rhs, &e.span),
            ExprKind::Compare { first, rest } => return self.compare(first, rest, &e.span),
            ExprKind::Between { negated, value, low, high } => {
                let mut ops = self.operands(&[value, low, high]).into_iter();
                let (v, lo, hi) = (take(&mut ops, e), take(&mut ops, e), take(&mut ops, e));
                self.comparable(&v, &lo, CmpOp::Ge);
                self.comparable(&v, &hi, CmpOp::Le);
                self.empty_range(&lo, CmpOp::Le, &hi, &e.span);
                let kind =
                    TKind::Between { negated: *negated, value: Box::new(v), low: Box::new(lo), high: Box::new(hi) };
                (kind, Ty::Bool)
            }
            ExprKind::In { negated, value, items } => {
                let all: Vec<&Expr> = std::iter::once(&**value).chain(items).collect();
                let mut ops = self.operands(&all).into_iter();
                let v = take(&mut ops, e);
                let items: Vec<TExpr> = ops.collect();
                for item in &items {
                    self.comparable(&v, item, CmpOp::Eq);
                }
                (TKind::In { negated: *negated, value: Box::new(v), items }, Ty::Bool)
            }
            ExprKind::Is { negated, value, present } => {
                let v = self.expr(value);
                let present = *present != *negated;
                self.required_missing_check(&v, present);
                (TKind::Is { present, value: Box::new(v) }, Ty::Bool)
            }
            ExprKind::Not(inner) => (TKind::Not(Box::new(self.condition(inner))), Ty::Bool),
            ExprKind::And(xs) => (TKind::And(xs.iter().map(|x| self.condition(x)).collect()), Ty::Bool),
            ExprKind::Or(xs) => (TKind::Or(xs.iter().map(|x| self.condition(x)).collect()), Ty::Bool),
        };
        TExpr { kind, ty, span: e.span.clone() }
    }

    /// An expression that must be true or false (a `when`, an operand of `and`).
    pub(super) fn condition(&mut self, e: &Expr) -> TExpr {
        let mut t = self.expr(e);
        if t.ty != Ty::Bool && t.ty != Ty::Error {
            t.ty = self.wrong_type(
                &t,
                "a condition must be true or false",
                Some("compare it, e.g. `annual_purchase >= 100万`".into()),
            );
        }
        t
    }

    fn name(&mut self, name: &str, span: &Span) -> TExpr {
        let (kind, ty) = if let Some(&slot) = self.field_index.get(name) {
            self.used_fields.insert(slot);
            (TKind::Field(slot), self.fields[slot].ty)
        } else if let Some(&slot) = self.let_index.get(name) {
            self.used_lets.insert(slot);
            (TKind::Let(slot), self.let_types[slot])
        } else {
            let known = self.fields.iter().map(|f| f.name.as_str()).chain(self.let_index.keys().map(String::as_str));
            let known: Vec<&str> = known.collect();
            let guess = closest(name, known.iter().copied());
            // The name meant is used, as far as "never used" warnings go.
            if let Some(&slot) = guess.and_then(|g| self.field_index.get(g)) {
                self.used_fields.insert(slot);
            } else if let Some(&slot) = guess.and_then(|g| self.let_index.get(g)) {
                self.used_lets.insert(slot);
            }
            let help = guess
                .map(|g| format!("did you mean `{g}`?"))
                .or_else(|| Some(format!("declare `{name}` in the schema; known names: {}", known.join(", "))));
            self.errors.push(CheckError::UnknownName { name: name.into(), span: span.clone().into(), help });
            (TKind::Const(Const::Bool(false)), Ty::Error)
        };
        TExpr { kind, ty, span: span.clone() }
    }

    /// Operands of a comparison. A bare word or string beside an enum operand is
    /// read as a value of that enum (`region in [North, "East"]`).
    fn operands(&mut self, exprs: &[&Expr]) -> Vec<TExpr> {
        let deferred = |cx: &Self, e: &Expr| match &e.kind {
            ExprKind::Name(n) => !cx.field_index.contains_key(n) && !cx.let_index.contains_key(n),
            ExprKind::Text(_) => true,
            _ => false,
        };
        let firsts: Vec<Option<TExpr>> =
            exprs.iter().map(|e| if deferred(self, e) { None } else { Some(self.expr(e)) }).collect();
        let enum_ctx = firsts.iter().flatten().find_map(|t| match t.ty {
            Ty::Enum(f) => Some(f),
            _ => None,
        });
        firsts
            .into_iter()
            .zip(exprs)
            .map(|(t, e)| match (t, enum_ctx) {
                (Some(t), _) => t,
                (None, Some(field)) => self.enum_value(e, field),
                (None, None) => self.expr(e),
            })
            .collect()
    }

    fn enum_value(&mut self, e: &Expr, field: usize) -> TExpr {
        let word = match &e.kind {
            ExprKind::Name(n) | ExprKind::Text(n) => n.as_str(),
            _ => "",
        };
        let f = &self.fields[field];
        let (kind, ty) = match f.enum_values.iter().position(|v| v == word) {
            Some(i) => (TKind::Const(Const::Enum(i as u32)), Ty::Enum(field)),
            None => {
                let help = did_you_mean(word, f.enum_values.iter().map(String::as_str));
                self.errors.push(CheckError::UnknownEnumValue {
                    value: word.into(),
                    field: f.name.clone(),
                    span: e.span.clone().into(),
                    choices: f.enum_values.join(", "),
                    help,
                });
                (TKind::Const(Const::Bool(false)), Ty::Error)
            }
        };
        TExpr { kind, ty, span: e.span.clone() }
    }

    fn compare(&mut self, first: &Expr, rest: &[(CmpOp, Expr)], span: &Span) -> TExpr {
        let all: Vec<&Expr> = std::iter::once(first).chain(rest.iter().map(|(_, e)| e)).collect();
        let mut ops = self.operands(&all).into_iter();
        let Some(head) = ops.next() else {
            return error_expr(span);
        };
        let tail: Vec<(CmpOp, TExpr)> = rest.iter().map(|(op, _)| *op).zip(ops).collect();
        let mut prev = &head;
        for (op, rhs) in &tail {
            self.comparable(prev, rhs, *op);
            prev = rhs;
        }
        if let [(op1, _), (op2, hi)] = tail.as_slice() {
            self.chained_range(&head, *op1, *op2, hi, span);
        }
        TExpr { kind: TKind::Compare(Box::new(head), tail), ty: Ty::Bool, span: span.clone() }
    }

    fn comparable(&mut self, l: &TExpr, r: &TExpr, op: CmpOp) {
        match types::comparable(l.ty, r.ty) {
            Ok(Order::Total) => {}
            Ok(Order::Equality) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {}
            Ok(Order::Equality) => self.errors.push(CheckError::TypeMismatch {
                message: format!(
                    "{} can only be compared with `==`, `!=` or `in`, not `{}`",
                    l.ty.describe(),
                    op.symbol()
                ),
                left_span: l.span.clone().into(),
                left: l.ty.describe().into(),
                right_span: r.span.clone().into(),
                right: r.ty.describe().into(),
                help: Some("text, true/false and enum values have no order".into()),
            }),
            Err(m) => self.mismatch(m, l, r, format!("cannot compare {} with {}", l.ty.describe(), r.ty.describe())),
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, span: &Span) -> TExpr {
        let (l, r) = (self.expr(lhs), self.expr(rhs));
        if op == BinOp::Div && matches!(r.kind, TKind::Const(Const::Num(n)) if n.is_zero()) {
            self.errors.push(CheckError::DivisionByZero { span: r.span.clone().into() });
        }
        let ty = match types::arith(op, l.ty, r.ty) {
            Ok(ty) => ty,
            Err(m) => {
                let msg = format!("cannot apply `{}` to {} and {}", op.symbol(), l.ty.describe(), r.ty.describe());
                self.mismatch(m, &l, &r, msg);
                Ty::Error
            }
        };
        TExpr { kind: TKind::Arith(op, Box::new(l), Box::new(r)), ty, span: span.clone() }
    }

    fn mismatch(&mut self, m: Mismatch, l: &TExpr, r: &TExpr, message: String) {
        if m == Mismatch::RateWithNumber {
            let (rate, plain) = if l.ty == Ty::Rate { (l, r) } else { (r, l) };
            let period = match rate.kind {
                TKind::Field(slot) => self.fields[slot].period.map_or("year", |p| p.name()),
                _ => "year",
            };
            let number = self.source.get(plain.span.clone()).unwrap_or("3");
            self.errors.push(CheckError::RateWithoutPeriod {
                name: self.source.get(rate.span.clone()).unwrap_or("rate").into(),
                period: period.into(),
                example: format!("{number}/{period}"),
                rate_span: rate.span.clone().into(),
                span: plain.span.clone().into(),
            });
            return;
        }
        // A date written in quotes is text: say to drop them.
        let quoted_date = |t: &TExpr| match &t.kind {
            TKind::Const(Const::Text(s)) if crate::number::Date::parse(s).is_some() => Some(s.clone()),
            _ => None,
        };
        let help = match (l.ty, r.ty) {
            (Ty::Money, Ty::Number | Ty::Integer) | (Ty::Number | Ty::Integer, Ty::Money) => {
                Some("declare the field as `money` if it holds an amount".into())
            }
            (Ty::Date, Ty::Text) | (Ty::Text, Ty::Date) if quoted_date(l).or(quoted_date(r)).is_some() => {
                let d = quoted_date(l).or(quoted_date(r)).unwrap_or_default();
                Some(format!("drop the quotes: `{d}` is a date, `\"{d}\"` is text"))
            }
            (Ty::Date, _) | (_, Ty::Date) => Some("to compare an age, use `days_since(date_field)`".into()),
            (Ty::Money, Ty::Rate) | (Ty::Rate, Ty::Money) => Some(
                "an amount and a count per period do not compare: compare money with an amount (`¥5000`), a rate with a rate (`3/month`), or divide (`spend / orders` is money per order)"
                    .into(),
            ),
            (Ty::Text, t) | (t, Ty::Text) if t.is_numeric() => Some(
                "text compares with quoted text (`== \"5\"`); declare the field `number` (or `money`, `integer`) if it holds numbers"
                    .into(),
            ),
            _ => None,
        };
        self.errors.push(CheckError::TypeMismatch {
            message,
            left_span: l.span.clone().into(),
            left: l.ty.describe().into(),
            right_span: r.span.clone().into(),
            right: r.ty.describe().into(),
            help,
        });
    }

    fn call(&mut self, name: &str, args: &[Expr], span: &Span) -> TExpr {
        let func = match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "abs" => Func::Abs,
            "round" => Func::Round,
            "days_since" => Func::DaysSince,
            "months_since" => Func::MonthsSince,
            "years_since" => Func::YearsSince,
            "contains" => Func::Contains,
            "starts_with" => Func::StartsWith,
            _ => {
                let help = did_you_mean(name, FUNCTIONS.into_iter())
                    .or_else(|| Some(format!("the functions are {}", FUNCTIONS.join(", "))));
                self.errors.push(CheckError::UnknownFunction { name: name.into(), span: span.clone().into(), help });
                // Check the arguments anyway: their own mistakes are reported, and
                // the fields they read do not get "never used" warnings.
                args.iter().for_each(|a| drop(self.expr(a)));
                return error_expr(span);
            }
        };
        let args: Vec<TExpr> = args.iter().map(|a| self.expr(a)).collect();
        let ty = self.call_type(func, &args, span);
        TExpr { kind: TKind::Call(func, args), ty, span: span.clone() }
    }

    fn call_type(&mut self, func: Func, args: &[TExpr], span: &Span) -> Ty {
        let arity = |cx: &mut Self, ok: bool, expected: &'static str| {
            if !ok {
                cx.errors.push(CheckError::WrongArity {
                    name: func.name().into(),
                    expected,
                    got: args.len(),
                    span: span.clone().into(),
                });
            }
            ok
        };
        match func {
            Func::Min | Func::Max => {
                if !arity(self, args.len() >= 2, "two or more arguments") {
                    return Ty::Error;
                }
                let mut ty = args[0].ty;
                for a in &args[1..] {
                    self.comparable(&args[0], a, CmpOp::Lt);
                    ty = types::common(ty, a.ty);
                }
                ty
            }
            Func::Abs | Func::Round => {
                let expected = if func == Func::Abs { "one argument" } else { "one or two arguments" };
                let ok = args.len() == 1 || (func == Func::Round && args.len() == 2);
                if !arity(self, ok, expected) {
                    return Ty::Error;
                }
                if let Some(digits) = args.get(1) {
                    if !matches!(digits.kind, TKind::Const(Const::Num(n)) if n.fract().is_zero() && n >= Decimal::ZERO && n <= Decimal::from(20))
                    {
                        self.wrong_type(
                            digits,
                            "`round`'s second argument is a whole number of decimal places (0 to 20)",
                            None,
                        );
                    }
                }
                self.numeric_arg(&args[0], func)
            }
            Func::Contains | Func::StartsWith => {
                if !arity(self, args.len() == 2, "two arguments (text, part)") {
                    return Ty::Error;
                }
                for a in args {
                    if !matches!(a.ty, Ty::Text | Ty::Error) {
                        self.wrong_type(a, &format!("`{}` takes text", func.name()), None);
                    }
                }
                Ty::Bool
            }
            Func::DaysSince | Func::MonthsSince | Func::YearsSince => {
                if !arity(self, args.len() == 1, "one argument (a date)") {
                    return Ty::Error;
                }
                // Of a date-time: whole days, rounded down (`days_since` only).
                let datetime = func == Func::DaysSince && args[0].ty == Ty::DateTime;
                if !matches!(args[0].ty, Ty::Date | Ty::Error) && !datetime {
                    let name = func.name();
                    self.wrong_type(
                        &args[0],
                        &format!("`{name}` takes a date"),
                        Some(format!("pass a `date` field, e.g. `{name}(last_order)`")),
                    );
                }
                Ty::Integer
            }
        }
    }

    fn numeric_arg(&mut self, a: &TExpr, func: Func) -> Ty {
        if a.ty.is_numeric() || a.ty == Ty::Error {
            a.ty
        } else {
            self.wrong_type(a, &format!("`{}` takes a number", func.name()), None)
        }
    }

    fn wrong_type(&mut self, t: &TExpr, message: &str, help: Option<String>) -> Ty {
        self.errors.push(CheckError::WrongType {
            message: message.into(),
            span: t.span.clone().into(),
            found: t.ty.describe().into(),
            help,
        });
        Ty::Error
    }

    fn required_missing_check(&mut self, v: &TExpr, present: bool) {
        if let TKind::Field(slot) = v.kind {
            let f = &self.fields[slot];
            if !f.optional {
                self.errors.push(CheckError::RequiredMissingCheck {
                    name: f.name.clone(),
                    state: if present { "present" } else { "missing" },
                    always: if present { "true" } else { "false" },
                    span: v.span.clone().into(),
                });
            }
        }
    }

    /// `LOW <= x <= HIGH` with constant bounds that admit no value.
    fn chained_range(&mut self, lo: &TExpr, op1: CmpOp, op2: CmpOp, hi: &TExpr, span: &Span) {
        use CmpOp::*;
        match (op1, op2) {
            (Lt | Le, Lt | Le) => self.empty_range(lo, strictest(op1, op2), hi, span),
            (Gt | Ge, Gt | Ge) => self.empty_range(hi, strictest(op1, op2), lo, span),
            _ => {}
        }
    }

    fn empty_range(&mut self, lo: &TExpr, op: CmpOp, hi: &TExpr, span: &Span) {
        let (TKind::Const(Const::Num(a)), TKind::Const(Const::Num(b))) = (&lo.kind, &hi.kind) else {
            return;
        };
        let empty = if op == CmpOp::Lt { a >= b } else { a > b };
        if empty {
            let (l, h) =
                (self.source.get(lo.span.clone()).unwrap_or("?"), self.source.get(hi.span.clone()).unwrap_or("?"));
            let description = if op == CmpOp::Lt {
                format!("above {l} and below {h}")
            } else {
                format!("at least {l} and at most {h}")
            };
            self.errors.push(CheckError::EmptyRange { description, span: span.clone().into() });
        }
    }
}

/// `<` if either bound is strict, else `<=` (mirrored ops map the same way).
fn strictest(a: CmpOp, b: CmpOp) -> CmpOp {
    if matches!(a, CmpOp::Lt | CmpOp::Gt) || matches!(b, CmpOp::Lt | CmpOp::Gt) {
        CmpOp::Lt
    } else {
        CmpOp::Le
    }
}

pub(super) fn error_expr(span: &Span) -> TExpr {
    TExpr { kind: TKind::Const(Const::Bool(false)), ty: Ty::Error, span: span.clone() }
}

fn take(ops: &mut impl Iterator<Item = TExpr>, e: &Expr) -> TExpr {
    ops.next().unwrap_or_else(|| error_expr(&e.span))
}
