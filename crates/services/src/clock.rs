//! The clock, passed into everything that needs the time.

use std::sync::Mutex;
use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place the time of day is read
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved, for tests of expiry and deadlines.
pub struct FakeClock(Mutex<OffsetDateTime>);

impl FakeClock {
    pub fn new(at: OffsetDateTime) -> Self {
        FakeClock(Mutex::new(at))
    }
    pub fn advance(&self, d: time::Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += d;
        }
    }
    pub fn set(&self, at: OffsetDateTime) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// A time in milliseconds since 1970 as RFC 3339 (UTC), as evidence documents write it.
pub fn rfc3339(ms: i64) -> String {
    okienko_domain::from_millis(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
