//! Timestamps: milliseconds since the Unix epoch, RFC 3339 UTC with milliseconds on the wire, and
//! the relative forms (`30d`, `12h`) that `from`/`to` and the query language accept.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};

/// A point in time with millisecond precision, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Millis(pub i64);

const MS_PER_SECOND: i64 = 1_000;

impl Millis {
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Self((now.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        Self((dt.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// `2026-11-21T10:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        if let Some(bytes) = self.rfc3339_bytes() {
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        let dt = self.to_datetime();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        )
    }

    /// The 24 ASCII bytes of [`Millis::to_rfc3339`] without allocating, for years 0 to 9999
    /// (`None` outside them). Hashing writes two timestamps per event, so this is on the hot path
    /// of `trail verify`.
    pub fn rfc3339_bytes(self) -> Option<[u8; 24]> {
        let dt = self.to_datetime();
        let year = u32::try_from(dt.year()).ok().filter(|y| *y <= 9999)?;
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, u32::from(u8::from(dt.month())));
        put(8, 2, u32::from(dt.day()));
        put(11, 2, u32::from(dt.hour()));
        put(14, 2, u32::from(dt.minute()));
        put(17, 2, u32::from(dt.second()));
        put(20, 3, u32::from(dt.millisecond()));
        Some(out)
    }

    /// Parses an RFC 3339 timestamp with any offset, truncating below milliseconds.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let dt = OffsetDateTime::parse(s, &Rfc3339)
            .ok()?
            .to_offset(UtcOffset::UTC);
        Some(Self::from_datetime(dt))
    }

    /// Parses `YYYY-MM-DD` as midnight UTC.
    pub fn parse_date(s: &str) -> Option<Self> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let date = Date::parse(s, fmt).ok()?;
        Some(Self::from_datetime(date.midnight().assume_utc()))
    }

    pub fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }
}

/// Parses a relative duration `30d`, `12h`, `15m`, `45s`, `2w` into milliseconds.
pub fn parse_duration_ms(s: &str) -> Option<i64> {
    // The unit is one ASCII letter; checking that first keeps `split_at` on a char boundary.
    if !s.as_bytes().last()?.is_ascii_alphabetic() {
        return None;
    }
    let (digits, unit) = s.split_at(s.len() - 1);
    let n: i64 = digits.parse().ok().filter(|n| *n >= 0)?;
    let unit_ms = match unit {
        "s" => MS_PER_SECOND,
        "m" => 60 * MS_PER_SECOND,
        "h" => 3_600 * MS_PER_SECOND,
        "d" => 86_400 * MS_PER_SECOND,
        "w" => 7 * 86_400 * MS_PER_SECOND,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

/// The forms [`parse_time_bound`] accepts, as every message about a time words them.
pub const TIME_BOUND_FORMS: &str = "an RFC 3339 time (2026-11-21T10:00:00Z), a date (2026-11-21), \
    `now`, or a time ago like 30d, 12h, 15m or 2w";

/// A time bound that [`time_bound`] could not read; its message is the one wording every route,
/// export and the CLI use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a time for `{field}`: use {TIME_BOUND_FORMS}.")]
pub struct TimeBoundError {
    /// The parameter or field (`from`, `to`, `--since`).
    pub field: String,
    pub value: String,
}

/// [`parse_time_bound`] of `value` (trimmed) for the parameter `field`, with the error every
/// caller reports.
pub fn time_bound(field: &str, value: &str, now: Millis) -> Result<Millis, TimeBoundError> {
    parse_time_bound(value.trim(), now).ok_or_else(|| TimeBoundError {
        field: field.to_owned(),
        value: value.to_owned(),
    })
}

/// A time bound as users write it: RFC 3339, a date (`2026-11-01`), `now`, or relative to now (`30d` = 30 days ago).
pub fn parse_time_bound(s: &str, now: Millis) -> Option<Millis> {
    if s == "now" {
        return Some(now);
    }
    if let Some(ms) = parse_duration_ms(s) {
        return Some(now.plus_ms(-ms));
    }
    Millis::parse_rfc3339(s).or_else(|| Millis::parse_date(s))
}

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Millis::parse_rfc3339(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{s}` is not an RFC 3339 timestamp like 2026-11-21T10:00:00Z"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("2026-11-21T10:00:00Z", "2026-11-21T10:00:00.000Z")]
    #[case("2026-11-21T10:00:00.123456Z", "2026-11-21T10:00:00.123Z")]
    #[case("2026-11-21T12:00:00+02:00", "2026-11-21T10:00:00.000Z")]
    fn rfc3339_round_trips_with_millis(#[case] input: &str, #[case] wire: &str) {
        assert_eq!(Millis::parse_rfc3339(input).unwrap().to_rfc3339(), wire);
    }

    #[test]
    fn fast_rfc3339_bytes_equal_the_formatted_text() {
        let formatted = |m: Millis| {
            let dt = m.to_datetime();
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                dt.year(),
                u8::from(dt.month()),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
                dt.millisecond()
            )
        };
        // From 0000-01-01T00:00:00.000Z past 9999-12-31T23:59:59.999Z, and the edges.
        let first = -62_167_219_200_000i64;
        let past_last = 253_402_300_800_000i64;
        let steps = (first..past_last).step_by(1_234_567_891_237);
        for m in steps.chain([first, first - 1, past_last - 1, past_last, 0, -1]) {
            let text = Millis(m).to_rfc3339();
            assert_eq!(text, formatted(Millis(m)), "{m}");
            if let Some(bytes) = Millis(m).rfc3339_bytes() {
                assert_eq!(std::str::from_utf8(&bytes).unwrap(), text, "{m}");
            }
        }
    }

    #[rstest]
    #[case("30d", Some(30 * 86_400_000))]
    #[case("12h", Some(12 * 3_600_000))]
    #[case("0s", Some(0))]
    #[case("d", None)]
    #[case("-3d", None)]
    #[case("3y", None)]
    // Regression: a multi-byte last character used to panic in `split_at`.
    #[case("30д", None)]
    #[case("д", None)]
    fn durations(#[case] input: &str, #[case] ms: Option<i64>) {
        assert_eq!(parse_duration_ms(input), ms);
    }

    #[test]
    fn bounds_accept_dates_relative_and_now() {
        let now = Millis::parse_rfc3339("2026-11-21T00:00:00Z").unwrap();
        assert_eq!(
            parse_time_bound("1d", now).unwrap().to_rfc3339(),
            "2026-11-20T00:00:00.000Z"
        );
        assert_eq!(
            parse_time_bound("2026-11-01", now).unwrap().to_rfc3339(),
            "2026-11-01T00:00:00.000Z"
        );
        assert_eq!(parse_time_bound("now", now), Some(now));
        assert_eq!(parse_time_bound("yesterday", now), None);
        assert_eq!(
            time_bound("from", " 15m ", now),
            Ok(now.plus_ms(-15 * 60_000))
        );
        let wrong = time_bound("to", "yesterday", now).unwrap_err();
        assert_eq!(
            wrong.to_string(),
            format!("`yesterday` is not a time for `to`: use {TIME_BOUND_FORMS}.")
        );
    }
}
