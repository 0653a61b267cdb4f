//! Business hours: weekly opening hours in a time zone, holidays (closed all day) and
//! overrides (other hours on one date). A 24/7 hotline is one schedule, a campaign-time
//! hotline another. Pure: the time to check is an argument.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Business hours as a tenant writes them (`/api/v1/schedules`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    /// IANA time zone, e.g. `Europe/Sofia`; daylight saving is followed.
    pub time_zone: String,
    /// Opening ranges per weekday (`mon` ... `sun`), each `HH:MM-HH:MM` with the start
    /// before the end (`24:00` ends the day; a night shift is two ranges on two days). A
    /// day that is not listed is closed.
    #[serde(default)]
    pub weekly: BTreeMap<String, Vec<String>>,
    /// Dates closed all day (`YYYY-MM-DD`).
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Dates with other hours than their weekday's; an empty list closes the date.
    #[serde(default)]
    pub overrides: BTreeMap<String, Vec<String>>,
}

type Ranges = Vec<(NaiveTime, Option<NaiveTime>)>;

/// Parsed business hours, ready to answer "open now?".
#[derive(Debug, Clone)]
pub struct Schedule {
    tz: Tz,
    /// Monday first; `None` as an end means midnight (24:00).
    weekly: [Ranges; 7],
    holidays: BTreeSet<NaiveDate>,
    overrides: BTreeMap<NaiveDate, Ranges>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn parse_range(s: &str) -> Option<(NaiveTime, Option<NaiveTime>)> {
    let (a, b) = s.split_once('-')?;
    let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
    let end = match b.trim() {
        "24:00" => None,
        b => Some(NaiveTime::parse_from_str(b, "%H:%M").ok()?),
    };
    end.is_none_or(|e| start < e).then_some((start, end))
}

/// Parse a day's ranges, noting the bad ones under `field`.
fn ranges(errors: &mut Vec<(String, String)>, field: String, list: &[String]) -> Ranges {
    list.iter()
        .filter_map(|r| {
            let parsed = parse_range(r);
            if parsed.is_none() {
                errors.push((
                    field.clone(),
                    format!("{r:?} is not a range like 09:00-17:30"),
                ));
            }
            parsed
        })
        .collect()
}

impl Schedule {
    /// Parse business hours; every problem is reported as (field, message).
    pub fn parse(hours: &Hours) -> Result<Schedule, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let tz = hours.time_zone.parse::<Tz>().unwrap_or_else(|_| {
            errors.push((
                "time_zone".to_owned(),
                "must be an IANA time zone such as Europe/Sofia".to_owned(),
            ));
            Tz::UTC
        });
        let mut weekly: [Ranges; 7] = Default::default();
        for (day, list) in &hours.weekly {
            match DAYS.iter().position(|d| d == day) {
                Some(i) => weekly[i] = ranges(&mut errors, format!("weekly.{day}"), list),
                None => errors.push((
                    format!("weekly.{day}"),
                    "days are mon, tue, wed, thu, fri, sat, sun".to_owned(),
                )),
            }
        }
        let mut overrides = BTreeMap::new();
        for (date, list) in &hours.overrides {
            let r = ranges(&mut errors, format!("overrides.{date}"), list);
            match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                Ok(d) => {
                    overrides.insert(d, r);
                }
                Err(_) => errors.push((
                    format!("overrides.{date}"),
                    "dates are YYYY-MM-DD".to_owned(),
                )),
            }
        }
        let mut holidays = BTreeSet::new();
        for date in &hours.holidays {
            match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                Ok(d) => {
                    holidays.insert(d);
                }
                Err(_) => errors.push((
                    "holidays".to_owned(),
                    format!("{date:?} is not a date (YYYY-MM-DD)"),
                )),
            }
        }
        if errors.is_empty() {
            Ok(Schedule {
                tz,
                weekly,
                holidays,
                overrides,
            })
        } else {
            Err(errors)
        }
    }

    /// Open around the clock, every day.
    pub fn always() -> Schedule {
        let all_day = vec![(NaiveTime::MIN, None)];
        Schedule {
            tz: Tz::UTC,
            weekly: std::array::from_fn(|_| all_day.clone()),
            holidays: BTreeSet::new(),
            overrides: BTreeMap::new(),
        }
    }

    /// Whether the schedule is open at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.tz);
        let (date, time) = (local.date_naive(), local.time());
        if self.holidays.contains(&date) {
            return false;
        }
        let ranges = self
            .overrides
            .get(&date)
            .unwrap_or(&self.weekly[local.weekday().num_days_from_monday() as usize]);
        ranges
            .iter()
            .any(|(start, end)| time >= *start && end.is_none_or(|e| time < e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn office() -> Schedule {
        let hours: Hours = serde_json::from_value(serde_json::json!({
            "time_zone": "Europe/Sofia",
            "weekly": {
                "mon": ["09:00-13:00", "14:00-18:00"], "tue": ["09:00-18:00"], "wed": ["09:00-18:00"],
                "thu": ["09:00-18:00"], "fri": ["09:00-17:00"], "sat": ["10:00-24:00"]
            },
            "holidays": ["2026-12-24"],
            "overrides": { "2026-12-31": ["09:00-12:00"], "2026-12-28": [] }
        }))
        .expect("hours");
        Schedule::parse(&hours).expect("valid")
    }

    #[test]
    fn hours_are_read_in_the_schedules_own_time_zone() {
        let s = office();
        // Monday 2026-11-30: Sofia is UTC+2 in winter.
        assert!(!s.is_open(utc("2026-11-30T06:59:00Z")), "08:59 local");
        assert!(s.is_open(utc("2026-11-30T07:00:00Z")), "09:00 local");
        assert!(
            !s.is_open(utc("2026-11-30T11:30:00Z")),
            "lunch, 13:30 local"
        );
        assert!(
            !s.is_open(utc("2026-11-30T16:00:00Z")),
            "18:00 local closes"
        );
        assert!(
            s.is_open(utc("2026-11-28T21:59:00Z")),
            "Saturday 23:59 local, open to midnight"
        );
        assert!(
            !s.is_open(utc("2026-11-29T10:00:00Z")),
            "Sunday is not listed: closed"
        );
    }

    #[test]
    fn daylight_saving_moves_the_hours_with_it() {
        let s = office();
        // Friday 2026-07-03: Sofia is UTC+3 in summer, so 09:00 local is 06:00 UTC.
        assert!(s.is_open(utc("2026-07-03T06:00:00Z")));
        assert!(!s.is_open(utc("2026-07-03T05:59:00Z")));
    }

    #[test]
    fn holidays_close_and_overrides_replace_the_day() {
        let s = office();
        assert!(
            !s.is_open(utc("2026-12-24T10:00:00Z")),
            "a Thursday holiday"
        );
        assert!(
            s.is_open(utc("2026-12-31T08:00:00Z")),
            "10:00 local on a short day"
        );
        assert!(
            !s.is_open(utc("2026-12-31T11:00:00Z")),
            "13:00 local: the short day is over"
        );
        assert!(
            !s.is_open(utc("2026-12-28T10:00:00Z")),
            "an empty override closes a Monday"
        );
        assert!(Schedule::always().is_open(utc("2026-12-25T03:00:00Z")));
    }

    #[test]
    fn bad_hours_are_refused_with_the_field_at_fault() {
        let cases = [
            (
                serde_json::json!({ "time_zone": "Mars/Olympus" }),
                "time_zone",
            ),
            (
                serde_json::json!({ "time_zone": "UTC", "weekly": { "monday": ["09:00-10:00"] } }),
                "weekly.monday",
            ),
            (
                serde_json::json!({ "time_zone": "UTC", "weekly": { "mon": ["18:00-09:00"] } }),
                "weekly.mon",
            ),
            (
                serde_json::json!({ "time_zone": "UTC", "weekly": { "mon": ["9-5"] } }),
                "weekly.mon",
            ),
            (
                serde_json::json!({ "time_zone": "UTC", "holidays": ["24/12/2026"] }),
                "holidays",
            ),
            (
                serde_json::json!({ "time_zone": "UTC", "overrides": { "2026-13-01": [] } }),
                "overrides.2026-13-01",
            ),
        ];
        for (json, field) in cases {
            let hours: Hours = serde_json::from_value(json).expect("shape");
            let errors = Schedule::parse(&hours).expect_err(field);
            assert_eq!(errors[0].0, field);
        }
    }
}
