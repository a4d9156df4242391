//! How docker prints images: sizes in decimal units, ages in words, and the `images` and
//! `history` tables. Pure functions of data and "now", so the tables are snapshot-tested.

use std::time::{Duration, SystemTime};

// ANCHOR: human_size
/// Docker's image sizes: powers of 1000, three significant digits, `kB` with a small k
/// (`4.26MB`, `998kB`, `12B`).
pub fn decimal_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{}{}", three_significant(value), UNITS[unit])
}
// ANCHOR_END: human_size

/// Like C's `%.3g` for 0 <= value < 1000: three significant digits, no trailing zeros.
fn three_significant(value: f64) -> String {
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

// ANCHOR: human_duration
/// Docker's durations in words (`docker ps`, `docker images`): "Less than a second",
/// "1 second", "N seconds", "About a minute", "N minutes", "About an hour", "N hours" (under
/// 48), then days, weeks, months, years.
pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    let minutes = seconds / 60;
    let hours = (seconds + 1800) / 3600; // rounded to the nearest hour
    if seconds < 1 {
        "Less than a second".to_owned()
    } else if seconds < 60 {
        plural(seconds, "second")
    } else if minutes == 1 {
        "About a minute".to_owned()
    } else if minutes < 60 {
        plural(minutes, "minute")
    } else if hours == 1 {
        "About an hour".to_owned()
    } else if hours < 48 {
        plural(hours, "hour")
    } else if hours < 24 * 7 * 2 {
        plural(hours / 24, "day")
    } else if hours < 24 * 30 * 2 {
        plural(hours / 24 / 7, "week")
    } else if hours < 24 * 365 * 2 {
        plural(hours / 24 / 30, "month")
    } else {
        plural(seconds / 3600 / 24 / 365, "year")
    }
}
// ANCHOR_END: human_duration

/// "2 hours ago" for an RFC 3339 time; "N/A" when there is none (docker's word).
pub fn ago(created: Option<&str>, now: SystemTime) -> String {
    let Some(time) = created.and_then(|t| humantime::parse_rfc3339_weak(t).ok()) else {
        return "N/A".to_owned();
    };
    let elapsed = now.duration_since(time).unwrap_or_default();
    format!("{} ago", human_duration(elapsed))
}

/// A table whose columns are as wide as their widest cell, three spaces apart, like
/// docker's (Go's tabwriter).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}   ", width = widths[i]));
            }
        }
        text.trim_end().to_owned()
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_docker() {
        let table = [
            (0, "0B"),
            (999, "999B"),
            (1000, "1kB"),
            (4_261_412, "4.26MB"),
            (4_200_000, "4.2MB"),
            (77_800_000, "77.8MB"),
            (1_230_000_000, "1.23GB"),
        ];
        for (bytes, shown) in table {
            assert_eq!(decimal_size(bytes), shown, "{bytes}");
        }
    }

    #[test]
    fn durations_like_docker() {
        let table = [
            (Duration::from_millis(300), "Less than a second"),
            (Duration::from_secs(1), "1 second"),
            (Duration::from_secs(59), "59 seconds"),
            (Duration::from_secs(90), "About a minute"),
            (Duration::from_secs(59 * 60), "59 minutes"),
            (Duration::from_secs(89 * 60), "About an hour"),
            (Duration::from_secs(90 * 60), "2 hours"),
            (Duration::from_secs(60 * 60), "About an hour"),
            (Duration::from_secs(2 * 3600), "2 hours"),
            (Duration::from_secs(47 * 3600), "47 hours"),
            (Duration::from_secs(3 * 86400), "3 days"),
            (Duration::from_secs(20 * 86400), "2 weeks"),
            (Duration::from_secs(90 * 86400), "3 months"),
            (Duration::from_secs(800 * 86400), "2 years"),
        ];
        for (duration, shown) in table {
            assert_eq!(human_duration(duration), shown, "{duration:?}");
        }
    }
}
