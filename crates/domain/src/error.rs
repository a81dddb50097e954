//! Typed errors with stable codes. A code doubles as the Fluent message id that explains it,
//! so the web layer maps every error to a translated message in exactly one place.

use serde::Serialize;

/// One problem with one input field; `code` is a stable id and a Fluent message id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The input's name: one of ours, or a form field's id (`children[1].name`).
    pub field: std::borrow::Cow<'static, str>,
    pub code: &'static str,
}

/// Every problem found in one submitted form or request body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &'static str, code: &'static str) {
        self.0.push(FieldError {
            field: field.into(),
            code,
        });
    }
    /// Records an error under a field named at run time (a form definition's field).
    pub fn add_named(&mut self, field: String, code: &'static str) {
        self.0.push(FieldError {
            field: field.into(),
            code,
        });
    }
    /// Runs a parser; on failure records its error code under `field`.
    pub fn check<T>(&mut self, field: &'static str, r: Result<T, &'static str>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(code) => {
                self.add(field, code);
                None
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Ok(())` when nothing was wrong, the collected errors otherwise.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self))
        }
    }
}

/// The errors a use case can end in. `code()` is stable and part of the API.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// A submission refused for these reasons, with the evidence of the refusal.
    #[error("submission rejected")]
    Rejected(FieldErrors, String),
    #[error("not signed in")]
    Unauthenticated,
    #[error("wrong login, password or code")]
    BadCredentials,
    #[error("a second factor is required")]
    TotpRequired,
    #[error("too many attempts")]
    Throttled,
    #[error("email address not verified")]
    EmailNotVerified,
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Conflict(&'static str),
    #[error("link expired or already used")]
    TokenInvalid,
    #[error("form expired")]
    Csrf,
    /// The request is larger than this kind of request may be.
    #[error("request too large")]
    TooLarge,
    /// Too much is being received at once; try again shortly.
    #[error("busy")]
    Busy,
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    /// Stable machine-readable code; also the Fluent id of its human message.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid(_) => "err-invalid",
            DomainError::Rejected(..) => "err-rejected",
            DomainError::Unauthenticated => "err-unauthenticated",
            DomainError::BadCredentials => "err-bad-credentials",
            DomainError::TotpRequired => "err-totp-required",
            DomainError::Throttled => "err-throttled",
            DomainError::EmailNotVerified => "err-email-not-verified",
            DomainError::NotFound => "err-not-found",
            DomainError::Conflict(c) => c,
            DomainError::TokenInvalid => "err-token-invalid",
            DomainError::Csrf => "err-csrf",
            DomainError::TooLarge => "err-too-large",
            DomainError::Busy => "err-busy",
            DomainError::Internal(_) => "err-internal",
        }
    }

    /// The field errors of an invalid or rejected input.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            DomainError::Invalid(f) | DomainError::Rejected(f, _) => Some(f),
            _ => None,
        }
    }

    pub fn invalid(field: &'static str, code: &'static str) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, code);
        DomainError::Invalid(e)
    }
}
