//! Registration and the emailed links: verifying an address, offering and confirming a new one, resetting a password, with the mail throttles.

use super::*;

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
        if self.store.user_by_email(email.as_str()).await?.is_some() {
            if self.may_mail(email.as_str()).await? {
                let link = format!("{}/password/forgot", self.base_url);
                let (subject, body) = texts.account_exists(&link);
                let mail = Email {
                    attachments: Vec::new(),
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
    pub(crate) async fn throttle_mail_requests(&self, client_ip: &str) -> Result<(), DomainError> {
        let now = self.now_ms();
        let n = self
            .store
            .count_attempt(
                &[format!("mail-ip:{client_ip}")],
                now,
                now - THROTTLE_WINDOW_MS,
            )
            .await?;
        if n.first().is_some_and(|n| *n > MAX_MAIL_REQUESTS_PER_IP) {
            return Err(DomainError::Throttled);
        }
        Ok(())
    }

    /// Whether one more email may go to this address now (at most [`MAX_MAILS_PER_ADDRESS`] in
    /// the window, whoever asks): nobody can flood someone's mailbox through okienko.
    pub(crate) async fn may_mail(&self, email: &str) -> Result<bool, DomainError> {
        let now = self.now_ms();
        let n = self
            .store
            .count_attempt(
                &[format!("mail-to:{}", hash_secret(&email.to_lowercase()))],
                now,
                now - THROTTLE_WINDOW_MS,
            )
            .await?;
        Ok(n.first().is_some_and(|n| *n <= MAX_MAILS_PER_ADDRESS))
    }

    pub(crate) async fn send_verification(
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
        if let Some(u) = self.store.user_by_email(email.as_str()).await? {
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
            .await?
            .ok_or(DomainError::TokenInvalid)?;
        let ev =
            AuditEvent::new(now, Some(&user_id), "user.verify_email", &user_id).subject(&user_id);
        self.store
            .set_email_verified(&user_id, &ev)
            .await
            .map_err(DomainError::from)
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
            .await?;
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
                    attachments: Vec::new(),
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
            .await?;
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
        let Some(user) = self.store.user_by_email(email.as_str()).await? else {
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
        let user_id = match self.store.consume_token("reset", &hash, now).await? {
            Some(u) => u,
            None => self
                .store
                .consume_token("setup", &hash, now)
                .await?
                .ok_or(DomainError::TokenInvalid)?,
        };
        let pw = self
            .passwords
            .hash(password)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let ev =
            AuditEvent::new(now, Some(&user_id), "user.reset_password", &user_id).subject(&user_id);
        self.store.set_password(&user_id, &pw, &ev).await?;
        // Reaching the link proves control of the address.
        let ev =
            AuditEvent::new(now, Some(&user_id), "user.verify_email", &user_id).subject(&user_id);
        self.store.set_email_verified(&user_id, &ev).await?;
        self.store
            .delete_user_sessions(&user_id)
            .await
            .map_err(DomainError::from)
    }

    /// Creates a one-time token of `kind`, valid for `ttl_ms`, and emails the person a link
    /// to `path?token=…` in the words `compose` gives (subject, body).
    pub(crate) async fn email_link(
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
            .await?;
        let sep = if path.contains('?') { '&' } else { '?' };
        let (subject, body) = compose(&format!("{}{path}{sep}token={token}", self.base_url));
        let email = Email {
            attachments: Vec::new(),
            to: user.email.clone(),
            subject,
            body,
        };
        self.mail
            .queue(self.store.as_ref(), &email, now)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))
    }
}
