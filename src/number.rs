//! The number model: exact decimals, literal suffixes, rate periods and calendar dates.
//!
//! Every number in a policy or a data file is a [`Decimal`] (96-bit mantissa, 28
//! significant digits), never a float, so `0.1 + 0.2 == 0.3` and a spend of exactly
//! `999_999.99` is below `1M` however it was written. Rates are stored per year.

pub use rust_decimal::Decimal;
use std::str::FromStr;

/// Multiplier of a literal suffix (`k`, `M`, `B`, `万`, `亿`, `%`).
pub fn suffix_multiplier(suffix: &str) -> Option<Decimal> {
    Some(match suffix {
        "k" | "K" => Decimal::from(1_000),
        "M" => Decimal::from(1_000_000),
        "B" => Decimal::from(1_000_000_000),
        "万" => Decimal::from(10_000),
        "亿" => Decimal::from(100_000_000),
        "%" => Decimal::new(1, 2),
        _ => return None,
    })
}

/// Parses a policy number literal: digits with `_` separators, an optional
/// fraction and an optional suffix (`1_000_000`, `1.2M`, `100万`, `20%`).
pub fn parse_literal(text: &str) -> Option<Decimal> {
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '_' || *c == '.'))
        .map_or(text.len(), |(i, _)| i);
    let (digits, suffix) = text.split_at(end);
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    let base = Decimal::from_str(&digits).ok()?;
    if suffix.is_empty() {
        return Some(base.normalize());
    }
    base.checked_mul(suffix_multiplier(suffix)?).map(|d| d.normalize())
}

/// Parses a number as spreadsheets export it: optional sign, currency symbol
/// (`¥ $ € £`), thousands separators, a `k/M/B/万/亿/%` suffix.
pub fn parse_data_number(raw: &str) -> Option<Decimal> {
    parse_data_amount(raw).map(|(d, _)| d)
}

/// Whether an amount written with `symbol` (`$`, `元`, `USD`) can be in
/// `currency` (a policy's `currency:` code). `¥` serves CNY and JPY, `$` the
/// dollar currencies; an unknown code accepts only itself.
pub fn symbol_fits(symbol: &str, currency: &str) -> bool {
    let code = currency.trim().to_ascii_uppercase();
    let code = if code == "RMB" { "CNY".to_string() } else { code };
    match symbol {
        "¥" | "￥" => code == "CNY" || code == "JPY",
        "元" | "RMB" => code == "CNY",
        "$" => matches!(code.as_str(), "USD" | "HKD" | "AUD" | "CAD" | "SGD" | "NZD" | "TWD" | "MXN"),
        "€" => code == "EUR",
        "£" => code == "GBP",
        other => other.eq_ignore_ascii_case(&code),
    }
}

/// The symbols an amount in `currency` may be written with, for messages.
pub fn symbols_of(currency: &str) -> Vec<&'static str> {
    ["¥", "￥", "元", "$", "€", "£"].into_iter().filter(|s| symbol_fits(s, currency)).collect()
}

/// [`parse_data_number`], also returning the currency symbols or codes written
/// before and after the number.
pub fn parse_data_amount(raw: &str) -> Option<(Decimal, [Option<&'static str>; 2])> {
    // Most cells are plain digits: parsed without the general path's copy.
    // (Not a leading `-`: the general path makes `-0` a negative zero.)
    if raw.starts_with(|c: char| c.is_ascii_digit()) {
        if let Some(d) = plain_number(raw.as_bytes()) {
            return Some((d.normalize(), [None, None]));
        }
    }
    let mut s = raw.trim();
    let mut symbols = [None, None];
    let negative = if let Some(rest) = s.strip_prefix('-') {
        s = rest.trim_start();
        true
    } else {
        false
    };
    for sym in ["¥", "￥", "$", "€", "£", "CNY", "USD", "EUR", "GBP", "RMB"] {
        if let Some(rest) = s.strip_prefix(sym) {
            s = rest.trim_start();
            symbols[0] = Some(sym);
            break;
        }
    }
    for sym in ["元", "CNY", "USD", "EUR", "GBP", "RMB"] {
        if let Some(rest) = s.strip_suffix(sym) {
            s = rest.trim_end();
            symbols[1] = Some(sym);
            break;
        }
    }
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let cleaned: String = s.chars().filter(|c| *c != ',').collect();
    if cleaned.contains('_') {
        return None;
    }
    let value = parse_literal(&cleaned).or_else(|| Decimal::from_scientific(&cleaned).ok().map(|d| d.normalize()))?;
    Some((if negative { -value } else { value }, symbols))
}

/// `[-]digits[.digits]` with at most 18 digits, as an `i64` mantissa and scale.
pub(crate) fn plain_parts(raw: &[u8]) -> Option<(i64, u32)> {
    let (neg, digits) = sign_and_digits(raw, 18)?;
    let (m, scale) = mantissa::<i64>(digits)?;
    Some((if neg { -m } else { m }, scale))
}

/// `[-]digits[.digits]`, at most 28 digits: the only shape parsed here.
pub(crate) fn plain_number(raw: &[u8]) -> Option<Decimal> {
    if let Some((m, scale)) = plain_parts(raw) {
        return Some(Decimal::new(m, scale)); // no 128-bit arithmetic
    }
    let (neg, digits) = sign_and_digits(raw, 28)?;
    let (m, scale) = mantissa::<i128>(digits)?;
    Decimal::try_from_i128_with_scale(if neg { -m } else { m }, scale).ok()
}

/// The sign and the digits (with at most one inner `.`) of a plain number.
fn sign_and_digits(raw: &[u8], max: usize) -> Option<(bool, &[u8])> {
    let (neg, digits) = match raw.first() {
        Some(b'-') => (true, &raw[1..]),
        _ => (false, raw),
    };
    let ok = !digits.is_empty() && digits.len() <= max && digits[0] != b'.' && digits[digits.len() - 1] != b'.';
    ok.then_some((neg, digits))
}

/// The digits as an integer mantissa and the number of decimals.
fn mantissa<T>(digits: &[u8]) -> Option<(T, u32)>
where
    T: Copy + From<u8> + std::ops::Mul<Output = T> + std::ops::Add<Output = T>,
{
    // The dot's place is noted rather than a scale counted: one test a digit.
    let (mut m, mut dot) = (T::from(0), None);
    for (i, &b) in digits.iter().enumerate() {
        let d = b.wrapping_sub(b'0');
        if d < 10 {
            m = m * T::from(10) + T::from(d);
        } else if b == b'.' && dot.is_none() {
            dot = Some(i);
        } else {
            return None;
        }
    }
    Some((m, dot.map_or(0, |p| (digits.len() - 1 - p) as u32)))
}

/// A rate period. Rates are compared after conversion to a per-year value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl Period {
    pub const ALL: [Period; 6] =
        [Period::Day, Period::Week, Period::Month, Period::Quarter, Period::HalfYear, Period::Year];

    /// Parses `quarter`, `quarters`, `half_year`, ...
    pub fn parse(word: &str) -> Option<Period> {
        let singular = word.strip_suffix('s').unwrap_or(word);
        Period::ALL.into_iter().find(|p| p.name() == singular)
    }

    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::HalfYear => "half_year",
            Period::Year => "year",
        }
    }

    /// `months`, `half_years`.
    pub fn plural(self) -> String {
        format!("{}s", self.name())
    }

    /// How many of this period make a year: the factor that normalises a rate.
    /// A year is 52 weeks and 365 days by definition here (documented in the README).
    pub fn per_year(self) -> Decimal {
        Decimal::from(match self {
            Period::Day => 365,
            Period::Week => 52,
            Period::Month => 12,
            Period::Quarter => 4,
            Period::HalfYear => 2,
            Period::Year => 1,
        })
    }
}

/// A calendar date as days since 1970-01-01 (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

impl Date {
    /// Parses ISO 8601 `YYYY-MM-DD`, also with a time part (`T10:00:00`, ` 10:00`)
    /// which is ignored: tiers work on calendar days.
    pub fn parse(text: &str) -> Option<Date> {
        let text = text.trim();
        let date = text.get(..10)?;
        let rest = text.get(10..)?;
        if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
            return None;
        }
        Date::parse_iso(date.as_bytes())
    }

    /// Whether `b` is exactly `YYYY-MM-DD` and a day of the calendar: what
    /// [`Date::parse_iso`] accepts, without computing the day number.
    /// The parallel reader checks the dates no rule reads with it.
    pub fn is_iso(b: &[u8]) -> bool {
        let Some((y, m, d)) = iso_parts(b) else { return false };
        let leap = YEARS.get(y as usize).map_or(0, |year| (year & 1) as u32);
        in_month(m, d, leap)
    }

    /// Exactly `YYYY-MM-DD` (the common case, parsed without allocation or
    /// `str::parse`: the parallel reader calls it for every date cell).
    pub fn parse_iso(b: &[u8]) -> Option<Date> {
        let (y, m, d) = iso_parts(b)?;
        // A year's first day and whether it is a leap year, from a table (no
        // divisions): bit 0 is the leap flag, the rest the day number.
        let year = *YEARS.get(y as usize)?;
        let leap = (year & 1) as u32;
        if !in_month(m, d, leap) {
            return None;
        }
        let month = CUMULATIVE_DAYS[m as usize] + u32::from(m > 2) * leap;
        Some(Date((year >> 1) + (month + d - 1) as i32))
    }

    /// The first and last dates `tier` works with: 0000-01-01 and 9999-12-31, the
    /// dates `YYYY-MM-DD` can write. Arithmetic that leaves them gives `None`
    /// (a missing value), never a wrapped-around day number.
    pub const MIN: Date = Date(-719_528);
    pub const MAX: Date = Date(2_932_896);

    /// The date `days` days later (earlier when negative), if within [`Date::MIN`]..=[`Date::MAX`].
    pub fn add_days(self, days: i64) -> Option<Date> {
        let day = i32::try_from(i64::from(self.0).checked_add(days)?).ok()?;
        (Date::MIN.0..=Date::MAX.0).contains(&day).then_some(Date(day))
    }

    /// Days from `earlier` to `self` (negative when `earlier` is later).
    pub fn days_since(self, earlier: Date) -> i64 {
        i64::from(self.0) - i64::from(earlier.0)
    }

    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(0..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = (m as i32 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    /// Year, month and day (computed in 64 bits: no day number overflows it).
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = i64::from(self.0) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (i32::try_from(y).unwrap_or(if y < 0 { i32::MIN } else { i32::MAX }), m, d)
    }
}

impl Date {
    /// Whether this is the last day of its month (month-end rules of ages).
    pub fn is_month_end(self) -> bool {
        let (y, m, d) = self.ymd();
        d == days_in_month(y, m)
    }

    /// `n` periods later (earlier when negative): days and weeks count days;
    /// months, quarters, half years and years count calendar months, a
    /// month-end staying a month-end (as `months_before`).
    pub fn shift(self, n: i64, period: Period) -> Option<Date> {
        let months = match period {
            Period::Day => return self.add_days(n),
            Period::Week => return self.add_days(n.checked_mul(7)?),
            Period::Month => n,
            Period::Quarter => n.checked_mul(3)?,
            Period::HalfYear => n.checked_mul(6)?,
            Period::Year => n.checked_mul(12)?,
        };
        self.months_before(months.checked_neg()?)
    }

    /// The latest date from which `n` whole months have passed by `self`, as
    /// `months_since` counts them (a month-end `self` reaches back to month-ends).
    pub fn months_before(self, n: i64) -> Option<Date> {
        let (y, m, d) = self.ymd();
        let total = (i64::from(y) * 12 + i64::from(m) - 1).checked_sub(n)?;
        let ty = i32::try_from(total.div_euclid(12)).ok()?;
        let tm = u32::try_from(total.rem_euclid(12)).ok()? + 1;
        let last = days_in_month(ty, tm);
        let day = if d == days_in_month(y, m) { last } else { d.min(last) };
        Date::from_ymd(ty, tm, day)
    }
}

/// Parses `YYYY-MM-DD` with an optional time of day (`T` or a space, then
/// `HH:MM`, `:SS` and a fraction of a second, which is dropped) into seconds
/// since 1970-01-01 00:00. No time zone: event logs are read in local time.
pub fn parse_datetime(text: &str) -> Option<i64> {
    // Nothing to trim where the ends are visible ASCII (the event logs' case).
    let b = text.as_bytes();
    let bare = b.first().is_some_and(u8::is_ascii_graphic) && b.last().is_some_and(u8::is_ascii_graphic);
    let text = if bare { text } else { text.trim() };
    // Exactly the ten bytes of the day: what `Date::parse` of them accepts.
    let date = Date::parse_iso(text.as_bytes().get(..10)?)?;
    let mut secs = i64::from(date.0) * 86_400;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(secs);
    }
    if !(rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    let time = rest.get(1..)?;
    let b = time.as_bytes();
    let two = |i: usize| -> Option<i64> {
        let (h, l) = (*b.get(i)?, *b.get(i + 1)?);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| i64::from(h - b'0') * 10 + i64::from(l - b'0'))
    };
    let (h, m) = (two(0)?, two(3)?);
    if b.get(2) != Some(&b':') || h > 23 || m > 59 {
        return None;
    }
    secs += h * 3600 + m * 60;
    match b.get(5) {
        None => Some(secs),
        Some(b':') => {
            let s = two(6)?;
            let frac = time.get(8..)?;
            let frac_ok = frac.is_empty() || (frac.starts_with('.') && frac[1..].bytes().all(|c| c.is_ascii_digit()));
            (s <= 59 && frac_ok).then_some(secs + s)
        }
        _ => None,
    }
}

/// A number written whole (`5`, not `5.0` or `5.5`) that fits a `u32`.
pub fn whole_u32(d: Decimal) -> Option<u32> {
    use rust_decimal::prelude::ToPrimitive;
    (d.scale() == 0).then(|| d.to_u32()).flatten()
}

/// `YYYY-MM-DD HH:MM:SS` for seconds since 1970-01-01 00:00.
pub fn format_datetime(secs: i64) -> String {
    // Beyond i32 days: a year no date field reads, never a wrapped-around day.
    let day = Date(i32::try_from(secs.div_euclid(86_400)).unwrap_or(if secs < 0 { i32::MIN } else { i32::MAX }));
    let s = secs.rem_euclid(86_400);
    format!("{day} {:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Days before the first of each month (1-based) in a common year.
const CUMULATIVE_DAYS: [u32; 13] = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/// Per year 0..=9999: its first day's number times two, plus one in a leap
/// year (what [`Date::parse_iso`] looks up instead of dividing).
static YEARS: [i32; 10_000] = {
    let mut years = [0i32; 10_000];
    let mut y = 0;
    let mut start = Date::MIN.0;
    while y < 10_000 {
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        years[y] = start * 2 + leap as i32;
        start += if leap { 366 } else { 365 };
        y += 1;
    }
    years
};

/// Whether day `d` is in month `m` (`leap`: 1 in a leap year), without a
/// branch on the month: the months of export dates are random, and a
/// mispredicted `match` on them cost more than the check of the digits.
fn in_month(m: u32, d: u32, leap: u32) -> bool {
    const LAST: [u8; 16] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0, 0, 0];
    let last = u32::from(LAST[(m & 15) as usize]) + (leap & u32::from(m == 2));
    (m <= 12) & (d >= 1) & (d <= last)
}

/// The year, month and day of exactly `YYYY-MM-DD`, not checked against the
/// calendar. Read as one 64-bit word (`YYYY-MM-`) and two bytes: a byte is a
/// digit when its high nibble is 3 and adding 6 does not carry out of the low
/// nibble, so the eight digits are checked at once.
fn iso_parts(b: &[u8]) -> Option<(u32, u32, u32)> {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    // Bytes 4 and 7 of the word: the dashes.
    const DASH_BYTES: u64 = 0xFF00_00FF_0000_0000;
    const DASHES: u64 = 0x2D00_002D_0000_0000;
    let (head, day) = match b {
        [head @ .., d0, d1] if head.len() == 8 => (head, [*d0, *d1]),
        _ => return None,
    };
    let w = u64::from_le_bytes(head.try_into().ok()?);
    let digits = w & !DASH_BYTES | THREES & DASH_BYTES;
    let day = u16::from_le_bytes(day);
    if w & DASH_BYTES != DASHES
        || digits & HIGH != THREES
        || digits.wrapping_add(0x0606_0606_0606_0606) & HIGH != THREES
        || day & 0xF0F0 != 0x3030
        || day.wrapping_add(0x0606) & 0xF0F0 != 0x3030
    {
        return None;
    }
    let v = digits - THREES;
    // Byte `i` becomes `10 * digit i + digit i+1` (at most 99: no carries).
    let pairs = v * 10 + (v >> 8);
    let y = (pairs & 0xFF) * 100 + ((pairs >> 16) & 0xFF);
    let m = (pairs >> 40) & 0xFF;
    let d = u32::from(day - 0x3030);
    Some((y as u32, m as u32, (d & 0xFF) * 10 + (d >> 8)))
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_amounts_read_as_the_general_path_reads_them() {
        // A leading space sends a cell down the general path: both must give
        // the same decimal, scale included (sums print with it).
        let mut cells: Vec<String> = ["0", "00", "007", "1.50", "0.000", "1.", ".5", "1..2", "12a", "1e3", "1,000"]
            .into_iter()
            .map(String::from)
            .collect();
        for digits in 1..=30 {
            let n = "9".repeat(digits);
            for dot in [0, 1, digits / 2, digits] {
                let (a, b) = n.split_at(dot.min(digits));
                cells.push(if b.is_empty() { a.to_string() } else { format!("{a}.{b}") });
            }
        }
        for cell in cells {
            let fast = parse_data_amount(&cell).map(|(d, s)| (d.to_string(), d.scale(), s));
            let general = parse_data_amount(&format!(" {cell}")).map(|(d, s)| (d.to_string(), d.scale(), s));
            assert_eq!(fast, general, "{cell}");
        }
    }

    #[test]
    fn iso_dates_parse_to_the_day_number_of_every_day_and_nothing_else() {
        // Every day tier can write reads back as itself.
        for day in Date::MIN.0..=Date::MAX.0 {
            let text = Date(day).to_string();
            assert_eq!(Date::parse_iso(text.as_bytes()), Some(Date(day)), "{text}");
            assert!(Date::is_iso(text.as_bytes()), "{text}");
        }
        // Every month and day number in leap and common years, centuries too:
        // accepted exactly when the calendar has the day.
        for y in [0, 1, 4, 100, 400, 1900, 2000, 2023, 2024, 9999] {
            for m in 0..100 {
                for d in 0..100 {
                    let text = format!("{y:04}-{m:02}-{d:02}");
                    let want = Date::from_ymd(y, m, d);
                    assert_eq!(Date::parse_iso(text.as_bytes()), want, "{text}");
                    assert_eq!(Date::is_iso(text.as_bytes()), want.is_some(), "{text}");
                }
            }
        }
        // A byte just outside the digits, in every position.
        for at in [0, 1, 2, 3, 5, 6, 8, 9] {
            for bad in [b'/', b':', b' ', 0xB0, 0x3A, 0x2F, b'a'] {
                let mut text = *b"2024-06-15";
                text[at] = bad;
                assert_eq!(Date::parse_iso(&text), None, "{text:?}");
                assert!(!Date::is_iso(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn date_times_read_with_or_without_seconds_and_print_back() {
        let t = parse_datetime("2011-12-09 12:50:00").unwrap();
        assert_eq!(format_datetime(t), "2011-12-09 12:50:00");
        assert_eq!(parse_datetime("2011-12-09T12:50"), Some(t));
        assert_eq!(parse_datetime("2011-12-09 12:50:00.250"), Some(t));
        // Blanks around it are trimmed, ASCII or not; none inside the day.
        for padded in [" 2011-12-09 12:50 ", "\t2011-12-09T12:50:00\u{3000}", "\u{a0}2011-12-09 12:50"] {
            assert_eq!(parse_datetime(padded), Some(t), "{padded:?}");
        }
        assert_eq!(parse_datetime("2011-12-0 9 12:50"), None);
        let midnight = parse_datetime("2011-12-09").unwrap();
        assert_eq!((t - midnight, midnight % 86_400), (12 * 3600 + 50 * 60, 0));
        for bad in ["2011-12-09 24:00", "2011-12-09 12:60", "2011-12-09 12:5", "2011-12-09x12:50", "2011-13-01"] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
        assert_eq!(format_datetime(-1), "1969-12-31 23:59:59");
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn literals_with_suffixes_are_exact() {
        assert_eq!(parse_literal("1.2M"), Some(d("1200000")));
        assert_eq!(parse_literal("1_200_000"), parse_literal("1.2M"));
        assert_eq!(parse_literal("100万"), parse_literal("1M"));
        assert_eq!(parse_literal("2亿"), Some(d("200000000")));
        assert_eq!(parse_literal("300k"), Some(d("300000")));
        assert_eq!(parse_literal("20%"), Some(d("0.2")));
        assert_eq!(parse_literal("1.5B"), Some(d("1500000000")));
        assert_eq!(parse_literal("1x"), None);
    }

    #[test]
    fn decimal_arithmetic_has_no_float_surprises() {
        assert_eq!(d("0.1") + d("0.2"), d("0.3"));
        assert!(d("999999.99") < parse_literal("100万").unwrap());
        assert_eq!(d("999999.99") + d("0.01"), d("1000000"));
    }

    #[test]
    fn spreadsheet_numbers() {
        assert_eq!(parse_data_number("1,234,567.89"), Some(d("1234567.89")));
        assert_eq!(parse_data_number("¥1,200"), Some(d("1200")));
        assert_eq!(parse_data_number("$5k"), Some(d("5000")));
        assert_eq!(parse_data_number("£ 2.55"), Some(d("2.55")));
        assert_eq!(parse_data_number("120万"), Some(d("1200000")));
        assert_eq!(parse_data_number("-3.5"), Some(d("-3.5")));
        assert_eq!(parse_data_number("1e3"), Some(d("1000")));
        assert_eq!(parse_data_number("12%"), Some(d("0.12")));
        assert_eq!(parse_data_number("abc"), None);
        assert_eq!(parse_data_number(""), None);
        assert_eq!(parse_data_number("1_000"), None);
    }

    #[test]
    fn periods_normalise_to_a_year() {
        assert_eq!(Period::parse("quarters"), Some(Period::Quarter));
        assert_eq!(Period::parse("half_year"), Some(Period::HalfYear));
        assert_eq!(Period::parse("fortnight"), None);
        assert_eq!(Decimal::from(3) * Period::Quarter.per_year(), Decimal::from(12));
    }

    #[test]
    fn date_arithmetic_out_of_range_is_none_never_a_wrapped_day() {
        assert_eq!(Date::from_ymd(0, 1, 1), Some(Date::MIN));
        assert_eq!(Date::from_ymd(9999, 12, 31), Some(Date::MAX));
        let d = Date::parse("2024-01-01").unwrap();
        for days in [i64::from(i32::MIN), i64::from(i32::MAX), i64::MIN, i64::MAX, 3_000_000, -3_000_000] {
            assert_eq!(d.add_days(days), None, "{days}");
        }
        assert_eq!(Date::MAX.add_days(1), None);
        assert_eq!(Date::MIN.add_days(-1), None);
        assert_eq!(Date::MAX.days_since(Date(i32::MIN)), i64::from(Date::MAX.0) - i64::from(i32::MIN));
        for (n, p) in
            [(i64::MAX, Period::Year), (i64::MIN, Period::Month), (i64::MAX / 2, Period::Week), (20_000, Period::Year)]
        {
            assert_eq!(d.shift(n, p), None, "{n} {p:?}");
            assert_eq!(d.shift(-n.saturating_abs(), p), None, "-{n} {p:?}");
        }
        assert_eq!(d.months_before(i64::MIN), None);
        assert_eq!(d.months_before(i64::MAX), None);
        assert_eq!(Date::from_ymd(i32::MAX, 1, 1), None);
        // Day numbers outside the range still give a calendar reading, not a panic.
        let _ = Date(i32::MIN).ymd();
        let _ = Date(i32::MAX).ymd();
    }

    #[test]
    fn dates_round_trip() {
        for s in ["1970-01-01", "2000-02-29", "2024-12-31", "1899-03-01"] {
            assert_eq!(Date::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Date::parse("1970-01-02"), Some(Date(1)));
        assert_eq!(Date::parse("2011-12-09 12:50:00").unwrap().to_string(), "2011-12-09");
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2023-13-01"), None);
        assert_eq!(Date::parse("20230101"), None);
    }
}
