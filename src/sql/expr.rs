//! Expressions as SQL: conditions that are never NULL, values that are NULL
//! when missing, in the scope of a customer row or of an event row.

use super::{Dialect, SqlError, MAX_SQL_EXPRESSION};
use crate::check::{Checked, Const, FieldInfo, Func, LetInfo, MetricInfo, TExpr, TKind, Ty};
use crate::number::{Date, Decimal};
use crate::syntax::{BinOp, CmpOp};

/// Where an expression's field and let slots point.
#[derive(Clone, Copy)]
pub(super) enum Scope<'c> {
    /// One row per customer: the customers table's columns; with metrics, the
    /// CTE that also holds the aggregates (`__aN`) and population scores (`__pN`).
    Customers,
    /// One row per event: the events table's columns, by slot.
    Events(&'c [String]),
}

/// Expressions of one scope of a checked policy as SQL of one dialect.
pub(super) struct Sql<'c> {
    pub checked: &'c Checked,
    pub dialect: Dialect,
    pub today: Date,
    pub scope: Scope<'c>,
}

impl<'c> Sql<'c> {
    /// The same policy and dialect in another scope.
    pub fn with_scope(&self, scope: Scope<'c>) -> Sql<'c> {
        Sql { checked: self.checked, dialect: self.dialect, today: self.today, scope }
    }

    fn fields(&self) -> &'c [FieldInfo] {
        match (self.scope, &self.checked.events) {
            (Scope::Events(_), Some(ev)) => &ev.fields,
            _ => &self.checked.fields,
        }
    }

    fn lets(&self) -> &'c [LetInfo] {
        match (self.scope, &self.checked.events) {
            (Scope::Events(_), Some(ev)) => &ev.lets,
            _ => &self.checked.lets,
        }
    }

    pub fn ident(&self, name: &str) -> String {
        match self.dialect {
            Dialect::Spark | Dialect::Bigquery => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    pub fn text(&self, s: &str) -> String {
        match self.dialect {
            Dialect::Spark | Dialect::Bigquery => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    pub fn date(&self, d: Date) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("'{d}'"),
            _ => format!("DATE '{d}'"),
        }
    }

    pub fn number(&self, d: Decimal) -> String {
        let text = d.normalize().to_string();
        match self.dialect {
            // Decimal literals: exact arithmetic (a bare literal is FLOAT64 there).
            Dialect::Bigquery if text.contains('.') => format!("NUMERIC '{text}'"),
            Dialect::Postgres | Dialect::Duckdb if text.contains('.') => format!("CAST({text} AS DECIMAL(38, 10))"),
            _ if text.starts_with('-') => format!("({text})"),
            _ => text,
        }
    }

    /// A condition: never NULL (missing makes a comparison false).
    pub fn cond(&self, t: &TExpr) -> Result<String, SqlError> {
        self.bounded(self.cond_text(t)?)
    }

    /// A value (NULL when missing).
    pub fn value(&self, t: &TExpr) -> Result<String, SqlError> {
        self.bounded(self.value_text(t)?)
    }

    /// Lets are inlined and `min`/`max` name their operands twice, so the SQL of
    /// an expression can grow exponentially with the policy: past
    /// [`MAX_SQL_EXPRESSION`] bytes it is refused.
    fn bounded(&self, text: String) -> Result<String, SqlError> {
        if text.len() <= MAX_SQL_EXPRESSION {
            return Ok(text);
        }
        Err(SqlError {
            dialect: self.dialect.name(),
            construct: format!(
                "an expression whose SQL is over {} MB (lets used several times, or nested `min`/`max`, repeat their operands)",
                MAX_SQL_EXPRESSION >> 20
            ),
            help: "compute the repeated part as a column upstream and read it as a field".into(),
        })
    }

    fn cond_text(&self, t: &TExpr) -> Result<String, SqlError> {
        let f = |op: &str, l: &str, r: &str| format!("COALESCE({l} {op} {r}, FALSE)");
        Ok(match &t.kind {
            TKind::Compare(first, rest) => {
                let mut parts = Vec::new();
                let mut prev = self.value(first)?;
                for (op, x) in rest {
                    let next = self.value(x)?;
                    parts.push(f(cmp(*op), &prev, &next));
                    prev = next;
                }
                if parts.len() == 1 {
                    parts.remove(0)
                } else {
                    format!("({})", parts.join(" AND "))
                }
            }
            TKind::Between { negated, value, low, high } => {
                let not = if *negated { "NOT " } else { "" };
                format!(
                    "COALESCE({} {not}BETWEEN {} AND {}, FALSE)",
                    self.value(value)?,
                    self.value(low)?,
                    self.value(high)?
                )
            }
            TKind::In { negated, value, items } => {
                let not = if *negated { "NOT " } else { "" };
                let items: Vec<String> = items.iter().map(|i| self.value(i)).collect::<Result<_, _>>()?;
                format!("COALESCE({} {not}IN ({}), FALSE)", self.value(value)?, items.join(", "))
            }
            TKind::Is { present, value } => {
                format!("({} IS {}NULL)", self.value(value)?, if *present { "NOT " } else { "" })
            }
            TKind::Not(x) => format!("(NOT {})", self.cond(x)?),
            TKind::And(xs) | TKind::Or(xs) => {
                let op = if matches!(t.kind, TKind::And(_)) { " AND " } else { " OR " };
                let parts: Vec<String> = xs.iter().map(|x| self.cond(x)).collect::<Result<_, _>>()?;
                format!("({})", parts.join(op))
            }
            TKind::Let(i) => self.cond(&self.lets()[*i].expr)?,
            TKind::Const(Const::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.into(),
            // A boolean field, or a function giving true/false.
            _ => f("=", &self.value(t)?, "TRUE"),
        })
    }

    fn value_text(&self, t: &TExpr) -> Result<String, SqlError> {
        Ok(match &t.kind {
            TKind::Const(c) => match c {
                Const::Num(d) => self.number(*d),
                Const::Text(s) => self.text(s),
                Const::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
                Const::Date(d) => self.date(*d),
                Const::Enum(i) => {
                    let field = match t.ty {
                        Ty::Enum(f) => f,
                        _ => 0,
                    };
                    self.text(self.fields()[field].enum_values.get(*i as usize).map_or("", String::as_str))
                }
            },
            TKind::Field(slot) => {
                // A metric is its expression (already per year when a rate).
                if let Some(m) = self.metric_at(*slot) {
                    return Ok(format!("({})", self.value(&m.expr)?));
                }
                let f = &self.fields()[*slot];
                let col = match self.scope {
                    Scope::Events(columns) => self.ident(&columns[*slot]),
                    Scope::Customers => self.ident(&f.column),
                };
                match (f.ty, f.period) {
                    // A count per quarter is 4 times that per year.
                    (Ty::Rate, Some(p)) if p.per_year() != Decimal::ONE => {
                        format!("({col} * {})", self.number(p.per_year()))
                    }
                    _ => col,
                }
            }
            TKind::Let(i) => format!("({})", self.value(&self.lets()[*i].expr)?),
            TKind::Today => self.date(self.today),
            TKind::Neg(x) => format!("(-{})", self.value(x)?),
            TKind::Arith(op, l, r) => self.arith(*op, l, r)?,
            TKind::Call(f, args) => self.call(*f, args)?,
            // Columns of the metrics CTEs (see `metrics`); the checker keeps
            // them out of the event scope.
            TKind::Agg(i) => self.ident(&format!("__a{i}")),
            TKind::Pop(i) => self.ident(&format!("__p{i}")),
            _ => format!("(CASE WHEN {} THEN TRUE ELSE FALSE END)", self.cond(t)?),
        })
    }

    fn arith(&self, op: BinOp, l: &TExpr, r: &TExpr) -> Result<String, SqlError> {
        let (a, b) = (self.value(l)?, self.value(r)?);
        let dates = (l.ty == Ty::Date, r.ty == Ty::Date);
        Ok(match (op, dates) {
            (BinOp::Sub, (true, true)) => self.days_between(&b, &a),
            (BinOp::Add | BinOp::Sub, (true, false)) | (BinOp::Add, (false, true)) => {
                let (date, days) = if dates.0 { (a, b) } else { (b, a) };
                let sign = if op == BinOp::Sub { "-" } else { "+" };
                match self.dialect {
                    Dialect::Sqlite => format!("date({date}, '{sign}' || CAST({days} AS INTEGER) || ' days')"),
                    Dialect::Spark => format!("date_add({date}, {sign}CAST({days} AS INT))"),
                    Dialect::Bigquery => format!("DATE_ADD({date}, INTERVAL {sign}CAST({days} AS INT64) DAY)"),
                    _ => format!("({date} {sign} CAST({days} AS INTEGER))"),
                }
            }
            (BinOp::Div, _) => self.divide(&a, &b),
            _ => format!("({a} {} {b})", op.symbol()),
        })
    }

    /// `a / b` exactly where the dialect can (SQLite has no decimals, see
    /// docs/warehouse.md); missing when `b` is zero.
    pub fn divide(&self, a: &str, b: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("(CAST({a} AS REAL) / NULLIF({b}, 0))"),
            Dialect::Bigquery => format!("SAFE_DIVIDE(CAST({a} AS NUMERIC), {b})"),
            _ => format!("(CAST({a} AS DECIMAL(38, 10)) / NULLIF({b}, 0))"),
        }
    }

    /// The metric whose value field is `slot` (customer scope only).
    fn metric_at(&self, slot: usize) -> Option<&'c MetricInfo> {
        match self.scope {
            Scope::Customers => self.checked.metrics.iter().find(|m| m.slot == slot),
            Scope::Events(_) => None,
        }
    }

    /// Whole days from a date-time to the start of `today`, rounded down, as
    /// the evaluator counts them (not calendar days: 36 hours is 1 day).
    fn days_to_today(&self, t: &str) -> String {
        let day = self.today;
        let seconds = match self.dialect {
            Dialect::Sqlite => {
                format!("(CAST(strftime('%s', '{day}') AS INTEGER) - CAST(strftime('%s', {t}) AS INTEGER))")
            }
            Dialect::Duckdb => format!("(epoch(TIMESTAMP '{day} 00:00:00') - epoch({t}))"),
            Dialect::Postgres => format!("EXTRACT(EPOCH FROM (TIMESTAMP '{day} 00:00:00' - {t}))"),
            // Both sides in the session time zone: the difference is the wall-clock one.
            Dialect::Spark => format!("(unix_timestamp(TIMESTAMP '{day} 00:00:00') - unix_timestamp({t}))"),
            Dialect::Bigquery => format!("DATETIME_DIFF(DATETIME '{day} 00:00:00', {t}, SECOND)"),
        };
        self.floor_div(&seconds, 86_400)
    }

    /// `a` divided by a positive constant, rounded down (also when negative).
    pub fn floor_div(&self, a: &str, b: u32) -> String {
        match self.dialect {
            // Integer division truncates there: round negatives down by hand.
            Dialect::Sqlite => {
                format!("(CASE WHEN {a} >= 0 THEN {a} / {b} ELSE -(({b} - 1 - ({a})) / {b}) END)")
            }
            Dialect::Bigquery => format!("CAST(FLOOR({a} / {b}) AS INT64)"),
            _ => format!("CAST(FLOOR({a} / {b}) AS BIGINT)"),
        }
    }

    /// Whole days from `from` to `to`.
    pub fn days_between(&self, from: &str, to: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("CAST(julianday({to}) - julianday({from}) AS INTEGER)"),
            Dialect::Spark => format!("datediff({to}, {from})"),
            Dialect::Bigquery => format!("DATE_DIFF({to}, {from}, DAY)"),
            _ => format!("({to} - {from})"),
        }
    }

    pub fn part(&self, what: &str, d: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => {
                let f = match what {
                    "YEAR" => "%Y",
                    "MONTH" => "%m",
                    _ => "%d",
                };
                format!("CAST(strftime('{f}', {d}) AS INTEGER)")
            }
            _ => format!("EXTRACT({what} FROM {d})"),
        }
    }

    fn call(&self, f: Func, args: &[TExpr]) -> Result<String, SqlError> {
        let vals: Vec<String> = args.iter().map(|a| self.value(a)).collect::<Result<_, _>>()?;
        Ok(match f {
            Func::Min | Func::Max => {
                let name = match (f, self.dialect) {
                    (Func::Min, Dialect::Sqlite) => "min",
                    (Func::Max, Dialect::Sqlite) => "max",
                    (Func::Min, _) => "LEAST",
                    _ => "GREATEST",
                };
                // Missing if any argument is (some engines' LEAST skips NULLs).
                let any_null: Vec<String> = vals.iter().map(|v| format!("{v} IS NULL")).collect();
                format!("(CASE WHEN {} THEN NULL ELSE {name}({}) END)", any_null.join(" OR "), vals.join(", "))
            }
            Func::Abs => format!("ABS({})", vals[0]),
            Func::Round => match vals.get(1) {
                Some(p) => format!("ROUND({}, {p})", vals[0]),
                None => format!("ROUND({})", vals[0]),
            },
            Func::DaysSince if args[0].ty == Ty::DateTime => self.days_to_today(&vals[0]),
            Func::DaysSince => self.days_between(&vals[0], &self.date(self.today)),
            Func::MonthsSince | Func::YearsSince => {
                // Whole months as `months_since` counts them (see eval::months_between):
                // the month is complete on the same day, or on the last day of a
                // shorter month. `today` is a constant, so its parts are too.
                let (ty, tm, td) = self.today.ymd();
                let d = &vals[0];
                let raw = format!("(({ty} - {}) * 12 + ({tm} - {}))", self.part("YEAR", d), self.part("MONTH", d));
                let day = self.part("DAY", d);
                let months = if self.today.is_month_end() {
                    raw
                } else {
                    format!(
                        "(CASE WHEN {raw} > 0 AND {day} > {td} THEN {raw} - 1 WHEN {raw} < 0 AND {day} < {td} THEN {raw} + 1 ELSE {raw} END)"
                    )
                };
                if f == Func::YearsSince {
                    // Rounded down (floor), for negative ages too.
                    match self.dialect {
                        // No FLOOR in a plain SQLite; integer division truncates.
                        Dialect::Sqlite => {
                            format!("(CASE WHEN {m} >= 0 THEN {m} / 12 ELSE -((11 - {m}) / 12) END)", m = months)
                        }
                        _ => format!("CAST(FLOOR({months} / 12.0) AS INTEGER)"),
                    }
                } else {
                    months
                }
            }
            Func::Contains => match self.dialect {
                Dialect::Duckdb => format!("contains({}, {})", vals[0], vals[1]),
                Dialect::Sqlite | Dialect::Spark => format!("(instr({}, {}) > 0)", vals[0], vals[1]),
                _ => format!("(STRPOS({}, {}) > 0)", vals[0], vals[1]),
            },
            Func::StartsWith => match self.dialect {
                Dialect::Duckdb | Dialect::Postgres => format!("starts_with({}, {})", vals[0], vals[1]),
                Dialect::Bigquery => format!("STARTS_WITH({}, {})", vals[0], vals[1]),
                _ => format!("(substr({}, 1, length({})) = {})", vals[0], vals[1], vals[1]),
            },
        })
    }
}

fn cmp(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
    }
}
