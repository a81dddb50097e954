//! Email notices of new messages: a person is told at once of the first message, and then at
//! most once per [`INTERVAL_MS`] however many arrive, with their number. The mailbox itself is
//! the record; the notice only says that something is waiting, never what.

use crate::Millis;

/// At most one notice per person in this time (15 minutes).
pub const INTERVAL_MS: Millis = 15 * 60 * 1000;

/// When the next notice may go, for messages arriving at `now` to a person last told at
/// `last_sent_at` with nothing pending: at once, or when the interval since the last is over.
pub fn due_at(now: Millis, last_sent_at: Option<Millis>) -> Millis {
    match last_sent_at {
        Some(last) if last + INTERVAL_MS > now => last + INTERVAL_MS,
        _ => now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_at_once_then_one_per_interval() {
        assert_eq!(due_at(1_000, None), 1_000);
        assert_eq!(
            due_at(1_000 + INTERVAL_MS, Some(1_000)),
            1_000 + INTERVAL_MS
        );
        assert_eq!(due_at(5_000, Some(1_000)), 1_000 + INTERVAL_MS);
        assert_eq!(due_at(2 * INTERVAL_MS, Some(1_000)), 2 * INTERVAL_MS);
    }
}
