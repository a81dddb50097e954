//! Accounts: registration, email verification, password reset, sign-in with throttling and a
//! second factor, sessions and API tokens.

use crate::mail::Email;
use crate::{hash_secret, internal, new_id, new_secret, store_err, Services};
use okienko_domain::audit::AuditEvent;
use okienko_domain::ids::{self, Email as EmailAddr};
use okienko_domain::policy::Actor;
use okienko_domain::{totp, DomainError, FieldErrors, Role, RoleGrant};
use okienko_store::{Session, User};

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

/// Who is signed in, with their roles.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub grants: Vec<RoleGrant>,
    pub session: Session,
}

impl Principal {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id.clone(),
            grants: self.grants.clone(),
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
    /// Registers a citizen. Whether the address already has an account is not revealed: the
    /// answer is the same, and the address's owner gets an email saying someone tried.
    /// Throttled per client address; mails to one address are limited too.
    pub async fn register(
        &self,
        email: &str,
        display_name: &str,
        password: &str,
        locale: &str,
        texts: &dyn MailTexts,
        client_ip: &str,
    ) -> Result<(), DomainError> {
        self.throttle_mail_requests(client_ip).await?;
        let mut errs = FieldErrors::new();
        let email = errs.check("email", EmailAddr::parse(email));
        let name = errs.check("display_name", ids::name(display_name));
        errs.check("password", ids::new_password(password));
        errs.finish()?;
        let (Some(email), Some(name)) = (email, name) else {
            return Err(DomainError::Internal("validation".into()));
        };
        if email.as_str().ends_with(".invalid") {
            return Err(DomainError::invalid("email", "err-email-invalid"));
        }
        if self
            .store
            .user_by_email(email.as_str())
            .await
            .map_err(internal)?
            .is_some()
        {
            if self.may_mail(email.as_str()).await? {
                let link = format!("{}/password/forgot", self.base_url);
                let (subject, body) = texts.account_exists(&link);
                let mail = Email {
                    to: email.as_str().to_string(),
                    subject,
                    body,
                };
                self.mail
                    .queue(self.store.as_ref(), &mail, self.now_ms())
                    .await
                    .map_err(|e| DomainError::Internal(e.to_string()))?;
            }
            return Ok(());
        }
        let hash = self
            .passwords
            .hash(password)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let now = self.now_ms();
        let user = User {
            id: new_id(),
            email: email.as_str().to_string(),
            display_name: name,
            password_hash: hash,
            email_verified: false,
            totp_secret: None,
            totp_last_step: None,
            locale: Some(locale.to_string()),
            disabled: false,
            created_at: now,
        };
        let ev = AuditEvent::new(now, Some(&user.id), "user.register", &user.id).subject(&user.id);
        self.store
            .create_user(&user, &[RoleGrant::plain(Role::Citizen)], &ev)
            .await
            .map_err(|e| match store_err("err-email-taken")(e) {
                DomainError::Conflict(c) => DomainError::invalid("email", c),
                other => other,
            })?;
        self.send_verification(&user, texts).await?;
        Ok(())
    }

    /// Requests that send email (registration, verification again, password reset) from one
    /// client address: at most [`MAX_MAIL_REQUESTS_PER_IP`] in the throttling window.
    async fn throttle_mail_requests(&self, client_ip: &str) -> Result<(), DomainError> {
        let now = self.now_ms();
        let n = self
            .store
            .count_attempt(
                &[format!("mail-ip:{client_ip}")],
                now,
                now - THROTTLE_WINDOW_MS,
            )
            .await
            .map_err(internal)?;
        if n.first().is_some_and(|n| *n > MAX_MAIL_REQUESTS_PER_IP) {
            return Err(DomainError::Throttled);
        }
        Ok(())
    }

    /// Whether one more email may go to this address now (at most [`MAX_MAILS_PER_ADDRESS`] in
    /// the window, whoever asks): nobody can flood someone's mailbox through okienko.
    async fn may_mail(&self, email: &str) -> Result<bool, DomainError> {
        let now = self.now_ms();
        let n = self
            .store
            .count_attempt(
                &[format!("mail-to:{}", hash_secret(&email.to_lowercase()))],
                now,
                now - THROTTLE_WINDOW_MS,
            )
            .await
            .map_err(internal)?;
        Ok(n.first().is_some_and(|n| *n <= MAX_MAILS_PER_ADDRESS))
    }

    async fn send_verification(
        &self,
        user: &User,
        texts: &dyn MailTexts,
    ) -> Result<(), DomainError> {
        self.email_link(user, "verify", VERIFY_TOKEN_MS, "/verify-email", |link| {
            texts.verify_email(link)
        })
        .await
    }

    /// Sends a new verification link if the address belongs to an unverified account. Says
    /// nothing about whether it does.
    pub async fn resend_verification(
        &self,
        email: &str,
        texts: &dyn MailTexts,
        client_ip: &str,
    ) -> Result<(), DomainError> {
        self.throttle_mail_requests(client_ip).await?;
        let email = EmailAddr::parse(email).map_err(|c| DomainError::invalid("email", c))?;
        if let Some(u) = self
            .store
            .user_by_email(email.as_str())
            .await
            .map_err(internal)?
        {
            if !u.email_verified && self.may_mail(email.as_str()).await? {
                self.send_verification(&u, texts).await?;
            }
        }
        Ok(())
    }

    pub async fn verify_email(&self, token: &str) -> Result<(), DomainError> {
        let now = self.now_ms();
        let user_id = self
            .store
            .consume_token("verify", &hash_secret(token), now)
            .await
            .map_err(internal)?
            .ok_or(DomainError::TokenInvalid)?;
        let ev =
            AuditEvent::new(now, Some(&user_id), "user.verify_email", &user_id).subject(&user_id);
        self.store
            .set_email_verified(&user_id, &ev)
            .await
            .map_err(internal)
    }

    /// Sends a link to `email` that makes it this account's login once the account's owner
    /// opens it signed in: the address is then shown to be theirs by both.
    pub(crate) async fn offer_email(
        &self,
        user: &User,
        email: &str,
        texts: &dyn MailTexts,
    ) -> Result<(), DomainError> {
        let now = self.now_ms();
        let (token, hash) = new_secret();
        self.store
            .create_token(
                &format!("email:{email}"),
                &hash,
                &user.id,
                now + EMAIL_CHANGE_MS,
            )
            .await
            .map_err(internal)?;
        let link = format!(
            "{}/account/email/confirm?token={token}&email={}",
            self.base_url,
            crate::url_encode(email)
        );
        let (subject, body) = texts.verify_email(&link);
        self.mail
            .queue(
                self.store.as_ref(),
                &Email {
                    to: email.to_string(),
                    subject,
                    body,
                },
                now,
            )
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))
    }

    /// A signed-in person asks for `email` to become their login: a link goes there, which
    /// only they (signed in) can use.
    pub async fn offer_email_again(
        &self,
        p: &Principal,
        email: &str,
        texts: &dyn MailTexts,
    ) -> Result<(), DomainError> {
        let email = EmailAddr::parse(email).map_err(|c| DomainError::invalid("email", c))?;
        if email.as_str().ends_with(".invalid") {
            return Err(DomainError::invalid("email", "err-email-invalid"));
        }
        if !self.may_mail(email.as_str()).await? {
            return Err(DomainError::Throttled);
        }
        self.offer_email(&p.user, email.as_str(), texts).await
    }

    /// Makes an offered email this account's login: only for the account it was offered to,
    /// signed in.
    pub async fn confirm_email(
        &self,
        p: &Principal,
        token: &str,
        email: &str,
    ) -> Result<(), DomainError> {
        let email = EmailAddr::parse(email).map_err(|_| DomainError::TokenInvalid)?;
        let now = self.now_ms();
        let owner = self
            .store
            .consume_token(
                &format!("email:{}", email.as_str()),
                &hash_secret(token),
                now,
            )
            .await
            .map_err(internal)?;
        if owner.as_deref() != Some(p.user.id.as_str()) {
            return Err(DomainError::TokenInvalid);
        }
        let ev = AuditEvent::new(now, Some(&p.user.id), "user.email_confirmed", &p.user.id)
            .subject(&p.user.id);
        self.store
            .set_email(&p.user.id, email.as_str(), &ev)
            .await
            .map_err(|e| match store_err("err-email-taken")(e) {
                DomainError::Conflict(c) => DomainError::invalid("email", c),
                other => other,
            })
    }

    /// Sends a reset link if the account exists; answers the same either way.
    pub async fn request_password_reset(
        &self,
        email: &str,
        texts: &dyn MailTexts,
        client_ip: &str,
    ) -> Result<(), DomainError> {
        self.throttle_mail_requests(client_ip).await?;
        let email = EmailAddr::parse(email).map_err(|c| DomainError::invalid("email", c))?;
        let Some(user) = self
            .store
            .user_by_email(email.as_str())
            .await
            .map_err(internal)?
        else {
            return Ok(());
        };
        if !self.may_mail(email.as_str()).await? {
            return Ok(());
        }
        self.email_link(&user, "reset", RESET_TOKEN_MS, "/password/reset", |link| {
            texts.reset_password(link)
        })
        .await
    }

    /// Sets a new password with a reset (or staff set-up) token; signs out every session.
    pub async fn reset_password(&self, token: &str, password: &str) -> Result<(), DomainError> {
        ids::new_password(password).map_err(|c| DomainError::invalid("password", c))?;
        let now = self.now_ms();
        let hash = hash_secret(token);
        let user_id = match self
            .store
            .consume_token("reset", &hash, now)
            .await
            .map_err(internal)?
        {
            Some(u) => u,
            None => self
                .store
                .consume_token("setup", &hash, now)
                .await
                .map_err(internal)?
                .ok_or(DomainError::TokenInvalid)?,
        };
        let pw = self
            .passwords
            .hash(password)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let ev =
            AuditEvent::new(now, Some(&user_id), "user.reset_password", &user_id).subject(&user_id);
        self.store
            .set_password(&user_id, &pw, &ev)
            .await
            .map_err(internal)?;
        // Reaching the link proves control of the address.
        let ev =
            AuditEvent::new(now, Some(&user_id), "user.verify_email", &user_id).subject(&user_id);
        self.store
            .set_email_verified(&user_id, &ev)
            .await
            .map_err(internal)?;
        self.store
            .delete_user_sessions(&user_id)
            .await
            .map_err(internal)
    }

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

    /// Creates a one-time token of `kind`, valid for `ttl_ms`, and emails the person a link
    /// to `path?token=…` in the words `compose` gives (subject, body).
    async fn email_link(
        &self,
        user: &User,
        kind: &str,
        ttl_ms: i64,
        path: &str,
        compose: impl FnOnce(&str) -> (String, String),
    ) -> Result<(), DomainError> {
        let now = self.now_ms();
        let (token, hash) = new_secret();
        self.store
            .create_token(kind, &hash, &user.id, now + ttl_ms)
            .await
            .map_err(internal)?;
        let sep = if path.contains('?') { '&' } else { '?' };
        let (subject, body) = compose(&format!("{}{path}{sep}token={token}", self.base_url));
        let email = Email {
            to: user.email.clone(),
            subject,
            body,
        };
        self.mail
            .queue(self.store.as_ref(), &email, now)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))
    }

    /// Checks login, password and (where enrolled or required) the one-time code, with
    /// throttling per account and per client address. `kind` is [`WEB`] or [`API`].
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
        client_ip: &str,
        kind: &str,
    ) -> Result<SignIn, DomainError> {
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
            .await
            .map_err(internal)?;
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
            match self
                .store
                .trusted_profile_by_pesel(&email)
                .await
                .map_err(internal)?
            {
                Some(tp) => self.store.user_by_id(&tp.user_id).await.map_err(internal)?,
                None => None,
            }
        } else {
            self.store.user_by_email(&email).await.map_err(internal)?
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
        let grants = self.store.grants_of(&user.id).await.map_err(internal)?;
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
            self.store.clear_login_failures(k).await.map_err(internal)?;
        }
        // A sign-in that succeeded does not count against its address (an office behind
        // one address signs many people in).
        self.store
            .forget_attempt(&ip_key, now)
            .await
            .map_err(internal)?;
        let ev = AuditEvent::new(now, Some(&user.id), "user.sign_in", kind).subject(&user.id);
        self.store.append_audit(&ev).await.map_err(internal)?;
        let (token, session) = self.new_session(&user.id, kind).await?;
        let p = Principal {
            user,
            grants,
            session,
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
        };
        self.store.create_session(&s).await.map_err(internal)?;
        Ok((token, s))
    }

    /// Resolves a session or API token to who holds it.
    pub async fn principal(&self, token: &str) -> Result<Option<Principal>, DomainError> {
        let now = self.now_ms();
        let Some((session, user)) = self
            .store
            .session(&hash_secret(token), now)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let grants = self.store.grants_of(&user.id).await.map_err(internal)?;
        Ok(Some(Principal {
            user,
            grants,
            session,
        }))
    }

    pub async fn sign_out(&self, p: &Principal) -> Result<(), DomainError> {
        self.store
            .delete_session(&p.session.token_hash)
            .await
            .map_err(internal)
    }

    /// A fresh secret for enrolment (160 bits, base32).
    pub fn new_totp_secret() -> String {
        use rand::RngCore;
        let mut b = [0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut b);
        totp::encode_secret(&b)
    }

    /// The seal that proves this installation offered `secret` to this session: a client can
    /// only enrol a secret the server generated for it, never one it chose.
    pub async fn totp_offer_seal(
        &self,
        p: &Principal,
        secret: &str,
    ) -> Result<String, DomainError> {
        // Read first: the key is written once, by whichever instance needs it first.
        let key = match self.store.setting(TOTP_OFFER_KEY).await.map_err(internal)? {
            Some(k) => k,
            None => self
                .store
                .setting_init(TOTP_OFFER_KEY, &crate::new_secret().0)
                .await
                .map_err(internal)?,
        };
        Ok(crate::hash_secret(&format!(
            "totp-offer:{key}:{}:{secret}",
            p.session.token_hash
        )))
    }

    /// Turns on the second factor once the person proves their app produces codes for
    /// `secret`, which must be one this installation offered to this session (`seal`). Outside
    /// the enrolment that follows a staff member's first sign-in, the password is asked again,
    /// and replacing a second factor also takes a code from the current one. A limited
    /// enrolment session becomes a full one (returns its new token).
    pub async fn enrol_totp(
        &self,
        p: &Principal,
        offer: &TotpOffer<'_>,
    ) -> Result<Option<String>, DomainError> {
        let secret = offer.secret;
        if offer.seal != self.totp_offer_seal(p, secret).await? {
            return Err(DomainError::invalid("code", "err-totp-offer"));
        }
        if p.session.kind != WEB_ENROL {
            self.reauthenticate(p, offer.password, Some(offer.current_code))
                .await?;
        }
        let code = ids::totp_code(offer.code).map_err(|c| DomainError::invalid("code", c))?;
        let raw = totp::decode_secret(secret)
            .filter(|s| s.len() >= 20)
            .ok_or(DomainError::invalid("code", "err-totp-wrong"))?;
        let now = self.now_ms();
        let step = totp::verify(&raw, &code, (now / 1000).max(0) as u64, None)
            .ok_or(DomainError::invalid("code", "err-totp-wrong"))?;
        let ev = AuditEvent::new(now, Some(&p.user.id), "user.totp_enrol", &p.user.id)
            .subject(&p.user.id);
        self.store
            .set_totp(&p.user.id, Some(secret), &ev)
            .await
            .map_err(internal)?;
        self.store
            .advance_totp_step(&p.user.id, step)
            .await
            .map_err(internal)?;
        if p.session.kind == WEB_ENROL {
            self.store
                .delete_session(&p.session.token_hash)
                .await
                .map_err(internal)?;
            let (token, _) = self.new_session(&p.user.id, WEB).await?;
            return Ok(Some(token));
        }
        Ok(None)
    }

    /// Turns the second factor off (citizens only; staff must keep it), after the password.
    /// Whether a TOTP code is right now and not used before (it is then marked used).
    async fn totp_fresh(
        &self,
        user: &User,
        secret: &str,
        code: &str,
        now: i64,
    ) -> Result<bool, DomainError> {
        let secret =
            totp::decode_secret(secret).ok_or(DomainError::Internal("bad TOTP secret".into()))?;
        let unix = (now / 1000).max(0) as u64;
        match totp::verify(&secret, code, unix, user.totp_last_step) {
            Some(step) => self
                .store
                .advance_totp_step(&user.id, step)
                .await
                .map_err(internal),
            None => Ok(false),
        }
    }

    /// Asks the signed-in person to prove it is them again before a weighty act (a trusted
    /// signature): their password, and their one-time code if they enrolled one.
    pub async fn reauthenticate(
        &self,
        p: &Principal,
        password: &str,
        code: Option<&str>,
    ) -> Result<(), DomainError> {
        let user = self
            .store
            .user_by_id(&p.user.id)
            .await
            .map_err(internal)?
            .ok_or(DomainError::Unauthenticated)?;
        self.recheck_password(&user, password).await?;
        if let Some(secret) = &user.totp_secret {
            let code = code.map(str::trim).filter(|c| !c.is_empty());
            let Some(code) = code else {
                return Err(DomainError::invalid("totp", "err-totp-required"));
            };
            if !self.totp_fresh(&user, secret, code, self.now_ms()).await? {
                return Err(DomainError::invalid("totp", "err-totp-wrong"));
            }
        }
        Ok(())
    }

    /// Checks a signed-in person's password again, at most [`MAX_RECHECKS`] times in the
    /// throttling window (then `Throttled` until it passes), so a session left open cannot
    /// be used to guess the password.
    pub(crate) async fn recheck_password(
        &self,
        user: &User,
        password: &str,
    ) -> Result<(), DomainError> {
        let now = self.now_ms();
        let key = format!("recheck:{}", user.id);
        let n = self
            .store
            .count_attempt(std::slice::from_ref(&key), now, now - THROTTLE_WINDOW_MS)
            .await
            .map_err(internal)?;
        if n.first().is_some_and(|n| *n > MAX_RECHECKS) {
            return Err(DomainError::Throttled);
        }
        if password.len() > 1024
            || !self
                .passwords
                .verify(password, Some(&user.password_hash))
                .await
        {
            return Err(DomainError::invalid("password", "err-password-wrong"));
        }
        self.store
            .clear_login_failures(&key)
            .await
            .map_err(internal)?;
        Ok(())
    }

    pub async fn disable_totp(&self, p: &Principal, password: &str) -> Result<(), DomainError> {
        if p.is_staff() {
            return Err(DomainError::invalid("password", "err-totp-staff"));
        }
        self.recheck_password(&p.user, password).await?;
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "user.totp_disable", &p.user.id)
            .subject(&p.user.id);
        self.store
            .set_totp(&p.user.id, None, &ev)
            .await
            .map_err(internal)
    }

    pub async fn set_locale(&self, p: &Principal, locale: &str) -> Result<(), DomainError> {
        self.store
            .set_locale(&p.user.id, locale)
            .await
            .map_err(internal)
    }
}
