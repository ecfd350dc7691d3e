//! Wall-clock formatting for session names and metadata (local time via libc `localtime_r`),
//! so the crate needs no date library. Only used at session start; stream time stays samples.

use std::time::{SystemTime, UNIX_EPOCH};

/// A broken-down local time with its UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Offset east of UTC in seconds.
    pub offset_secs: i64,
}

impl LocalTime {
    /// The local time of `t` (UTC if the C library cannot convert it).
    pub fn from_system(t: SystemTime) -> LocalTime {
        let secs = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(_) => 0,
        };
        let tt = secs as libc::time_t;
        // SAFETY: `tm` is plain data we own; localtime_r only writes into it and is
        // thread-safe (unlike localtime).
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let ok = unsafe { !libc::localtime_r(&tt, &mut tm).is_null() };
        if !ok {
            return Self::utc(secs);
        }
        LocalTime {
            year: tm.tm_year + 1900,
            month: (tm.tm_mon + 1) as u32,
            day: tm.tm_mday as u32,
            hour: tm.tm_hour as u32,
            minute: tm.tm_min as u32,
            second: tm.tm_sec.min(59) as u32,
            offset_secs: tm.tm_gmtoff,
        }
    }

    /// UTC broken down from Unix seconds (civil-from-days, H. Hinnant's algorithm).
    pub fn utc(secs: i64) -> LocalTime {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        LocalTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem / 60 % 60) as u32,
            second: (rem % 60) as u32,
            offset_secs: 0,
        }
    }

    /// RFC 3339, e.g. `2026-11-26T14:05:09+01:00` (or `Z` for UTC).
    pub fn rfc3339(&self) -> String {
        let off = if self.offset_secs == 0 {
            "Z".to_string()
        } else {
            let sign = if self.offset_secs < 0 { '-' } else { '+' };
            let a = self.offset_secs.abs();
            format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{off}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `YYYYmmdd-HHMMSS`, the prefix of session directory names.
    pub fn stamp(&self) -> String {
        format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats() {
        let t = LocalTime::utc(1_795_000_000);
        assert_eq!(t.rfc3339(), "2026-11-18T11:06:40Z");
        assert_eq!(t.stamp(), "20261118-110640");
        assert_eq!(LocalTime::utc(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            LocalTime::utc(951_782_400).rfc3339(),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn offset_formats() {
        let mut t = LocalTime::utc(0);
        t.offset_secs = -(5 * 3600 + 30 * 60);
        assert!(t.rfc3339().ends_with("-05:30"));
    }
}
