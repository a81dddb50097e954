//! The second factor: offering a TOTP secret under a seal, enrolling it, re-checking a password, turning it off.

use super::*;

impl Services {
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
        let key = match self.store.setting(TOTP_OFFER_KEY).await? {
            Some(k) => k,
            None => {
                self.store
                    .setting_init(TOTP_OFFER_KEY, &crate::new_secret().0)
                    .await?
            }
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
        self.store.set_totp(&p.user.id, Some(secret), &ev).await?;
        self.store.advance_totp_step(&p.user.id, step).await?;
        if p.session.kind == WEB_ENROL {
            self.store.delete_session(&p.session.token_hash).await?;
            let (token, _) = self.new_session(&p.user.id, WEB, &p.session.device).await?;
            return Ok(Some(token));
        }
        Ok(None)
    }

    /// Turns the second factor off (citizens only; staff must keep it), after the password.
    /// Whether a TOTP code is right now and not used before (it is then marked used).
    pub(crate) async fn totp_fresh(
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
                .map_err(DomainError::from),
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
            .await?
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
            .await?;
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
        self.store.clear_login_failures(&key).await?;
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
            .map_err(DomainError::from)
    }
}
