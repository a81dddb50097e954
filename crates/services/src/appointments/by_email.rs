//! Booking with a confirmed email and no account: the person gives their name and address, the
//! slot is held for ten minutes, and a link goes to the address; opening it and confirming books
//! the appointment (the address is then shown to be theirs). The same link, in every email about
//! the booking, lets them see, move and cancel it, and nothing else.
//!
//! The person is kept as an account without a password (as people registered at a counter or
//! invited staff are before they set one), so the limits per person (active bookings per
//! service, no-shows) hold for them as for anybody; the address's owner may later set a
//! password through "forgot password" and find their bookings there. An address with an
//! account already books into that account.

use super::*;
use hmac::{Hmac, Mac};
use okienko_domain::ids::{self, Email as EmailAddr};
use okienko_domain::{FieldErrors, Role, RoleGrant};
use okienko_store::User;

type HmacSha256 = Hmac<sha2::Sha256>;

/// The installation's key for booking links (made once, by whichever instance needs it first).
const LINK_KEY: &str = "appointment-link-key";

/// Who acts on a booking: its person signed in, or whoever has the link sent to its address.
#[derive(Clone, Copy)]
pub enum Holder<'a> {
    Person(&'a Principal),
    Link(&'a str),
}

impl Services {
    async fn link_mac(&self, appointment_id: &str) -> Result<HmacSha256, DomainError> {
        let key = match self.store.setting(LINK_KEY).await? {
            Some(k) => k,
            None => {
                self.store
                    .setting_init(LINK_KEY, &crate::new_secret().0)
                    .await?
            }
        };
        let mut m = HmacSha256::new_from_slice(key.as_bytes())
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        m.update(b"appointment:");
        m.update(appointment_id.as_bytes());
        Ok(m)
    }

    /// The key of a booking's link.
    async fn link_key(&self, appointment_id: &str) -> Result<String, DomainError> {
        Ok(hex::encode(
            self.link_mac(appointment_id).await?.finalize().into_bytes(),
        ))
    }

    /// Whether `key` is the booking's link key (compared in constant time).
    pub(super) async fn link_key_holds(
        &self,
        appointment_id: &str,
        key: &str,
    ) -> Result<bool, DomainError> {
        let Ok(bytes) = hex::decode(key.trim()) else {
            return Ok(false);
        };
        Ok(self
            .link_mac(appointment_id)
            .await?
            .verify_slice(&bytes)
            .is_ok())
    }

    /// The link to a booking in emails: with its key for a person without a password (they
    /// cannot sign in), the signed-in page otherwise.
    pub(super) async fn appointment_link(&self, a: &Appointment, user: &User) -> String {
        let page = format!("{}/appointments/{}", self.base_url, a.id);
        if !user.password_hash.is_empty() {
            return page;
        }
        match self.link_key(&a.id).await {
            Ok(key) => format!("{page}?key={key}"),
            Err(_) => page,
        }
    }

    /// The address of a person who opened a link sent to it is confirmed.
    pub(super) async fn link_confirms_email(
        &self,
        user_id: &str,
        now: Millis,
    ) -> Result<(), DomainError> {
        if let Some(u) = self.store.user_by_id(user_id).await? {
            if !u.email_verified {
                let ev = AuditEvent::new(now, Some(user_id), "user.verify_email", user_id)
                    .subject(user_id);
                self.store.set_email_verified(user_id, &ev).await?;
            }
        }
        Ok(())
    }

    /// Holds a free place in a slot for someone without an account (or not signed in) and
    /// sends the link that confirms it to their address. Throttled per client address and per
    /// address written to, as registration is: nobody can fill a stranger's mailbox, and a
    /// bot holding slots under many addresses is stopped at its client address (each hold
    /// gives its place back after ten minutes unless the link is opened).
    pub async fn hold_by_email(
        &self,
        slot_id: &str,
        name: &str,
        email: &str,
        locale: &str,
        client_ip: &str,
    ) -> Result<Appointment, DomainError> {
        let mut errs = FieldErrors::new();
        let addr = errs.check("email", EmailAddr::parse(email));
        let name = errs.check("name", ids::name(name));
        if addr
            .as_ref()
            .is_some_and(|a| a.as_str().ends_with(".invalid"))
        {
            errs.add("email", "err-email-invalid");
        }
        errs.finish()?;
        let (Some(addr), Some(name)) = (addr, name) else {
            return Err(DomainError::Internal("validation".into()));
        };
        // Counted once the request could send mail (a form with a mistake sends none).
        self.throttle_mail_requests(client_ip).await?;
        if !self.may_mail(addr.as_str()).await? {
            return Err(DomainError::Throttled);
        }
        let person = self.person_by_email(addr.as_str(), &name, locale).await?;
        if person.disabled {
            return Err(DomainError::invalid("email", "err-appt-email-refused"));
        }
        if self.restricted_until_of(&person.id).await?.is_some() {
            return Err(DomainError::Conflict("err-appt-restricted"));
        }
        let a = self
            .take_slot_for(&person, &person.id, slot_id, false)
            .await?;
        let lang = okienko_i18n::Lang::parse(locale).unwrap_or(okienko_i18n::Lang::Pl);
        let v = self.view(a.clone(), lang.code()).await;
        let page = format!("{}/appointments/{}", self.base_url, a.id);
        let link = format!("{page}?key={}", self.link_key(&a.id).await?);
        let when = self.local_when(a.starts_at);
        let until = self.local_when(a.place_until.unwrap_or(a.created_at));
        let args = [
            ("service", v.service_name.as_str()),
            ("place", a.place_name.as_str()),
            ("address", a.place_address.as_str()),
            ("when", when.as_str()),
            ("until", until.as_str()),
            ("link", link.as_str()),
        ];
        let mail = crate::mail::Email {
            to: addr.as_str().to_string(),
            subject: lang.t_args("mail-appt-held-subject", &args),
            body: lang.t_args("mail-appt-held-body", &args),
            attachments: Vec::new(),
        };
        self.mail
            .queue(self.store.as_ref(), &mail, self.now_ms())
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok(a)
    }

    /// The person of an address: its account, or a new one without a password.
    async fn person_by_email(
        &self,
        email: &str,
        name: &str,
        locale: &str,
    ) -> Result<User, DomainError> {
        if let Some(u) = self.store.user_by_email(email).await? {
            return Ok(u);
        }
        let now = self.now_ms();
        let user = User {
            id: crate::new_id(),
            email: email.to_string(),
            display_name: name.to_string(),
            password_hash: String::new(),
            email_verified: false,
            totp_secret: None,
            totp_last_step: None,
            locale: Some(locale.to_string()),
            disabled: false,
            created_at: now,
        };
        let ev = AuditEvent::new(now, Some(&user.id), "user.by_email", &user.id).subject(&user.id);
        match self
            .store
            .create_user(&user, &[RoleGrant::plain(Role::Citizen)], &ev)
            .await
        {
            Ok(()) => Ok(user),
            // The same address written twice at once: the other request made it.
            Err(StoreError::Conflict(_)) => self
                .store
                .user_by_email(email)
                .await?
                .ok_or(DomainError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
}
