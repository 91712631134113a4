//! `test` blocks: given values typed against the schema, expectations resolved
//! to dimensions, tiers and strategy keys.

use super::error::CheckError;
use super::model::{Const, DimensionInfo, Expectation, LetInfo, TestInfo};
use super::refs::fields_read;
use super::suggest::did_you_mean;
use super::types::Ty;
use super::Cx;
use crate::syntax::{ExpectStrategy, ExpectTier, Given, Ident, Item, Policy, Test, TestItem, Value, ValueKind};
use std::collections::BTreeSet;

impl Cx<'_> {
    pub(super) fn tests(&mut self, policy: &Policy, dims: &[DimensionInfo], lets: &[LetInfo]) -> Vec<TestInfo> {
        let mut read = BTreeSet::new();
        for t in dims.iter().flat_map(|d| &d.tiers) {
            if let Some(c) = &t.condition {
                fields_read(c, lets, &mut read);
            }
        }
        let mut out: Vec<TestInfo> = Vec::new();
        for item in &policy.items {
            let Item::Test(t) = item else { continue };
            if let Some(first) = out.iter().find(|o| o.name == t.name.value) {
                self.errors.push(CheckError::DuplicateName {
                    what: "test",
                    name: t.name.value.clone(),
                    span: t.name.span.clone().into(),
                    first: first.span.clone().into(),
                });
            }
            out.push(self.test(t, dims, &read));
        }
        out
    }

    fn test(&mut self, t: &Test, dims: &[DimensionInfo], read: &BTreeSet<usize>) -> TestInfo {
        let name = t.name.value.clone();
        let givens: Vec<&Given> =
            t.items.iter().filter_map(|i| if let TestItem::Given(g) = i { Some(g) } else { None }).collect();
        let has_expect = t.items.iter().any(|i| matches!(i, TestItem::ExpectTier(_) | TestItem::ExpectStrategy(_)));
        let problem = match (givens.len(), has_expect) {
            (0, _) => Some("no `given` block"),
            (n, _) if n > 1 => Some("more than one `given` block"),
            (_, false) => Some("no `expect`"),
            _ => None,
        };
        if let Some(problem) = problem {
            self.errors.push(CheckError::TestIncomplete {
                test: name.clone(),
                problem,
                span: t.name.span.clone().into(),
            });
        }
        let mut given: Vec<Option<Const>> = vec![None; self.fields.len()];
        let mut set = vec![false; self.fields.len()];
        let defaults = givens.first().is_some_and(|g| g.defaults);
        for g in &givens {
            for e in &g.entries {
                let Some(&slot) = self.field_index.get(&e.field.name) else {
                    let help = did_you_mean(&e.field.name, self.fields.iter().map(|f| f.name.as_str()));
                    self.errors.push(CheckError::TestUnknownField {
                        test: name.clone(),
                        name: e.field.name.clone(),
                        span: e.field.span.clone().into(),
                        help,
                    });
                    continue;
                };
                set[slot] = true;
                given[slot] = e.value.as_ref().and_then(|v| self.given_value(&name, slot, v));
                if e.value.is_none() && !self.fields[slot].optional {
                    self.errors.push(CheckError::TestBadValue {
                        test: name.clone(),
                        message: format!("required field `{}` cannot be missing", e.field.name),
                        span: e.span.clone().into(),
                        label: "required field".into(),
                        help: Some(format!("declare it optional (`{}: TYPE?`) if the data may lack it", e.field.name)),
                    });
                }
            }
        }
        let population = self.test_population(&name, t);
        // Population-level metrics are computed when a population is given.
        let computed = |s: usize| population.is_some() && self.population_fields.contains(&s);
        let needs: Vec<&str> = read
            .iter()
            .filter(|&&s| !set[s] && self.population_fields.contains(&s) && population.is_none())
            .map(|&s| self.fields[s].name.as_str())
            .collect();
        if !needs.is_empty() {
            self.errors.push(CheckError::TestNeedsPopulation {
                test: name.clone(),
                names: needs.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                first: needs[0].to_string(),
                span: t.name.span.clone().into(),
            });
        }
        let unset: Vec<&str> = read
            .iter()
            .filter(|&&s| !set[s] && !self.fields[s].optional && !computed(s) && !self.population_fields.contains(&s))
            .map(|&s| self.fields[s].name.as_str())
            .collect();
        if !unset.is_empty() && !defaults {
            let span = givens.first().map_or(t.name.span.clone(), |g| g.span.start..g.span.start + "given".len());
            self.errors.push(CheckError::TestMissingField {
                test: name.clone(),
                names: unset.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                plural: if unset.len() > 1 { "s" } else { "" },
                span: span.into(),
            });
        }
        // Without tiers (`tier::no_tiers`) there is nothing to expect.
        let expects = t
            .items
            .iter()
            .filter(|_| !dims.is_empty())
            .filter_map(|i| match i {
                TestItem::ExpectTier(e) => self.expect_tier(&name, e, dims),
                TestItem::ExpectStrategy(e) => self.expect_strategy(&name, e, dims),
                TestItem::Given(_) | TestItem::Population(_) => None,
            })
            .collect();
        TestInfo { name, population, given, defaults, expects, span: t.name.span.clone() }
    }

    /// `population [ {..}, .. ]`: each entry's values by field slot.
    fn test_population(&mut self, test: &str, t: &Test) -> Option<Vec<Vec<Option<Const>>>> {
        let v = t.items.iter().find_map(|i| if let TestItem::Population(v) = i { Some(v) } else { None })?;
        let ValueKind::List(rows) = &v.kind else { return None };
        let mut out = Vec::new();
        for row in rows {
            let mut values: Vec<Option<Const>> = vec![None; self.fields.len()];
            let ValueKind::Map(entries) = &row.kind else {
                self.errors.push(CheckError::TestBadValue {
                    test: test.to_string(),
                    message: "a population lists customers as `{ field: value, .. }`".into(),
                    span: row.span.clone().into(),
                    label: "not a customer".into(),
                    help: Some(
                        "e.g. `population [ { recency: 3, frequency: 10 }, { recency: 40, frequency: 1 } ]`".into(),
                    ),
                });
                continue;
            };
            for e in entries {
                let Some(&slot) = self.field_index.get(&e.key.name) else {
                    let help = did_you_mean(&e.key.name, self.fields.iter().map(|f| f.name.as_str()));
                    self.errors.push(CheckError::TestUnknownField {
                        test: test.to_string(),
                        name: e.key.name.clone(),
                        span: e.key.span.clone().into(),
                        help,
                    });
                    continue;
                };
                values[slot] = self.given_value(test, slot, &e.value);
            }
            out.push(values);
        }
        Some(out)
    }

    /// A given value as the field's runtime constant (rates per year).
    fn given_value(&mut self, test: &str, slot: usize, v: &Value) -> Option<Const> {
        self.money_literals_in(v);
        let f = &self.fields[slot];
        let value = match (f.ty, &v.kind) {
            (Ty::Text, ValueKind::Text(s) | ValueKind::Symbol(s)) => Some(Const::Text(s.clone())),
            (Ty::Number | Ty::Money, ValueKind::Number(n)) => Some(Const::Num(n.value)),
            (Ty::Integer, ValueKind::Number(n)) if n.value.fract().is_zero() => Some(Const::Num(n.value)),
            (Ty::Money, ValueKind::Money(m)) => Some(Const::Num(m.amount.value)),
            // Per year, if that is within the number range.
            (Ty::Rate, ValueKind::Number(n)) => {
                f.period.and_then(|p| n.value.checked_mul(p.per_year())).map(Const::Num)
            }
            (Ty::Rate, ValueKind::Rate(r)) => r.count.value.checked_mul(r.period.per_year()).map(Const::Num),
            (Ty::Date, ValueKind::Date(d)) => Some(Const::Date(*d)),
            (Ty::Bool, ValueKind::Bool(b)) => Some(Const::Bool(*b)),
            (Ty::Enum(_), ValueKind::Symbol(s) | ValueKind::Text(s)) => {
                f.enum_values.iter().position(|e| e == s).map(|i| Const::Enum(i as u32))
            }
            _ => None,
        };
        if value.is_none() {
            let expected = match f.ty {
                Ty::Enum(_) => format!("one of {}", f.enum_values.join(", ")),
                Ty::Rate => {
                    format!("a number per {} or a rate such as `3/quarter`", f.period.map_or("year", |p| p.name()))
                }
                Ty::Integer => "a whole number".into(),
                Ty::Date => "a date such as 2024-06-30".into(),
                Ty::Text => "a quoted string".into(),
                other => other.describe().into(),
            };
            self.errors.push(CheckError::TestBadValue {
                test: test.into(),
                message: format!(
                    "`{}` is not a valid value for `{}`",
                    self.source.get(v.span.clone()).unwrap_or("?"),
                    f.name
                ),
                span: v.span.clone().into(),
                label: format!("expected {expected}"),
                help: None,
            });
        }
        value
    }

    fn expect_tier(&mut self, test: &str, e: &ExpectTier, dims: &[DimensionInfo]) -> Option<Expectation> {
        let dimension = match (&e.dimension, &e.tier) {
            (Some(d), _) => self.find_dimension(test, d, dims)?,
            (None, None) if dims.len() == 1 => 0,
            (None, None) => {
                let names: Vec<&str> = dims.iter().map(|d| d.name.as_str()).collect();
                self.errors.push(CheckError::TestAmbiguousTier {
                    test: test.into(),
                    name: "none".into(),
                    dimensions: names.join(", "),
                    first_dimension: names.first().copied().unwrap_or("tier").into(),
                    span: e.span.clone().into(),
                });
                return None;
            }
            (None, Some(t)) => {
                let holders: Vec<usize> =
                    (0..dims.len()).filter(|&i| dims[i].tiers.iter().any(|x| x.name == t.name)).collect();
                match holders.as_slice() {
                    [one] => *one,
                    [] => {
                        let all = dims.iter().flat_map(|d| d.tiers.iter().map(|t| t.name.as_str()));
                        let help = did_you_mean(&t.name, all);
                        self.errors.push(CheckError::TestUnknownTier {
                            test: test.into(),
                            name: t.name.clone(),
                            span: t.span.clone().into(),
                            help,
                        });
                        return None;
                    }
                    many => return self.ambiguous(test, &t.name, many, dims, &t.span),
                }
            }
        };
        // A policy without tiers has no dimension (and `tier::no_tiers` said so).
        let dim = dims.get(dimension)?;
        let tier = match &e.tier {
            None => None,
            Some(t) => match dim.tiers.iter().position(|x| x.name == t.name) {
                Some(i) => Some(i),
                None => {
                    let help = did_you_mean(&t.name, dim.tiers.iter().map(|t| t.name.as_str()));
                    self.errors.push(CheckError::TestUnknownTier {
                        test: test.into(),
                        name: t.name.clone(),
                        span: t.span.clone().into(),
                        help,
                    });
                    return None;
                }
            },
        };
        Some(Expectation::Tier { dimension, tier, span: e.span.clone() })
    }

    fn expect_strategy(&mut self, test: &str, e: &ExpectStrategy, dims: &[DimensionInfo]) -> Option<Expectation> {
        let key = e.path.first()?;
        // A key of a tier's strategy, or of a combination merged onto the dimension.
        let combos = self.combination_keys.clone();
        let has_key = |i: usize| {
            dims.get(i).is_some_and(|d| d.tiers.iter().any(|t| t.strategy.contains_key(&key.name)))
                || combos.iter().any(|(d, keys)| *d == i && keys.contains(&key.name))
        };
        let dimension = match &e.dimension {
            Some(d) => self.find_dimension(test, d, dims)?,
            None if dims.len() == 1 => 0,
            None => {
                let holders: Vec<usize> = (0..dims.len()).filter(|&i| has_key(i)).collect();
                match holders.as_slice() {
                    [one] => *one,
                    [] => 0,
                    many => return self.ambiguous(test, &key.name, many, dims, &key.span),
                }
            }
        };
        // A policy without tiers has no dimension (and `tier::no_tiers` said so).
        let dim = dims.get(dimension)?;
        if !has_key(dimension) {
            let keys = dim.tiers.iter().flat_map(|t| t.strategy.keys().map(String::as_str));
            let help = did_you_mean(&key.name, keys);
            self.errors.push(CheckError::TestUnknownKey {
                test: test.into(),
                key: key.name.clone(),
                dimension: dim.name.clone(),
                span: key.span.clone().into(),
                help,
            });
            return None;
        }
        let value = self.value(&e.value);
        let path = e.path.iter().map(|k| k.name.clone()).collect();
        Some(Expectation::Strategy { dimension, path, op: e.op, value, span: e.span.clone() })
    }

    fn find_dimension(&mut self, test: &str, d: &Ident, dims: &[DimensionInfo]) -> Option<usize> {
        let found = dims.iter().position(|x| x.name == d.name);
        if found.is_none() {
            let help = did_you_mean(&d.name, dims.iter().map(|x| x.name.as_str()));
            self.errors.push(CheckError::TestUnknownDimension {
                test: test.into(),
                name: d.name.clone(),
                span: d.span.clone().into(),
                help,
            });
        }
        found
    }

    fn ambiguous(
        &mut self,
        test: &str,
        name: &str,
        holders: &[usize],
        dims: &[DimensionInfo],
        span: &crate::syntax::Span,
    ) -> Option<Expectation> {
        let names: Vec<&str> = holders.iter().filter_map(|&i| dims.get(i)).map(|d| d.name.as_str()).collect();
        self.errors.push(CheckError::TestAmbiguousTier {
            test: test.into(),
            name: name.into(),
            dimensions: names.join(", "),
            first_dimension: names.first().copied().unwrap_or_default().into(),
            span: span.clone().into(),
        });
        None
    }
}
