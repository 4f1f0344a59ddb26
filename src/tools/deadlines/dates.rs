//! Calendar arithmetic for deadlines, and "today" in UK time.
//!
//! The rules count calendar days and calendar months. Nothing here moves a
//! date off a weekend or bank holiday: we have not verified that the
//! tribunal's own rules do so, and the site always shows the strict date.

use time::{Date, Duration, Month};

/// `date` plus `days` calendar days; `None` only past the calendar's range.
pub fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(Duration::days(days))
}

/// `date` plus `months` calendar months by the corresponding-date rule: the
/// same day of the month, or that month's last day where there is none
/// (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: Date, months: u32) -> Option<Date> {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1;
    let target = index.checked_add(i64::from(months))?;
    let year = i32::try_from(target.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(target.rem_euclid(12) + 1).ok()?).ok()?;
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).ok()
}

/// A date as GOV.UK writes it, with the weekday: "Wednesday 2 December 2026".
pub fn long_date(date: Date) -> String {
    format!(
        "{} {} {} {}",
        date.weekday(),
        date.day(),
        date.month(),
        date.year()
    )
}

/// The calendar date in the UK (Europe/London, so BST in summer) at `at`.
pub fn uk_date(at: jiff::Timestamp) -> Date {
    // The tz database is compiled in (jiff's `tzdb-bundle-always`), so the
    // lookup cannot fail in practice; UTC is the same as GMT if it ever did.
    let zone = jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC);
    let local = at.to_zoned_datetime(zone).date();
    let month = Month::try_from(u8::try_from(local.month()).unwrap_or(1)).unwrap_or(Month::January);
    let day = u8::try_from(local.day()).unwrap_or(1);
    Date::from_calendar_date(i32::from(local.year()), month, day).unwrap_or(Date::MIN)
}

/// Today's date in the UK.
pub fn today_in_uk() -> Date {
    uk_date(jiff::Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn days_are_calendar_days_after_the_date() {
        assert_eq!(
            add_days(date!(2026 - 11 - 02), 30),
            Some(date!(2026 - 12 - 02))
        );
    }

    #[test]
    fn days_cross_the_end_of_the_year() {
        assert_eq!(
            add_days(date!(2026 - 12 - 15), 30),
            Some(date!(2027 - 01 - 14))
        );
    }

    #[test]
    fn days_cross_a_leap_day() {
        assert_eq!(
            add_days(date!(2028 - 02 - 01), 30),
            Some(date!(2028 - 03 - 02))
        );
        assert_eq!(
            add_days(date!(2027 - 02 - 01), 30),
            Some(date!(2027 - 03 - 03))
        );
    }

    #[test]
    fn month_keeps_the_corresponding_date() {
        assert_eq!(
            add_months(date!(2026 - 03 - 15), 1),
            Some(date!(2026 - 04 - 15))
        );
    }

    #[test]
    fn month_from_31_january_ends_on_the_last_day_of_february() {
        assert_eq!(
            add_months(date!(2027 - 01 - 31), 1),
            Some(date!(2027 - 02 - 28))
        );
        assert_eq!(
            add_months(date!(2028 - 01 - 31), 1),
            Some(date!(2028 - 02 - 29))
        );
    }

    #[test]
    fn month_from_31_august_ends_on_30_september() {
        assert_eq!(
            add_months(date!(2026 - 08 - 31), 1),
            Some(date!(2026 - 09 - 30))
        );
    }

    #[test]
    fn months_cross_the_end_of_the_year() {
        assert_eq!(
            add_months(date!(2026 - 12 - 31), 1),
            Some(date!(2027 - 01 - 31))
        );
        assert_eq!(
            add_months(date!(2026 - 11 - 30), 3),
            Some(date!(2027 - 02 - 28))
        );
        assert_eq!(
            add_months(date!(2026 - 08 - 29), 6),
            Some(date!(2027 - 02 - 28))
        );
        assert_eq!(
            add_months(date!(2027 - 08 - 31), 6),
            Some(date!(2028 - 02 - 29))
        );
    }

    #[test]
    fn twelve_months_from_a_leap_day_is_28_february() {
        assert_eq!(
            add_months(date!(2028 - 02 - 29), 12),
            Some(date!(2029 - 02 - 28))
        );
    }

    #[test]
    fn long_date_reads_like_govuk_with_the_weekday() {
        assert_eq!(
            long_date(date!(2026 - 12 - 02)),
            "Wednesday 2 December 2026"
        );
    }

    #[test]
    fn uk_date_uses_british_summer_time() {
        // 23:30 UTC on 30 June is 00:30 BST on 1 July.
        let at: jiff::Timestamp = "2026-06-30T23:30:00Z".parse().expect("valid timestamp");
        assert_eq!(uk_date(at), date!(2026 - 07 - 01));
        // In winter the UK is on GMT, so the date is the UTC date.
        let at: jiff::Timestamp = "2026-12-01T23:30:00Z".parse().expect("valid timestamp");
        assert_eq!(uk_date(at), date!(2026 - 12 - 01));
    }
}
