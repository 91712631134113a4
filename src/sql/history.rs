//! Tiers over time in SQL, as `crate::history::step` moves them: the previous
//! run's output (`--previous-table`: the key, and per dimension `DIM`,
//! `DIM_entered`, `DIM_below`, `DIM_movement`; rows of customers already gone
//! left out) joined to `decided` by key. Per dimension the movement (`new`,
//! `promoted`, `demoted`, `retained`, `held`, `gone`, `changed`) is decided
//! first (`__moves`), then the tier it leaves and the state carried forward
//! (`__moved`). Customers of the previous run not in this one are `gone` rows
//! with no tier. Without a previous table (a first run) everyone is `new`.

use super::expr::Sql;
use crate::check::DimensionInfo;
use crate::number::{Date, Period};

/// The history columns per dimension, after the dimension's name.
pub(super) const COLUMNS: [&str; 4] = ["previous", "movement", "entered", "below"];

/// Pushes the history CTEs over `decided`; returns the last one's name. It
/// has the key, `__gone` (1 for a gone row), the final tiers `__dD`, the
/// metrics `__mJ` and the history columns `__hD_previous` etc.
pub(super) fn ctes(s: &Sql, previous: Option<&str>, out: &mut Vec<String>) -> String {
    let checked = s.checked;
    let id = |n: String| s.ident(&n);
    let key = s.ident(&checked.fields[checked.key].name);
    let today = s.date(s.today);
    let metrics: Vec<String> = (0..checked.metrics.len()).map(|j| id(format!("__m{j}"))).collect();
    let Some(previous) = previous else {
        // A first run: everyone is new, entered today.
        let mut cols = vec![key.clone(), format!("0 AS {}", id("__gone".into()))];
        cols.extend(metrics);
        for d in 0..checked.dimensions.len() {
            let c = id(format!("__c{d}"));
            cols.push(format!("{c} AS {}", id(format!("__d{d}"))));
            cols.push(c.clone());
            cols.push(format!("CAST(NULL AS {}) AS {}", s.text_type(), id(format!("__h{d}_previous"))));
            cols.push(format!("'new' AS {}", id(format!("__h{d}_movement"))));
            cols.push(format!("{today} AS {}", id(format!("__h{d}_entered"))));
            cols.push(format!("0 AS {}", id(format!("__h{d}_below"))));
        }
        out.push(format!("{} AS (\n  SELECT {}\n  FROM decided\n)", id("__moved".into()), cols.join(",\n    ")));
        return id("__moved".into());
    };
    // The previous run's states; a customer marked gone there is not carried.
    let mut cols = vec![format!("{key} AS {}", id("__pk".into()))];
    let mut live = Vec::new();
    for (d, dim) in checked.dimensions.iter().enumerate() {
        let col = |suffix: &str| s.ident(&format!("{}{suffix}", dim.name));
        cols.push(format!("{} AS {}", col(""), id(format!("__pt{d}"))));
        cols.push(format!("{} AS {}", col("_entered"), id(format!("__pe{d}"))));
        cols.push(format!("{} AS {}", col("_below"), id(format!("__pb{d}"))));
        live.push(format!("COALESCE({}, '') <> 'gone'", col("_movement")));
    }
    out.push(format!(
        "{} AS (\n  SELECT {}\n  FROM {previous}\n  WHERE {}\n)",
        id("__prev".into()),
        cols.join(", "),
        live.join(" AND ")
    ));
    let mut cols = vec![
        format!("decided.*, {}.*", id("__prev".into())),
        format!("CASE WHEN decided.{key} IS NULL THEN 1 ELSE 0 END AS {}", id("__gone".into())),
    ];
    for (d, dim) in checked.dimensions.iter().enumerate() {
        cols.push(format!("{} AS {}", movement(s, d, dim), id(format!("__mv{d}"))));
    }
    out.push(format!(
        "{} AS (\n  SELECT {}\n  FROM decided FULL OUTER JOIN {} ON {}.{} = decided.{key}\n)",
        id("__moves".into()),
        cols.join(",\n    "),
        id("__prev".into()),
        id("__prev".into()),
        id("__pk".into())
    ));
    let mut cols = vec![format!("COALESCE({key}, {}) AS {key}", id("__pk".into())), id("__gone".into())];
    cols.extend(metrics);
    for (d, dim) in checked.dimensions.iter().enumerate() {
        let [c, p, pe, pb, mv] = ["__c", "__pt", "__pe", "__pb", "__mv"].map(|x| id(format!("{x}{d}")));
        let target = match dim.retention.as_ref().and_then(|r| r.at_most) {
            Some(m) => format!(
                "CASE WHEN {} <= {} + {m} THEN {c} ELSE {} END",
                rank(s, dim, &c),
                rank(s, dim, &p),
                name_at(s, dim, &format!("{} + {m}", rank(s, dim, &p)))
            ),
            None => c.clone(),
        };
        cols.push(format!(
            "CASE {mv} WHEN 'held' THEN {p} WHEN 'demoted' THEN {target} WHEN 'gone' THEN NULL ELSE {c} END AS {}",
            id(format!("__d{d}"))
        ));
        cols.push(c.clone());
        cols.push(format!("{p} AS {}", id(format!("__h{d}_previous"))));
        cols.push(format!("{mv} AS {}", id(format!("__h{d}_movement"))));
        cols.push(format!(
            "CASE {mv} WHEN 'retained' THEN COALESCE({pe}, {today}) WHEN 'held' THEN {pe} WHEN 'gone' THEN NULL ELSE {today} END AS {}",
            id(format!("__h{d}_entered"))
        ));
        cols.push(format!(
            "CASE {mv} WHEN 'held' THEN COALESCE({pb}, 0) + 1 ELSE 0 END AS {}",
            id(format!("__h{d}_below"))
        ));
    }
    out.push(format!(
        "{} AS (\n  SELECT {}\n  FROM {}\n)",
        id("__moved".into()),
        cols.join(",\n    "),
        id("__moves".into())
    ));
    id("__moved".into())
}

/// The movement of dimension `d`, as `history::step` decides it.
fn movement(s: &Sql, d: usize, dim: &DimensionInfo) -> String {
    let id = |n: String| s.ident(&n);
    let [c, p, pe, pb] = ["__c", "__pt", "__pe", "__pb"].map(|x| id(format!("{x}{d}")));
    let names: Vec<String> = dim.tiers.iter().map(|t| s.text(&t.name)).collect();
    let mut case = format!(
        "CASE\n      WHEN decided.{key} IS NULL THEN 'gone'\n      WHEN {pk} IS NULL OR NOT ({p} IS NULL OR {p} IN ({names})) THEN 'new'\n      WHEN {p} = {c} OR ({p} IS NULL AND {c} IS NULL) THEN 'retained'\n",
        key = s.ident(&s.checked.fields[s.checked.key].name),
        pk = id("__pk".into()),
        names = names.join(", ")
    );
    if !dim.ordered {
        return case + "      ELSE 'changed'\n    END";
    }
    case.push_str(&format!("      WHEN {} < {} THEN 'promoted'\n", rank(s, dim, &c), rank(s, dim, &p)));
    let rules =
        dim.retention.clone().unwrap_or(crate::check::RetentionInfo { demote_after: 1, at_most: None, keep: vec![] });
    for &(tier, n, period) in &rules.keep {
        // Held while `today` is before `entered` + N periods: from this day on.
        if let Some(first) = kept_from(s.today, n, period) {
            case.push_str(&format!(
                "      WHEN {p} = {} AND {pe} >= {} THEN 'held'\n",
                s.text(&dim.tiers[tier].name),
                s.date(first)
            ));
        }
    }
    case.push_str(&format!(
        "      WHEN COALESCE({pb}, 0) + 1 < {} THEN 'held'\n      ELSE 'demoted'\n    END",
        rules.demote_after
    ));
    case
}

/// A tier's place in the dimension (no tier: after the last).
fn rank(s: &Sql, dim: &DimensionInfo, tier: &str) -> String {
    let mut case = format!("(CASE {tier}");
    for (i, t) in dim.tiers.iter().enumerate() {
        case.push_str(&format!(" WHEN {} THEN {i}", s.text(&t.name)));
    }
    case + &format!(" ELSE {} END)", dim.tiers.len())
}

/// The tier at a place (none past the last).
fn name_at(s: &Sql, dim: &DimensionInfo, place: &str) -> String {
    let mut case = format!("(CASE {place}");
    for (i, t) in dim.tiers.iter().enumerate() {
        case.push_str(&format!(" WHEN {i} THEN {}", s.text(&t.name)));
    }
    case + " END)"
}

/// The earliest day of entering a tier from which `keep .. for N PERIOD`
/// still holds on `today` (`history::add(entered, n, period) > today`; that
/// date moves with `entered`, never back); `None` when no day does.
fn kept_from(today: Date, n: u32, period: Period) -> Option<Date> {
    let holds = |e: Date| crate::history::add(e, n, period) > today;
    if !holds(today) {
        return None;
    }
    let span = i64::from(n).saturating_mul(366).saturating_add(62);
    let mut lo = today.add_days(-span).unwrap_or(Date(i32::MIN / 2));
    if holds(lo) {
        return Some(lo);
    }
    // lo does not hold, today does: the first day that does lies in (lo, today].
    let mut hi = today;
    while hi.0 - lo.0 > 1 {
        let mid = Date(lo.0 + (hi.0 - lo.0) / 2);
        if holds(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

impl Sql<'_> {
    /// The dialect's name of a text column type (for a typed NULL).
    pub fn text_type(&self) -> &'static str {
        match self.dialect {
            super::Dialect::Spark | super::Dialect::Bigquery => "STRING",
            _ => "TEXT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_from_is_the_first_day_still_kept() {
        let d = |s: &str| Date::parse(s).unwrap();
        // 12 months after 2024-04-01 is 2025-04-01: on 2025-03-31 still kept.
        assert_eq!(kept_from(d("2025-03-31"), 12, Period::Month), Some(d("2024-04-01")));
        // Month ends reach month ends: 2024-02-29 + 1 month = 2024-03-31.
        assert_eq!(kept_from(d("2024-03-30"), 1, Period::Month), Some(d("2024-02-29")));
        assert_eq!(kept_from(d("2025-06-30"), 0, Period::Month), None);
        for (today, n, p) in
            [("2025-02-28", 1, Period::Month), ("2024-12-31", 2, Period::Quarter), ("2025-01-10", 3, Period::Week)]
        {
            let t = d(today);
            let first = kept_from(t, n, p).unwrap();
            assert!(crate::history::add(first, n, p) > t);
            assert!(crate::history::add(first.add_days(-1).unwrap(), n, p) <= t);
        }
    }
}
