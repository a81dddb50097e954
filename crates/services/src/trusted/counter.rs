//! A trusted profile at the post office counter: registering a person who has no account, finding and activating their application, and signing with a confirmed profile.

use super::*;

impl Services {
    /// A trusted signature: a detached CMS signature over the file with the installation's
    /// trusted-signature certificate, carrying the signer's name and PESEL as a signed
    /// attribute, time-stamped (CAdES-T). The person confirms with their password (and
    /// one-time code if enrolled) before each signature; each signature is in their Data
    /// Tracker.
    pub async fn sign_trusted(
        &self,
        p: &Principal,
        name: &str,
        content: Vec<u8>,
        password: &str,
        code: Option<&str>,
    ) -> Result<Vec<u8>, DomainError> {
        use okienko_trust::sign::{
            add_signature_timestamp, sign, signature_value, signer_person, SignRequest,
        };
        let now = self.now_ms();
        let tp = self
            .store
            .trusted_profile(&p.user.id)
            .await?
            .filter(|tp| in_force(tp, now))
            .ok_or(DomainError::Conflict("err-needs-trusted-profile-sign"))?;
        if content.is_empty() {
            return Err(DomainError::invalid("file", "err-file-empty"));
        }
        self.reauthenticate(p, password, code).await?;
        let (signer, chain) = self.trusted_signer().await?;
        let at = self.clock.now();
        let digest = hex::encode(okienko_trust::sha256(&content));
        let person = format!("{} {}", tp.first_name, tp.last_name);
        let serial = format!("PNOPL-{}", tp.pesel);
        let signed = tokio::task::spawn_blocking(move || {
            let mut req = SignRequest::data(&content, true, at);
            req.extra_signed.push(signer_person(&person, &serial)?);
            sign(&req, &signer, &chain)
        })
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .map_err(|e| DomainError::Internal(e.to_string()))?;
        let sv = signature_value(&signed).map_err(|e| DomainError::Internal(e.to_string()))?;
        let token = self.time_stamp_token(&sv).await?;
        let out = add_signature_timestamp(&signed, &token)
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "trusted_signature.sign",
            format!("{name} (SHA-256 {digest})"),
        )
        .subject(&p.user.id);
        self.store.append_audit(&ev).await?;
        Ok(out)
    }
}

impl Services {
    /// The counter the principal decides at: a clerk's open service point, or an office's
    /// counter for an official. A clerk whose every service point is closed is refused.
    pub(crate) async fn counter(&self, p: &Principal) -> Result<Counter, DomainError> {
        if !allowed(&p.actor(), Action::ConfirmIdentity) {
            return Err(DomainError::NotFound);
        }
        // A clerk decides at their open post office (the one rule of `clerk_point`).
        let closed = match self.clerk_point(p).await {
            Ok(sp) => {
                return Ok(Counter {
                    label: sp.name,
                    point_id: Some(sp.id),
                })
            }
            Err(DomainError::Conflict(_)) => true,
            Err(DomainError::NotFound) => false,
            Err(e) => return Err(e),
        };
        if let Some(office) = p
            .grants
            .iter()
            .find(|g| g.role == Role::Official)
            .and_then(|g| g.office_id.clone())
        {
            let label = match self.store.office(&office).await? {
                Some(o) => o.name,
                None => office,
            };
            return Ok(Counter {
                point_id: None,
                label,
            });
        }
        if closed {
            return Err(DomainError::Conflict("err-point-closed"));
        }
        Err(DomainError::NotFound)
    }

    /// Checks a registration as [`Self::register_at_counter`] would, creating nothing: the
    /// details to read out to the person before their account is opened.
    pub async fn check_counter_registration(
        &self,
        p: &Principal,
        input: &CounterRegistration,
    ) -> Result<(), DomainError> {
        self.valid_registration(p, input).await.map(|_| ())
    }

    #[allow(clippy::type_complexity)]
    async fn valid_registration(
        &self,
        p: &Principal,
        input: &CounterRegistration,
    ) -> Result<
        (
            Counter,
            Pesel,
            String,
            String,
            IdCard,
            String,
            Option<Email>,
        ),
        DomainError,
    > {
        let counter = self.counter(p).await?;
        let mut errs = FieldErrors::new();
        let who = identity(&mut errs, input.identity());
        let phone_no = if input.phone.trim().is_empty() {
            Some(String::new())
        } else {
            errs.check("phone", phone(&input.phone))
        };
        let email = if input.email.trim().is_empty() {
            None
        } else {
            errs.check("email", Email::parse(&input.email))
        };
        errs.finish()?;
        let (Some((pesel, first, last, card)), Some(phone_no)) = (who, phone_no) else {
            return Err(DomainError::invalid("pesel", "err-pesel-format"));
        };
        // A new account: any profile or mailbox for this PESEL belongs to someone else.
        if let Some(code) = self.pesel_conflict("", pesel.as_str()).await? {
            return Err(DomainError::invalid("pesel", code));
        }
        Ok((counter, pesel, first, last, card, phone_no, email))
    }

    /// Registers a person entirely at the counter, identity checked in person: their account
    /// (sign-in with PESEL, or email if they have one), a trusted profile in force, and a
    /// one-time activation code to print for them (see [`Services::activation_sheet`]) with
    /// which they set their password.
    pub async fn register_at_counter(
        &self,
        p: &Principal,
        input: &CounterRegistration,
        texts: &dyn crate::accounts::MailTexts,
    ) -> Result<okienko_store::User, DomainError> {
        let (counter, pesel, first, last, card, phone_no, email) =
            self.valid_registration(p, input).await?;
        let now = self.now_ms();
        // The login is the PESEL (an address that can never receive mail, RFC 2606
        // `.invalid`). An email the clerk typed is not trusted as the login: nobody has shown
        // it is theirs, and "forgot password" on it would hand over a confirmed identity. It
        // gets a confirmation link that works only for the person signed in to this account
        // (after activating it with the printed code): then it becomes their login.
        let login = format!("{}@{}", pesel.as_str(), crate::accounts::COUNTER_DOMAIN);
        let user = okienko_store::User {
            id: crate::new_id(),
            email: login,
            display_name: format!("{first} {last}"),
            password_hash: String::new(),
            email_verified: false,
            totp_secret: None,
            totp_last_step: None,
            locale: None,
            disabled: false,
            created_at: now,
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "user.register_at_counter", &user.id)
            .subject(&user.id)
            .reason(format!(
                "registered in person at {} by {}",
                counter.label, p.user.display_name
            ));
        match self
            .store
            .create_user(
                &user,
                &[okienko_domain::RoleGrant::plain(Role::Citizen)],
                &ev,
            )
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(DomainError::invalid("email", "err-email-taken"))
            }
            Err(e) => return Err(e.into()),
        }
        let app = TpApplication {
            number: application_number(),
            user_id: user.id.clone(),
            pesel: pesel.as_str().to_string(),
            first_name: first.clone(),
            last_name: last.clone(),
            id_document: card.as_str().to_string(),
            email: email
                .as_ref()
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
            phone: phone_no,
            created_at: now,
            expires_at: trusted::application_expires(now),
            status: okienko_domain::status::ApplicationStatus::Pending,
            decided_at: None,
            decided_by: None,
            service_point_id: None,
            reason: None,
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "trusted_profile.apply", &app.number)
            .subject(&user.id)
            .reason(format!("applied in person at {}", counter.label));
        self.store.create_tp_application(&app, &ev).await?;
        let profile = TrustedProfile {
            user_id: user.id.clone(),
            pesel: app.pesel.clone(),
            first_name: first,
            last_name: last,
            valid_from: now,
            valid_until: trusted::profile_valid_until(now),
            confirmed_by: p.user.id.clone(),
            service_point_id: counter.point_id.clone(),
            application: app.number.clone(),
            revoked_at: None,
        };
        self.decide(p, &counter, &app, now, TpOutcome::Confirmed(&profile))
            .await?;
        if let Some(e) = &email {
            self.offer_email(&user, e.as_str(), texts).await?;
        }
        Ok(user)
    }

    /// A person registered at a counter who has not activated the account yet, for the
    /// counter staff to see and print the activation sheet for.
    pub async fn counter_registration(
        &self,
        p: &Principal,
        user_id: &str,
    ) -> Result<okienko_store::User, DomainError> {
        self.counter(p).await?;
        let user = self
            .store
            .user_by_id(user_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        // Only an account that was opened with a confirmed identity and has no password yet:
        // once activated, the person resets their own password.
        if self.store.trusted_profile(&user.id).await?.is_none() {
            return Err(DomainError::NotFound);
        }
        if !user.password_hash.is_empty() {
            return Err(DomainError::Conflict("err-already-activated"));
        }
        Ok(user)
    }

    /// A new one-time activation code (valid 14 days) for the sheet the clerk prints and hands
    /// over; a sheet printed before stops working. Returns the code as printed
    /// (`XXXX-XXXX-XXXX`).
    pub async fn activation_sheet(
        &self,
        p: &Principal,
        user_id: &str,
    ) -> Result<(okienko_store::User, String), DomainError> {
        let counter = self.counter(p).await?;
        let user = self.counter_registration(p, user_id).await?;
        let now = self.now_ms();
        let code = activation_code();
        let ev = AuditEvent::new(now, Some(&p.user.id), "user.activation_code", &user.id)
            .subject(&user.id)
            .reason(format!(
                "activation code printed at {} by {}",
                counter.label, p.user.display_name
            ));
        self.store
            .replace_token(
                "reset",
                &crate::hash_secret(&code),
                &user.id,
                now + trusted::APPLICATION_VALID,
                &ev,
            )
            .await?;
        let printed = format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..]);
        Ok((user, printed))
    }

    /// Activates an account registered at a counter: the printed code and a new password.
    pub async fn activate(&self, code: &str, password: &str) -> Result<(), DomainError> {
        let code = normalize_code(code);
        if code.len() != 12 {
            return Err(DomainError::invalid("code", "err-activation-code"));
        }
        match self.reset_password(&code, password).await {
            Err(DomainError::TokenInvalid) => {
                Err(DomainError::invalid("code", "err-activation-code"))
            }
            other => other,
        }
    }

    /// Finds a pending, unexpired application by its number and the applicant's PESEL.
    /// Anything else that does not match looks the same: not found.
    pub(crate) async fn application_at_counter(
        &self,
        number: &str,
        pesel: &str,
    ) -> Result<TpApplication, DomainError> {
        let pesel = Pesel::parse(pesel).map_err(|c| DomainError::invalid("pesel", c))?;
        let a = self
            .store
            .tp_application(&normalize_number(number))
            .await?
            .filter(|a| a.pesel == pesel.as_str())
            .ok_or_else(|| DomainError::invalid("number", "err-application-not-found"))?;
        if a.status != okienko_domain::status::ApplicationStatus::Pending {
            return Err(DomainError::Conflict("err-application-decided"));
        }
        if a.expires_at <= self.now_ms() {
            return Err(DomainError::Conflict("err-application-expired"));
        }
        Ok(a)
    }
}
