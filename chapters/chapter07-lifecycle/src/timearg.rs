//! The time arguments of `logs --since/--until` and `events --since/--until`, read like docker.
//!
//! Docker accepts three kinds of value, tried in this order:
//!
//! 1. a Go duration, meaning "that long before now": `10m`, `1h30m`, `1.5s`, `300ms`;
//! 2. an RFC 3339 timestamp, with or without fraction and zone: `2026-11-22T06:04:05Z`,
//!    `2026-11-22T06:04:05.123456789+01:00`, and the shorter forms `2026-11-22T06:04:05`,
//!    `2026-11-22T06:04`, `2026-11-22T06` and `2026-11-22`;
//! 3. Unix seconds with an optional fraction: `1732255445`, `1732255445.5`.
//!
//! Durations come first, so `0` means *now*, as in docker. Later chapters read
//! `--health-interval` with [`parse_go_duration`].
//!
//! ## Left out on purpose
//! A timestamp without a zone is taken as UTC (docker uses the daemon's zone: reading the zone
//! database is a chapter of its own). Negative durations ("in the future") are refused.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Reads the value of a time flag; `flag` (like `--since`) only names it in the error.
pub fn parse_time_arg(flag: &str, value: &str, now: SystemTime) -> Result<SystemTime, String> {
    if let Ok(ago) = parse_go_duration(value) {
        let too_early = || format!("invalid value for {flag}: {value:?} reaches too far back");
        return now.checked_sub(ago).ok_or_else(too_early);
    }
    let bytes = value.as_bytes();
    if bytes.len() > 4 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-' {
        // `YYYY-` is clearly meant as a date: say exactly what is wrong with it.
        return parse_rfc3339(value).map_err(|why| format!("invalid value for {flag}: {why}"));
    }
    parse_unix_seconds(value).ok_or_else(|| {
        format!(
            "invalid value for {flag}: {value:?} is not a timestamp (RFC 3339 or Unix seconds) \
             or a duration (like 10m)"
        )
    })
}

/// Reads a Go duration (`time.ParseDuration`): decimal numbers, each with an optional fraction
/// and a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), like `2h45m10.5s`.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let invalid = |why: &str| format!("invalid duration {text:?}: {why}");
    let body = text.strip_prefix('+').unwrap_or(text);
    if body == "0" {
        return Ok(Duration::ZERO); // the one number Go accepts without a unit
    }
    if body.starts_with('-') {
        return Err(invalid("negative durations are not allowed"));
    }
    if body.is_empty() {
        return Err(invalid("expected a number and a unit, like 10m"));
    }
    let (mut total_nanos, mut rest) = (0u128, body);
    while !rest.is_empty() {
        let (number, after) = split_while(rest, |c| c.is_ascii_digit() || c == '.');
        let (unit, next) = split_while(after, |c| !c.is_ascii_digit() && c != '.');
        let unit_nanos = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(invalid("missing unit (ns, us, ms, s, m or h)")),
            other => return Err(invalid(&format!("unknown unit {other:?}"))),
        };
        let nanos = component_nanos(number, unit_nanos)
            .ok_or_else(|| invalid(&format!("{number:?} is not a number")))?;
        total_nanos = total_nanos.saturating_add(nanos);
        rest = next;
    }
    // Go keeps a duration in an i64 of nanoseconds (about 292 years); we keep its limit.
    match u64::try_from(total_nanos) {
        Ok(nanos) if total_nanos <= i64::MAX as u128 => Ok(Duration::from_nanos(nanos)),
        _ => Err(invalid("too large")),
    }
}

fn split_while(text: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    text.split_at(text.find(|c| !keep(c)).unwrap_or(text.len()))
}

/// `number` (like `1.5`) times the unit, in nanoseconds; `None` if it is not a number.
fn component_nanos(number: &str, unit_nanos: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    // Fraction digits past the 18th are finer than a nanosecond even for hours: drop them.
    let fraction = &fraction[..fraction.len().min(18)];
    let scale = 10u128.pow(fraction.len() as u32);
    let fraction_nanos = decimal(fraction)? * unit_nanos / scale;
    decimal(whole)?
        .checked_mul(unit_nanos)?
        .checked_add(fraction_nanos)
}

/// Digits as a number, where no digits at all (as in `.5`) are zero.
fn decimal(digits: &str) -> Option<u128> {
    match digits {
        "" => Some(0),
        _ => digits.parse().ok(),
    }
}

/// Reads `YYYY-MM-DD[THH[:MM[:SS[.fraction]]]][Z|±HH:MM]`; no zone means UTC.
pub fn parse_rfc3339(text: &str) -> Result<SystemTime, String> {
    let (seconds, nanos) = rfc3339_seconds(text).map_err(|why| format!("{text:?}: {why}"))?;
    // Years 0000-9999 stay far inside SystemTime's range (an i64 of seconds on Linux), so these
    // additions cannot overflow.
    let whole = match u64::try_from(seconds) {
        Ok(after) => UNIX_EPOCH + Duration::from_secs(after),
        Err(_) => UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs()),
    };
    Ok(whole + Duration::from_nanos(u64::from(nanos)))
}

/// Seconds since 1970 (negative before) and nanoseconds of an RFC 3339 timestamp.
fn rfc3339_seconds(text: &str) -> Result<(i64, u32), String> {
    let mut cursor = Cursor(text.as_bytes());
    let year = cursor.number(4, "year")?;
    cursor.expect(b'-')?;
    let month = cursor.number(2, "month")?;
    cursor.expect(b'-')?;
    let day = cursor.number(2, "day")?;
    let (mut clock, mut parts, mut nanos) = ([0u32; 3], 0, 0);
    if cursor.eat(b'T') {
        // Docker accepts the clock cut after the hour or after the minute.
        while parts < 3 && (parts == 0 || cursor.eat(b':')) {
            clock[parts] = cursor.number(2, ["hour", "minute", "second"][parts])?;
            parts += 1;
        }
        if parts == 3 && cursor.eat(b'.') {
            nanos = cursor.fraction()?;
        }
    }
    let zone_offset = cursor.zone_offset_seconds()?;
    if !cursor.0.is_empty() {
        return Err("unexpected text after the time".to_string());
    }
    let [hour, minute, second] = clock;
    let limits = [
        ("month", month, 1, 12),
        ("day", day, 1, days_in_month(year, month)),
        ("hour", hour, 0, 23),
        ("minute", minute, 0, 59),
        ("second", second, 0, 59),
    ];
    for (what, value, lowest, highest) in limits {
        if !(lowest..=highest).contains(&value) {
            return Err(format!("{what} {value} out of range"));
        }
    }
    let seconds_of_day = i64::from(hour * 3_600 + minute * 60 + second);
    let days = days_since_epoch(year, month, day);
    Ok((days * 86_400 + seconds_of_day - zone_offset, nanos))
}

/// Reads `1732255445` or `1732255445.5` (seconds since 1970-01-01 UTC).
fn parse_unix_seconds(value: &str) -> Option<SystemTime> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let nanos = fraction_nanos(fraction.as_bytes());
    UNIX_EPOCH.checked_add(Duration::new(whole.parse().ok()?, nanos))
}

/// Digits after a decimal point as nanoseconds: `5` is 500000000; past the ninth are dropped.
fn fraction_nanos(digits: &[u8]) -> u32 {
    let nine = digits.iter().chain(&[b'0'; 9]).take(9);
    nine.fold(0, |n, digit| n * 10 + u32::from(digit - b'0'))
}

/// The bytes of a timestamp not read yet.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.0.first() == Some(&byte);
        if found {
            self.0 = &self.0[1..];
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        match self.eat(byte) {
            true => Ok(()),
            false => Err(format!("expected '{}'", byte as char)),
        }
    }

    fn number(&mut self, digits: usize, what: &str) -> Result<u32, String> {
        match self.0.get(..digits) {
            Some(field) if field.iter().all(u8::is_ascii_digit) => {
                self.0 = &self.0[digits..];
                Ok(field.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
            }
            _ => Err(format!("expected {digits} digits for the {what}")),
        }
    }

    fn fraction(&mut self) -> Result<u32, String> {
        let len = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 {
            return Err("expected digits after '.'".to_string());
        }
        let nanos = fraction_nanos(&self.0[..len]);
        self.0 = &self.0[len..];
        Ok(nanos)
    }

    /// `Z` is UTC, `+01:00` is one hour ahead of it; no zone at all is taken as UTC.
    fn zone_offset_seconds(&mut self) -> Result<i64, String> {
        if self.eat(b'Z') || self.eat(b'z') || self.0.is_empty() {
            return Ok(0);
        }
        let sign = match self.0.first() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err("expected a zone like Z or +01:00".to_string()),
        };
        self.0 = &self.0[1..];
        let hours = self.number(2, "zone hours")?;
        self.expect(b':')?;
        let minutes = self.number(2, "zone minutes")?;
        if hours > 23 || minutes > 59 {
            return Err("zone offset out of range".to_string());
        }
        Ok(sign * i64::from(hours * 3_600 + minutes * 60))
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_since_epoch(year: u32, month: u32, day: u32) -> i64 {
    // Count years from March, so that February (and its leap day) ends the year: the months
    // before a date then have the same length in every year. 400 Gregorian years are exactly
    // 146097 days, so whole 400-year eras are counted by multiplication.
    let year = i64::from(year) - i64::from(month <= 2);
    let (era, year_of_era) = (year.div_euclid(400), year.rem_euclid(400));
    let month_from_march = (i64::from(month) + 9) % 12;
    // Months from March run 31,30,31,30,31 and repeat: (153 * m + 2) / 5 sums the first m.
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468 // 719468 days from 0000-03-01 to 1970-01-01
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn utc(text: &str) -> SystemTime {
        humantime::parse_rfc3339(text).unwrap()
    }

    fn since(value: &str) -> Result<SystemTime, String> {
        parse_time_arg("--since", value, utc("2026-11-22T06:04:05Z"))
    }

    #[test]
    fn accepted_values() {
        let now = "2026-11-22T06:04:05Z";
        for (value, expected) in [
            ("2026-11-22T06:04:05Z", now),
            ("2026-11-22T06:04:05", now),
            ("2026-11-22T07:04:05+01:00", now),
            ("2026-11-22T01:34:05-04:30", now),
            ("2026-11-22T06:04:05.123+01:00", "2026-11-22T05:04:05.123Z"),
            (
                "2026-11-22T06:04:05.123456789z",
                "2026-11-22T06:04:05.123456789Z",
            ),
            ("2026-11-22T06:04", "2026-11-22T06:04:00Z"),
            ("2026-11-22T06", "2026-11-22T06:00:00Z"),
            ("2026-11-22", "2026-11-22T00:00:00Z"),
            ("2026-11-22+02:00", "2026-11-21T22:00:00Z"),
            ("1732255445", "2024-11-22T06:04:05Z"),
            ("1732255445.5", "2024-11-22T06:04:05.5Z"),
            ("1732255445.000000001999", "2024-11-22T06:04:05.000000001Z"),
            ("10m", "2026-11-22T05:54:05Z"),
            ("300ms", "2026-11-22T06:04:04.7Z"),
            ("0", now),
        ] {
            assert_eq!(since(value), Ok(utc(expected)), "{value}");
        }
    }

    #[test]
    fn calendar_agrees_with_humantime() {
        let leap_days = ["2000-02-29", "2024-02-29", "2400-02-29"];
        let others = [
            "1970-01-01",
            "1999-12-31",
            "2000-03-01",
            "2100-03-01",
            "9999-12-31",
        ];
        for date in leap_days.into_iter().chain(others) {
            let expected = utc(&format!("{date}T23:59:59Z"));
            let parsed = parse_rfc3339(&format!("{date}T23:59:59"));
            assert_eq!(parsed, Ok(expected), "{date}");
        }
        let before_1970 = parse_rfc3339("1969-12-31T23:59:59.5Z");
        assert_eq!(before_1970, Ok(UNIX_EPOCH - Duration::from_millis(500)));
    }

    #[test]
    fn go_durations() {
        for (text, nanos) in [
            ("300ms", 300_000_000),
            ("1.5h", 5_400_000_000_000),
            (".5s", 500_000_000),
            ("+1m1s", 61_000_000_000),
            ("3us", 3_000),
            ("3µs", 3_000), // micro sign
            ("3μs", 3_000), // Greek mu
            ("1h1m1s1ms7ns", 3_661_001_000_007),
            ("0", 0),
            ("2562047h", 9_223_369_200_000_000_000), // just under Go's limit
        ] {
            assert_eq!(
                parse_go_duration(text),
                Ok(Duration::from_nanos(nanos)),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_durations() {
        for (text, why) in [
            ("10", "missing unit (ns, us, ms, s, m or h)"),
            ("5d", "unknown unit \"d\""),
            ("-5m", "negative durations are not allowed"),
            ("", "expected a number and a unit, like 10m"),
            ("1..5s", "\"1..5\" is not a number"),
            (".s", "\".\" is not a number"),
            ("3000000h", "too large"),
        ] {
            let expected = format!("invalid duration {text:?}: {why}");
            assert_eq!(parse_go_duration(text), Err(expected));
        }
    }

    #[test]
    fn errors_name_the_flag_and_the_value() {
        let error = parse_time_arg("--until", "yesterday", SystemTime::now());
        let expected = "invalid value for --until: \"yesterday\" is not a timestamp \
                        (RFC 3339 or Unix seconds) or a duration (like 10m)";
        assert_eq!(error, Err(expected.to_string()));
        for not_a_number in ["1732255445.", "1732255445.5.5", "+1732255445"] {
            let error = since(not_a_number).unwrap_err();
            assert!(error.contains("is not a timestamp"), "{error}");
        }
        for (value, why) in [
            ("2026-13-01", "month 13 out of range"),
            ("2026-02-29", "day 29 out of range"),
            ("2026-11-22T24:00", "hour 24 out of range"),
            ("2026-11-22 06:04", "expected a zone like Z or +01:00"),
            ("2026-11-22T06:04+0100", "expected ':'"),
            ("2026-11-22T06:04+24:00", "zone offset out of range"),
            ("2026-1-22", "expected 2 digits for the month"),
            ("2026-11-22T06:04:05.Z", "expected digits after '.'"),
            ("2026-11-22T06:04:05Z!", "unexpected text after the time"),
        ] {
            let expected = format!("invalid value for --since: {value:?}: {why}");
            assert_eq!(since(value), Err(expected));
        }
    }
}
