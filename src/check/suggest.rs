//! "did you mean ...?" for misspelt names.

/// The closest candidate within a small edit distance, as a help line.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate [`did_you_mean`] suggests.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1) + usize::from(name.len() > 8);
    let lower = name.to_lowercase();
    candidates
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let names = ["annual_purchase", "orders", "region"];
        assert_eq!(
            did_you_mean("anual_purchase", names.into_iter()).as_deref(),
            Some("did you mean `annual_purchase`?")
        );
        assert_eq!(did_you_mean("Orders", names.into_iter()).as_deref(), Some("did you mean `orders`?"));
        assert_eq!(did_you_mean("turnover", names.into_iter()), None);
    }
}
