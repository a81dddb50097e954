//! The states records move through, as types: a word in the database, a variant everywhere
//! else. An unknown word read back is an error, never a guess.

/// Declares a status enum with the word each variant is stored as.
macro_rules! status {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $v),+
        }

        impl $name {
            /// The word it is stored and shown in the API as.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s),+
                }
            }

            /// The status a stored word names.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($s => Some($name::$v),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status! {
    /// Where a trusted profile application stands.
    ApplicationStatus {
        /// Waiting for a clerk to confirm the person's identity (until it expires).
        Pending = "pending",
        Confirmed = "confirmed",
        Refused = "refused",
    }
}

status! {
    /// Where a batch of paper letters stands at its service point.
    BatchStatus {
        /// Closed and waiting to be printed.
        Closed = "closed",
        Printed = "printed",
        Dispatched = "dispatched",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for s in [
            ApplicationStatus::Pending,
            ApplicationStatus::Confirmed,
            ApplicationStatus::Refused,
        ] {
            assert_eq!(ApplicationStatus::parse(s.as_str()), Some(s));
        }
        for s in [
            BatchStatus::Closed,
            BatchStatus::Printed,
            BatchStatus::Dispatched,
        ] {
            assert_eq!(BatchStatus::parse(&s.to_string()), Some(s));
        }
        assert_eq!(BatchStatus::parse("Printed"), None);
    }
}

status! {
    /// Where an e-service submission stands in the office.
    SubmissionStatus {
        /// Waiting for the fee to be paid.
        AwaitingPayment = "awaiting-payment",
        /// In the office's inbox, not yet looked at.
        Submitted = "submitted",
        /// Entered in the office's register.
        Registered = "registered",
        InProgress = "in-progress",
        /// The office has answered through e-delivery.
        Answered = "answered",
        Closed = "closed",
    }
}

impl SubmissionStatus {
    /// Where an official may move a submission from this status.
    pub fn next(self) -> &'static [SubmissionStatus] {
        use SubmissionStatus::*;
        match self {
            AwaitingPayment => &[],
            Submitted => &[Registered, InProgress, Closed],
            Registered => &[InProgress, Closed],
            InProgress => &[Answered, Closed],
            Answered => &[InProgress, Closed],
            Closed => &[InProgress],
        }
    }
}
