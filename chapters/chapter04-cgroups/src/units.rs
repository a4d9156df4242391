//! Sizes as docker reads them: `200M`, `30MB`, `1.5g`, `512k`, `4096`.
//!
//! Docker's rule (go-units `RAMInBytes`): a number, optionally with a fraction, then an
//! optional unit letter `b k m g t p` in either case, optionally followed by `i` and/or `b`.
//! Units are binary: `1k` = 1024 bytes, `1m` = 1024 × 1024. So `30MB` and `30m` and `30MiB`
//! are all 31 457 280 bytes.

/// Parses a size in bytes; the error names the value and the expected form.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let invalid = || {
        format!("invalid size {text:?}: expected a number with an optional unit b, k, m, g, t or p (like 200m or 1.5g)")
    };
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let unit = unit.trim_start().to_ascii_lowercase();
    let multiplier = unit_multiplier(&unit).ok_or_else(invalid)?;
    let bytes = number * multiplier as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(invalid());
    }
    Ok(bytes as u64)
}

/// `""` or `b` for bytes; else a letter of `kmgtp`, then nothing, `b`, `i` or `ib`.
fn unit_multiplier(unit: &str) -> Option<u64> {
    if matches!(unit, "" | "b") {
        return Some(1);
    }
    let mut chars = unit.chars();
    let power = match chars.next()? {
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        'p' => 5,
        _ => return None,
    };
    matches!(chars.as_str(), "" | "b" | "i" | "ib").then(|| 1u64 << (10 * power))
}

/// `-1` means "no limit" where docker allows it (`--memory-swap -1`); otherwise a size.
pub fn parse_size_or_unlimited(text: &str) -> Result<Option<u64>, String> {
    if text.trim() == "-1" {
        Ok(None)
    } else {
        parse_size(text).map(Some)
    }
}

/// A byte count for people: `200MiB`, `1.5GiB`, `512B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value}{}", UNITS[unit])
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_sizes() {
        let table = [
            ("4096", 4096),
            ("512k", 512 << 10),
            ("200M", 200 << 20),
            ("200m", 200 << 20),
            ("30MB", 30 << 20),
            ("30mb", 30 << 20),
            ("10MiB", 10 << 20),
            ("1g", 1 << 30),
            ("1.5g", 3 << 29),
            ("2 GB", 2 << 30),
            ("100b", 100),
        ];
        for (text, bytes) in table {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn bad_sizes_are_named() {
        for text in ["", "m", "-5m", "12x", "1..2m", "10mm", "5bi"] {
            let error = parse_size(text).unwrap_err();
            assert!(error.contains(&format!("{text:?}")), "{error}");
        }
        assert_eq!(parse_size_or_unlimited("-1"), Ok(None));
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_size(200 << 20), "200MiB");
        assert_eq!(human_size(3 << 29), "1.5GiB");
        assert_eq!(human_size(100), "100B");
    }
}
