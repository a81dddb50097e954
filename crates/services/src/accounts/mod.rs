//! Accounts: registration, email verification, password reset, sign-in with throttling and a
//! second factor, sessions and API tokens.

use crate::mail::Email;
use crate::{hash_secret, new_id, new_secret, store_err, Services};
use okienko_domain::audit::AuditEvent;
use okienko_domain::ids::{self, Email as EmailAddr};
use okienko_domain::policy::Actor;
use okienko_domain::{totp, DomainError, FieldErrors, Role, RoleGrant};
use okienko_store::{Session, User};
mod own;
pub use own::OwnSession;
mod registration;
mod second_factor;
mod users;
pub use users::USERS_LISTED;

/// Failed sign-ins allowed per account, and per client address, within the window.
/// Sign-in attempts on one account from one address (then that address waits; the owner
/// signing in from elsewhere does not).
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 10;
/// Sign-in attempts on one account from everywhere together: only a distributed attack
/// reaches it.
pub const MAX_ATTEMPTS_PER_ACCOUNT_ANYWHERE: i64 = 200;
pub const MAX_FAILURES_PER_IP: i64 = 100;
/// Requests that send email, from one client address, in the throttling window.
pub const MAX_MAIL_REQUESTS_PER_IP: i64 = 20;
/// Emails to one address in the throttling window.
pub const MAX_MAILS_PER_ADDRESS: i64 = 3;
/// Password re-checks (before a trusted signature and other confirmations) per person.
pub const MAX_RECHECKS: i64 = 5;
/// Logins of people registered at a counter: `<PESEL>@counter.okienko.invalid`. Nobody can
/// register an address in this (reserved, RFC 2606) domain.
pub const COUNTER_DOMAIN: &str = "counter.okienko.invalid";
/// How long a link confirming a new email address works.
pub const EMAIL_CHANGE_MS: i64 = 14 * 24 * 3600 * 1000;

/// The setting holding the key that seals offered TOTP secrets.
const TOTP_OFFER_KEY: &str = "totp-offer-key";

/// Longest login accepted (an email address has at most 254 characters).
pub const MAX_LOGIN_CHARS: usize = 254;
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
pub const WEB_SESSION_MS: i64 = 12 * 3600 * 1000;
pub const API_TOKEN_MS: i64 = 3600 * 1000;
const VERIFY_TOKEN_MS: i64 = 48 * 3600 * 1000;
const RESET_TOKEN_MS: i64 = 3600 * 1000;
const SETUP_TOKEN_MS: i64 = 7 * 24 * 3600 * 1000;

/// Longest description of a session's device kept.
const MAX_DEVICE_CHARS: usize = 80;

/// The session kinds.
pub const WEB: &str = "web";
/// A staff member who signed in with a password but still has to set up a second factor:
/// such a session opens only the set-up page.
pub const WEB_ENROL: &str = "web-enrol";
pub const API: &str = "api";

/// Texts for the emails this module sends, in the recipient's language.
pub trait MailTexts: Sync {
    fn verify_email(&self, link: &str) -> (String, String);
    fn reset_password(&self, link: &str) -> (String, String);
    fn staff_invitation(&self, link: &str, office: &str) -> (String, String);
    /// To the owner of an address someone tried to register again.
    fn account_exists(&self, link: &str) -> (String, String);
    /// To an existing account invited to a staff role: accept (or ignore) at the link.
    fn staff_offer(&self, link: &str, place: &str) -> (String, String);
}

/// Where a sign-in comes from: the client's address (for throttling) and what it is, in
/// words (shown in the person's list of sessions).
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    pub ip: &'a str,
    pub device: &'a str,
}

/// Who is signed in, with their roles.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub grants: Vec<RoleGrant>,
    pub session: Session,
    /// Whom the person substitutes today (`cases::substitutes`), each with the grants that
    /// let them handle the absent official's cases.
    pub covering: Vec<Covering>,
}

/// A substitution in force today and the absent official's grants it lends: their official
/// grants in that office, never an admin's or an archivist's.
#[derive(Debug, Clone)]
pub struct Covering {
    pub substitution: okienko_store::Substitute,
    pub grants: Vec<RoleGrant>,
}

impl Principal {
    /// What the policy weighs: the person's own grants and those lent by a substitution.
    pub fn actor(&self) -> Actor {
        let mut grants = self.grants.clone();
        for c in &self.covering {
            grants.extend(c.grants.iter().cloned());
        }
        Actor {
            user_id: self.user.id.clone(),
            grants,
        }
    }
    pub fn has(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }
    pub fn is_staff(&self) -> bool {
        self.grants.iter().any(|g| g.role.is_staff())
    }
}

pub enum SignIn {
    Done(Principal, String),
    /// Password right, but a staff member has no second factor yet: a limited session.
    MustEnrolTotp(Principal, String),
}

/// What a person sends to turn on (or replace) their second factor.
pub struct TotpOffer<'a> {
    /// The secret the installation offered, and its seal.
    pub secret: &'a str,
    pub seal: &'a str,
    /// A code from the app for the new secret.
    pub code: &'a str,
    /// The password, and a code of the current second factor if there is one.
    pub password: &'a str,
    pub current_code: &'a str,
}

impl Services {
    /// Creates a password set-up link for a newly added staff member and emails it.
    pub(crate) async fn send_staff_offer(
        &self,
        user: &User,
        grant: &str,
        place: &str,
        texts: &dyn MailTexts,
    ) -> Result<(), DomainError> {
        self.email_link(
            user,
            &format!("staff:{grant}"),
            SETUP_TOKEN_MS,
            &format!("/staff/accept?grant={}", crate::url_encode(grant)),
            |link| texts.staff_offer(link, place),
        )
        .await
    }

    pub(crate) async fn send_staff_setup(
        &self,
        user: &User,
        office: &str,
        texts: &dyn MailTexts,
    ) -> Result<(), DomainError> {
        self.email_link(user, "setup", SETUP_TOKEN_MS, "/password/reset", |link| {
            texts.staff_invitation(link, office)
        })
        .await
    }

    /// Checks login, password and (where enrolled or required) the one-time code, with
    /// throttling per account and per client address. `kind` is [`WEB`] or [`API`].
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
        client: Client<'_>,
        kind: &str,
    ) -> Result<SignIn, DomainError> {
        let client_ip = client.ip;
        let mut errs = FieldErrors::new();
        if login.trim().is_empty() {
            errs.add("login", "err-email-missing");
        }
        if password.is_empty() {
            errs.add("password", "err-password-missing");
        }
        if login.chars().count() > MAX_LOGIN_CHARS || password.len() > 1024 {
            errs.add("login", "err-email-invalid");
        }
        errs.finish()?;
        let email = login.trim().to_lowercase();
        let now = self.now_ms();
        // Keys hold a hash of the login, never the login itself.
        let account = crate::hash_secret(&email);
        let acct_ip_key = format!("acct-ip:{account}:{client_ip}");
        let acct_key = format!("acct:{account}");
        let ip_key = format!("ip:{client_ip}");
        // Counted before the password is checked, so concurrent guesses cannot slip past.
        let counts = self
            .store
            .count_attempt(
                &[acct_ip_key.clone(), acct_key.clone(), ip_key.clone()],
                now,
                now - THROTTLE_WINDOW_MS,
            )
            .await?;
        if counts
            .first()
            .is_some_and(|n| *n > MAX_FAILURES_PER_ACCOUNT)
            || counts
                .get(1)
                .is_some_and(|n| *n > MAX_ATTEMPTS_PER_ACCOUNT_ANYWHERE)
            || counts.get(2).is_some_and(|n| *n > MAX_FAILURES_PER_IP)
        {
            return Err(DomainError::Throttled);
        }
        let user = if email.len() == 11 && email.bytes().all(|b| b.is_ascii_digit()) {
            // People registered at a counter (often without email) sign in with their PESEL.
            match self.store.trusted_profile_by_pesel(&email).await? {
                Some(tp) => self.store.user_by_id(&tp.user_id).await?,
                None => None,
            }
        } else {
            self.store.user_by_email(&email).await?
        };
        let ok = self
            .passwords
            .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
            .await;
        let fail = || async { Err::<SignIn, _>(DomainError::BadCredentials) };
        let Some(user) = user.filter(|u| ok && !u.disabled) else {
            return fail().await;
        };
        if !user.email_verified {
            return Err(DomainError::EmailNotVerified);
        }
        let grants = self.store.grants_of(&user.id).await?;
        let staff = grants.iter().any(|g| g.role.is_staff());
        let mut kind = kind;
        match (
            &user.totp_secret,
            code.map(str::trim).filter(|c| !c.is_empty()),
        ) {
            (Some(_), None) => return Err(DomainError::TotpRequired),
            (Some(secret), Some(code)) => {
                if !self.totp_fresh(&user, secret, code, now).await? {
                    return fail().await;
                }
            }
            (None, _) if staff => {
                if kind == API {
                    return Err(DomainError::TotpRequired);
                }
                kind = WEB_ENROL;
            }
            (None, _) => {}
        }
        for k in [&acct_ip_key, &acct_key] {
            self.store.clear_login_failures(k).await?;
        }
        // A sign-in that succeeded does not count against its address (an office behind
        // one address signs many people in).
        self.store.forget_attempt(&ip_key, now).await?;
        let ev = AuditEvent::new(now, Some(&user.id), "user.sign_in", kind).subject(&user.id);
        self.store.append_audit(&ev).await?;
        let (token, session) = self.new_session(&user.id, kind, client.device).await?;
        let p = Principal {
            user,
            grants,
            session,
            covering: Vec::new(),
        };
        Ok(if kind == WEB_ENROL {
            SignIn::MustEnrolTotp(p, token)
        } else {
            SignIn::Done(p, token)
        })
    }

    async fn new_session(
        &self,
        user_id: &str,
        kind: &str,
        device: &str,
    ) -> Result<(String, Session), DomainError> {
        let now = self.now_ms();
        let (token, hash) = new_secret();
        let (csrf, _) = new_secret();
        let ttl = if kind == API {
            API_TOKEN_MS
        } else {
            WEB_SESSION_MS
        };
        let s = Session {
            token_hash: hash,
            user_id: user_id.to_string(),
            kind: kind.to_string(),
            csrf,
            created_at: now,
            expires_at: now + ttl,
            device: device.chars().take(MAX_DEVICE_CHARS).collect(),
        };
        self.store.create_session(&s).await?;
        Ok((token, s))
    }

    /// Resolves a session or API token to who holds it.
    pub async fn principal(&self, token: &str) -> Result<Option<Principal>, DomainError> {
        let now = self.now_ms();
        let Some((session, user)) = self.store.session(&hash_secret(token), now).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let grants = self.store.grants_of(&user.id).await?;
        let covering = if grants.iter().any(|g| g.role == Role::Official) {
            self.covering(&user.id).await?
        } else {
            Vec::new()
        };
        Ok(Some(Principal {
            user,
            grants,
            session,
            covering,
        }))
    }

    pub async fn sign_out(&self, p: &Principal) -> Result<(), DomainError> {
        self.store
            .delete_session(&p.session.token_hash)
            .await
            .map_err(DomainError::from)
    }

    pub async fn set_locale(&self, p: &Principal, locale: &str) -> Result<(), DomainError> {
        self.store
            .set_locale(&p.user.id, locale)
            .await
            .map_err(DomainError::from)
    }
}
