//! Checked policy → one SQL query per dialect: for every row of a table, the key,
//! each dimension's tier (name and label) and its strategy as JSON.
//!
//! The evaluator's rules carry over exactly: every comparison on a missing value
//! is false (each comparison is wrapped in `COALESCE(…, FALSE)`, so SQL's third
//! truth value never reaches a `NOT`); arithmetic on a missing value, and
//! division by zero (`NULLIF`), are missing; rates are normalised per year from
//! the column's own period; `today` is a date literal; tiers are tried in order
//! (`CASE WHEN`). Lets are inlined. What a dialect or SQL cannot express
//! (metrics, retention, budgets) is an [`SqlError`] naming the construct.

use crate::check::{Checked, Const, Func, Hit, StrategyValue, TExpr, TKind, Ty};
use crate::compile::Program;
use crate::eval::Decision;
use crate::number::{Date, Decimal};
use crate::syntax::{BinOp, CmpOp};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    Duckdb,
    Postgres,
    Sqlite,
    Spark,
    /// BigQuery Standard SQL (chosen over Snowflake: see docs/warehouse.md).
    Bigquery,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Duckdb => "DuckDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
            Dialect::Spark => "Spark SQL",
            Dialect::Bigquery => "BigQuery",
        }
    }
}

/// The largest SQL text of one condition or value, in bytes.
pub const MAX_SQL_EXPRESSION: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[error("cannot compile to {dialect}: {construct}")]
#[diagnostic(code(tier::sql_unsupported), help("{help}"))]
pub struct SqlError {
    pub dialect: &'static str,
    pub construct: String,
    pub help: String,
}

/// The query (or `CREATE VIEW name AS` the query) for `table`.
pub fn compile(
    checked: &Checked,
    program: &Program,
    dialect: Dialect,
    table: &str,
    view: Option<&str>,
    today: Date,
) -> Result<String, SqlError> {
    let unsupported = |construct: &str, help: &str| SqlError {
        dialect: dialect.name(),
        construct: construct.into(),
        help: help.into(),
    };
    if !checked.metrics.is_empty() {
        return Err(unsupported(
            "metrics (`events`, `metric`) need the event log aggregated per customer",
            "run `tier apply --events` for such policies; compile a policy over one row per customer",
        ));
    }
    if checked.dimensions.iter().any(|d| d.retention.is_some()) || !checked.budgets.is_empty() {
        return Err(unsupported(
            "retention rules and budgets depend on the previous run and on all customers",
            "apply them with `tier apply --previous`; the SQL would give the tiers by criteria alone",
        ));
    }
    let s = Sql { checked, dialect, today };
    let mut out = String::new();
    let title = checked.title.as_deref().unwrap_or("policy");
    let version = checked.meta.get("version").map_or(String::new(), |v| format!(", version {}", v.to_text()));
    let _ = writeln!(out, "-- {title}{version}: compiled by tier for {} (as of {today}).", dialect.name());
    let _ = writeln!(out, "-- One row per row of {table}: the key, and per dimension the tier, its label and");
    let _ = writeln!(out, "-- its strategy as JSON. A comparison on a missing value is false.");
    if let Some(v) = view {
        let _ = writeln!(out, "CREATE VIEW {} AS", s.ident(v));
    }
    out.push_str("WITH decided AS (\n  SELECT\n");
    let key = &checked.fields[checked.key];
    let mut cols = vec![format!("    {} AS {}", s.ident(&key.column), s.ident(&key.name))];
    for (d, dim) in checked.dimensions.iter().enumerate() {
        let mut case = String::from("    CASE\n");
        let conds: Vec<String> = dim
            .tiers
            .iter()
            .map(|t| t.condition.as_ref().map_or(Ok("TRUE".to_string()), |c| s.cond(c)))
            .collect::<Result<_, _>>()?;
        if dim.hit == Hit::Unique && conds.len() > 1 {
            // Two matching tiers: the evaluator rejects the record; here it gets no tier.
            let count: Vec<String> = conds.iter().map(|c| format!("(CASE WHEN {c} THEN 1 ELSE 0 END)")).collect();
            let _ = writeln!(case, "      WHEN {} > 1 THEN NULL", count.join(" + "));
        }
        for (t, c) in dim.tiers.iter().zip(&conds) {
            let _ =
                writeln!(case, "      -- {}{}", t.name, t.label.as_ref().map_or(String::new(), |l| format!(" ({l})")));
            let _ = writeln!(case, "      WHEN {c} THEN {}", s.text(&t.name));
        }
        let _ = write!(case, "    END AS {}", s.ident(&format!("__d{d}")));
        cols.push(case);
    }
    out.push_str(&cols.join(",\n"));
    let _ = write!(out, "\n  FROM {table}\n)\nSELECT\n  {}", s.ident(&key.name));
    for (d, dim) in checked.dimensions.iter().enumerate() {
        let tier = s.ident(&format!("__d{d}"));
        let _ = write!(out, ",\n  {tier} AS {}", s.ident(&dim.name));
        let mut label = String::from("CASE");
        for t in &dim.tiers {
            let l = t.label.as_ref().map_or("NULL".to_string(), |l| s.text(l));
            let _ = write!(label, " WHEN {tier} = {} THEN {l}", s.text(&t.name));
        }
        let _ = write!(out, ",\n  {label} END AS {}", s.ident(&format!("{}_label", dim.name)));
        let _ = write!(out, ",\n  {} AS {}", s.strategy_case(program, d)?, s.ident(&format!("{}_strategy", dim.name)));
    }
    let _ = writeln!(out, "\nFROM decided");
    if view.is_some() {
        out = out.trim_end().to_string() + ";\n";
    }
    Ok(out)
}

struct Sql<'c> {
    checked: &'c Checked,
    dialect: Dialect,
    today: Date,
}

impl Sql<'_> {
    fn ident(&self, name: &str) -> String {
        match self.dialect {
            Dialect::Spark | Dialect::Bigquery => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    fn text(&self, s: &str) -> String {
        match self.dialect {
            Dialect::Spark | Dialect::Bigquery => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    fn date(&self, d: Date) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("'{d}'"),
            _ => format!("DATE '{d}'"),
        }
    }

    fn number(&self, d: Decimal) -> String {
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
    fn cond(&self, t: &TExpr) -> Result<String, SqlError> {
        self.bounded(self.cond_text(t)?)
    }

    /// A value (NULL when missing).
    fn value(&self, t: &TExpr) -> Result<String, SqlError> {
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
            TKind::Let(i) => self.cond(&self.checked.lets[*i].expr)?,
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
                    self.text(self.checked.fields[field].enum_values.get(*i as usize).map_or("", String::as_str))
                }
            },
            TKind::Field(slot) => {
                let f = &self.checked.fields[*slot];
                let col = self.ident(&f.column);
                match (f.ty, f.period) {
                    // A count per quarter is 4 times that per year.
                    (Ty::Rate, Some(p)) if p.per_year() != Decimal::ONE => {
                        format!("({col} * {})", self.number(p.per_year()))
                    }
                    _ => col,
                }
            }
            TKind::Let(i) => format!("({})", self.value(&self.checked.lets[*i].expr)?),
            TKind::Today => self.date(self.today),
            TKind::Neg(x) => format!("(-{})", self.value(x)?),
            TKind::Arith(op, l, r) => self.arith(*op, l, r)?,
            TKind::Call(f, args) => self.call(*f, args)?,
            TKind::Agg(_) | TKind::Pop(_) => {
                return Err(SqlError {
                    dialect: self.dialect.name(),
                    construct: "an aggregate or population function".into(),
                    help: "metrics are computed by `tier apply --events`".into(),
                })
            }
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
            (BinOp::Div, _) => match self.dialect {
                // Exact division; SQLite has no decimals (see docs/warehouse.md).
                Dialect::Sqlite => format!("(CAST({a} AS REAL) / NULLIF({b}, 0))"),
                Dialect::Bigquery => format!("SAFE_DIVIDE(CAST({a} AS NUMERIC), {b})"),
                _ => format!("(CAST({a} AS DECIMAL(38, 10)) / NULLIF({b}, 0))"),
            },
            _ => format!("({a} {} {b})", op.symbol()),
        })
    }

    /// Whole days from `from` to `to`.
    fn days_between(&self, from: &str, to: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("CAST(julianday({to}) - julianday({from}) AS INTEGER)"),
            Dialect::Spark => format!("datediff({to}, {from})"),
            Dialect::Bigquery => format!("DATE_DIFF({to}, {from}, DAY)"),
            _ => format!("({to} - {from})"),
        }
    }

    fn part(&self, what: &str, d: &str) -> String {
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

    /// The strategy JSON of dimension `d`: per tier, and per combination of tiers
    /// where `when … { strategy }` combinations apply.
    fn strategy_case(&self, program: &Program, d: usize) -> Result<String, SqlError> {
        let others: Vec<usize> = {
            let mut v: Vec<usize> = program
                .combinations
                .iter()
                .filter(|c| c.target == d)
                .flat_map(|c| c.conditions.iter().map(|&(x, _)| x))
                .filter(|&x| x != d)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        // Every combination of this dimension's tier and the others' tiers.
        let mut combos: Vec<Vec<(usize, Option<usize>)>> = vec![vec![]];
        for &x in std::iter::once(&d).chain(&others) {
            let n = program.dimensions[x].tiers.len();
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    (0..=n).map(move |t| {
                        let mut c = c.clone();
                        c.push((x, (t < n).then_some(t)));
                        c
                    })
                })
                .collect();
        }
        let mut case = String::from("CASE");
        for c in combos {
            let mut decisions = vec![Decision { tier: None }; program.dimensions.len()];
            for &(x, t) in &c {
                decisions[x].tier = t;
            }
            let Some(strategy) = crate::combine::strategy(program, &decisions, d) else { continue };
            let cond: Vec<String> = c
                .iter()
                .map(|&(x, t)| {
                    let col = self.ident(&format!("__d{x}"));
                    match t {
                        Some(t) => format!("{col} = {}", self.text(&program.dimensions[x].tiers[t].name)),
                        None => format!("{col} IS NULL"),
                    }
                })
                .collect();
            let _ = write!(case, "\n    WHEN {} THEN {}", cond.join(" AND "), self.json(&strategy));
        }
        Ok(case + "\n  END")
    }

    fn json(&self, m: &indexmap::IndexMap<String, StrategyValue>) -> String {
        let text = serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()).to_string();
        let lit = self.text(&text);
        match self.dialect {
            Dialect::Duckdb => format!("CAST({lit} AS JSON)"),
            Dialect::Postgres => format!("CAST({lit} AS JSONB)"),
            Dialect::Sqlite => format!("json({lit})"),
            Dialect::Spark => lit,
            Dialect::Bigquery => format!("PARSE_JSON({lit})"),
        }
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
