//! Trusted profiles: a citizen applies online; a clerk at a post office counter (or an
//! official at an office's counter) finds the application by its number together with the
//! PESEL, compares the ID document in person and confirms or refuses. A confirmed profile is
//! valid three years; it can be renewed within six months of expiry. Every step is in the
//! audit trail with who, where and when, and the citizen sees it in the Data Tracker.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::ids::{Email, Pesel};
use okienko_domain::policy::{allowed, Action};
use okienko_domain::trusted::{self, IdCard};
use okienko_domain::{DomainError, FieldErrors, Millis, Role};
use okienko_store::{Mailbox, StoreError, TpApplication, TpDecision, TpOutcome, TrustedProfile};
use serde::Deserialize;
mod counter;

/// What a citizen fills in to apply.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApplicationInput {
    pub pesel: String,
    pub first_name: String,
    pub last_name: String,
    pub id_document_number: String,
    pub email: String,
    pub phone: String,
}

/// The address a person gives for letters, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AddressInput {
    pub street: String,
    pub building: String,
    pub flat: String,
    pub postal_code: String,
    pub city: String,
}

/// What a clerk types at the counter.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CounterInput {
    pub number: String,
    pub pesel: String,
    pub id_document_number: String,
}

fn phone(s: &str) -> Result<String, &'static str> {
    let t = s.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if (9..=15).contains(&digits)
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'))
    {
        Ok(t.to_string())
    } else {
        Err("err-phone")
    }
}

impl ApplicationInput {
    fn identity(&self) -> [&str; 4] {
        let i = self;
        [&i.pesel, &i.first_name, &i.last_name, &i.id_document_number]
    }
}

impl CounterRegistration {
    fn identity(&self) -> [&str; 4] {
        let i = self;
        [&i.pesel, &i.first_name, &i.last_name, &i.id_document_number]
    }
}

/// PESEL, first and last name and ID card as typed, each mistake at its field.
fn identity(
    errs: &mut FieldErrors,
    [pesel, first, last, card]: [&str; 4],
) -> Option<(Pesel, String, String, IdCard)> {
    let pesel = errs.check("pesel", Pesel::parse(pesel));
    let first = errs.check("first_name", name(first));
    let last = errs.check("last_name", name(last));
    let card = errs.check("id_document_number", IdCard::parse(card));
    Some((pesel?, first?, last?, card?))
}

fn name(s: &str) -> Result<String, &'static str> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 100 || !okienko_domain::text::clean_line(t) {
        Err("err-name")
    } else {
        Ok(t.to_string())
    }
}

/// The application's short number, read aloud at the counter: eight digits.
fn application_number() -> String {
    use rand::Rng;
    let n: u32 = rand::rngs::OsRng.gen_range(0..100_000_000);
    format!("{:04}-{:04}", n / 10_000, n % 10_000)
}

fn normalize_number(s: &str) -> String {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    if d.len() == 8 {
        format!("{}-{}", &d[..4], &d[4..])
    } else {
        s.trim().to_string()
    }
}

/// A person registered entirely at a counter (no computer or email needed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CounterRegistration {
    pub pesel: String,
    pub first_name: String,
    pub last_name: String,
    pub id_document_number: String,
    pub phone: String,
    /// Optional.
    pub email: String,
}

/// The one-time activation code printed for someone registered at a counter: twelve
/// characters of Crockford's alphabet (no I, L, O, U), shown in groups of four.
fn activation_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rngs::OsRng;
    (0..12)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// An activation code as typed: case and separators do not matter.
pub fn normalize_code(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_uppercase()
}

/// Whether a profile is in force at `now`.
pub fn in_force(p: &TrustedProfile, now: i64) -> bool {
    p.revoked_at.is_none() && now < p.valid_until
}

/// Where a counter decision is taken: the clerk's open post office, or none for an
/// official at an office's counter.
pub(crate) struct Counter {
    point_id: Option<String>,
    label: String,
}

impl Services {
    /// One PESEL, one person: whether this PESEL belongs to another account (its trusted
    /// profile not revoked, or its delivery mailbox), or this account already has a profile
    /// for another PESEL. The database holds to the first rule too, under any race.
    async fn pesel_conflict(
        &self,
        user_id: &str,
        pesel: &str,
    ) -> Result<Option<&'static str>, DomainError> {
        if let Some(tp) = self.store.trusted_profile(user_id).await? {
            if tp.pesel != pesel {
                return Ok(Some("err-pesel-not-yours"));
            }
        }
        let by_profile = self.store.trusted_profile_by_pesel(pesel).await?;
        let by_mailbox = self.store.mailbox_by_identifier(Some(pesel), None).await?;
        if by_profile.is_some_and(|tp| tp.user_id != user_id)
            || by_mailbox.is_some_and(|m| m.owner_user_id.as_deref() != Some(user_id))
        {
            return Ok(Some("err-pesel-registered"));
        }
        Ok(None)
    }

    /// Checks an application as [`Self::apply_trusted_profile`] would, storing nothing: the
    /// "check your answers" step before it is sent.
    pub async fn check_trusted_profile_application(
        &self,
        p: &Principal,
        input: &ApplicationInput,
    ) -> Result<(), DomainError> {
        self.valid_application(p, input).await.map(|_| ())
    }

    async fn valid_application(
        &self,
        p: &Principal,
        input: &ApplicationInput,
    ) -> Result<(Pesel, String, String, IdCard, Email, String), DomainError> {
        let mut errs = FieldErrors::new();
        let who = identity(&mut errs, input.identity());
        let email = errs.check("email", Email::parse(&input.email));
        let phone = errs.check("phone", phone(&input.phone));
        errs.finish()?;
        let (Some((pesel, first, last, card)), Some(email), Some(phone)) = (who, email, phone)
        else {
            return Err(DomainError::invalid("pesel", "err-pesel-format"));
        };
        if let Some(code) = self.pesel_conflict(&p.user.id, pesel.as_str()).await? {
            return Err(DomainError::invalid("pesel", code));
        }
        let now = self.now_ms();
        if let Some(tp) = self.store.trusted_profile(&p.user.id).await? {
            if in_force(&tp, now) && !trusted::may_extend(tp.valid_until, now) {
                return Err(DomainError::Conflict("err-profile-not-due"));
            }
        }
        if self
            .store
            .tp_applications_of(&p.user.id)
            .await?
            .iter()
            .any(|a| {
                a.status == okienko_domain::status::ApplicationStatus::Pending && a.expires_at > now
            })
        {
            return Err(DomainError::Conflict("err-application-pending"));
        }
        Ok((pesel, first, last, card, email, phone))
    }

    /// A citizen's application. One may wait at a time; a profile in force is renewed only
    /// within six months of its expiry.
    pub async fn apply_trusted_profile(
        &self,
        p: &Principal,
        input: &ApplicationInput,
    ) -> Result<TpApplication, DomainError> {
        let (pesel, first, last, card, email, phone) = self.valid_application(p, input).await?;
        let now = self.now_ms();
        for _ in 0..5 {
            let a = TpApplication {
                number: application_number(),
                user_id: p.user.id.clone(),
                pesel: pesel.as_str().to_string(),
                first_name: first.clone(),
                last_name: last.clone(),
                id_document: card.as_str().to_string(),
                email: email.as_str().to_string(),
                phone: phone.clone(),
                created_at: now,
                expires_at: trusted::application_expires(now),
                status: okienko_domain::status::ApplicationStatus::Pending,
                decided_at: None,
                decided_by: None,
                service_point_id: None,
                reason: None,
            };
            let ev = AuditEvent::new(now, Some(&p.user.id), "trusted_profile.apply", &a.number)
                .subject(&p.user.id);
            match self.store.create_tp_application(&a, &ev).await {
                Ok(()) => return Ok(a),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DomainError::Internal("no free application number".into()))
    }

    /// Shows the application a clerk found (to compare with the document in hand).
    pub async fn find_application(
        &self,
        p: &Principal,
        number: &str,
        pesel: &str,
    ) -> Result<TpApplication, DomainError> {
        self.counter(p).await?;
        self.application_at_counter(number, pesel).await
    }

    /// Confirms an application after comparing the ID document in person.
    pub async fn confirm_trusted_profile(
        &self,
        p: &Principal,
        input: &CounterInput,
    ) -> Result<TrustedProfile, DomainError> {
        let counter = self.counter(p).await?;
        let a = self
            .application_at_counter(&input.number, &input.pesel)
            .await?;
        let card = IdCard::parse(&input.id_document_number)
            .map_err(|c| DomainError::invalid("id_document_number", c))?;
        if card.as_str() != a.id_document {
            return Err(DomainError::invalid(
                "id_document_number",
                "err-id-document-mismatch",
            ));
        }
        if let Some(code) = self.pesel_conflict(&a.user_id, &a.pesel).await? {
            return Err(DomainError::invalid("pesel", code));
        }
        let now = self.now_ms();
        // A renewal continues from the old expiry; a first profile from today.
        let from = match self.store.trusted_profile(&a.user_id).await? {
            Some(old) if in_force(&old, now) => old.valid_until,
            _ => now,
        };
        let profile = TrustedProfile {
            user_id: a.user_id.clone(),
            pesel: a.pesel.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            valid_from: now,
            valid_until: trusted::profile_valid_until(from),
            confirmed_by: p.user.id.clone(),
            service_point_id: counter.point_id.clone(),
            application: a.number.clone(),
            revoked_at: None,
        };
        let decided = self
            .decide(p, &counter, &a, now, TpOutcome::Confirmed(&profile))
            .await
            .map_err(|e| match e {
                // Another counter confirmed this PESEL for another account a moment ago.
                StoreError::Conflict(_) => DomainError::invalid("pesel", "err-pesel-registered"),
                e => e.into(),
            })?;
        if !decided {
            return Err(DomainError::Conflict("err-application-decided"));
        }
        Ok(profile)
    }

    /// Refuses an application, with the reason the citizen will read.
    pub async fn refuse_trusted_profile(
        &self,
        p: &Principal,
        input: &CounterInput,
        reason: &str,
    ) -> Result<(), DomainError> {
        let counter = self.counter(p).await?;
        let a = self
            .application_at_counter(&input.number, &input.pesel)
            .await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(DomainError::invalid("reason", "err-reason"));
        }
        let now = self.now_ms();
        if !self
            .decide(p, &counter, &a, now, TpOutcome::Refused(reason))
            .await?
        {
            return Err(DomainError::Conflict("err-application-decided"));
        }
        Ok(())
    }

    /// Records the counter's decision on `a` with its audit event, once: false if the
    /// application was decided meanwhile.
    pub(crate) async fn decide(
        &self,
        p: &Principal,
        counter: &Counter,
        a: &TpApplication,
        now: Millis,
        outcome: TpOutcome<'_>,
    ) -> Result<bool, StoreError> {
        let (action, why) = match outcome {
            TpOutcome::Confirmed(_) => (
                "trusted_profile.confirm",
                format!(
                    "identity confirmed in person at {} by {}",
                    counter.label, p.user.display_name
                ),
            ),
            TpOutcome::Refused(r) => (
                "trusted_profile.refuse",
                format!(
                    "refused at {} by {}: {r}",
                    counter.label, p.user.display_name
                ),
            ),
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), action, &a.number)
            .subject(&a.user_id)
            .reason(why);
        let decision = TpDecision {
            number: &a.number,
            by: &p.user.id,
            at: now,
            service_point_id: counter.point_id.as_deref(),
            outcome,
        };
        self.store.decide_tp_application(&decision, &ev).await
    }

    /// One's own profile and applications.
    pub async fn my_trusted_profile(
        &self,
        p: &Principal,
    ) -> Result<(Option<TrustedProfile>, Vec<TpApplication>), DomainError> {
        Ok((
            self.store.trusted_profile(&p.user.id).await?,
            self.store.tp_applications_of(&p.user.id).await?,
        ))
    }

    /// Revokes one's own profile.
    pub async fn revoke_my_trusted_profile(&self, p: &Principal) -> Result<(), DomainError> {
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "trusted_profile.revoke", &p.user.id)
            .subject(&p.user.id);
        if self
            .store
            .revoke_trusted_profile(&p.user.id, now, &ev)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// The address one gave for letters, in the form language's stored form (`street`,
    /// `building`, `flat`, `postal_code`, `city`); it fills the address fields of forms.
    pub async fn my_address(
        &self,
        p: &Principal,
    ) -> Result<Option<serde_json::Value>, DomainError> {
        Ok(self
            .store
            .profile_address(&p.user.id)
            .await?
            .and_then(|a| serde_json::from_str(&a).ok()))
    }

    /// Keeps one's address for letters, checked as a form's address answer is; with every
    /// part left empty it is forgotten. Answers whether an address is now kept.
    pub async fn set_my_address(
        &self,
        p: &Principal,
        a: &AddressInput,
    ) -> Result<bool, DomainError> {
        let parts = [&a.street, &a.building, &a.flat, &a.postal_code, &a.city];
        let kept = if parts.iter().all(|s| s.trim().is_empty()) {
            None
        } else {
            let typed = serde_json::json!({
                "street": a.street, "building": a.building, "flat": a.flat,
                "postal_code": a.postal_code, "city": a.city,
            });
            let checked = okienko_domain::forms::address(&typed).map_err(|code| {
                let field = if code == "err-form-postal-code" {
                    "postal_code"
                } else if a.building.trim().is_empty() {
                    "building"
                } else if a.city.trim().is_empty() {
                    "city"
                } else {
                    "street"
                };
                DomainError::invalid(field, code)
            })?;
            Some(checked.to_string())
        };
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "trusted_profile.address", &p.user.id)
            .subject(&p.user.id);
        self.store
            .set_profile_address(&p.user.id, kept.as_deref(), now, &ev)
            .await?;
        Ok(kept.is_some())
    }

    /// An administrator revokes someone's trusted profile (found by the email they sign in
    /// with), with the reason the person reads in their Data Tracker.
    pub async fn admin_revoke_trusted_profile(
        &self,
        p: &Principal,
        email: &str,
        reason: &str,
    ) -> Result<(), DomainError> {
        if !allowed(&p.actor(), Action::RevokeTrustedProfile) {
            return Err(DomainError::NotFound);
        }
        let mut errs = FieldErrors::new();
        let email = errs.check("email", Email::parse(email));
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            errs.add("reason", "err-reason");
        }
        errs.finish()?;
        let Some(email) = email else {
            return Err(DomainError::invalid("email", "err-email-missing"));
        };
        let user = self
            .store
            .user_by_email(email.as_str())
            .await?
            .ok_or_else(|| DomainError::invalid("email", "err-no-such-user"))?;
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "trusted_profile.revoke", &user.id)
            .subject(&user.id)
            .reason(format!(
                "revoked by administrator {}: {reason}",
                p.user.display_name
            ));
        if self
            .store
            .revoke_trusted_profile(&user.id, now, &ev)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::invalid("email", "err-no-profile"))
        }
    }

    /// Opens the citizen's own delivery mailbox; needs a trusted profile in force (the
    /// identity confirmed in person). Returns the existing one if already open.
    pub async fn open_my_mailbox(&self, p: &Principal) -> Result<(Mailbox, bool), DomainError> {
        if !allowed(&p.actor(), Action::OpenOwnMailbox) {
            return Err(DomainError::NotFound);
        }
        if let Some((m, _)) = self
            .my_mailboxes(p)
            .await?
            .into_iter()
            .find(|(m, r)| m.kind == crate::mailboxes::PERSON && r == "owner")
        {
            return Ok((m, false));
        }
        let tp = self
            .store
            .trusted_profile(&p.user.id)
            .await?
            .filter(|tp| in_force(tp, self.now_ms()))
            .ok_or(DomainError::Conflict("err-needs-trusted-profile"))?;
        // One PESEL, one person, one mailbox.
        if self
            .store
            .mailbox_by_identifier(Some(&tp.pesel), None)
            .await?
            .is_some()
        {
            return Err(DomainError::Conflict("err-pesel-has-mailbox"));
        }
        let m = Mailbox {
            address: String::new(),
            kind: crate::mailboxes::PERSON.into(),
            name: format!("{} {}", tp.first_name, tp.last_name),
            owner_user_id: Some(p.user.id.clone()),
            office_id: None,
            pesel: Some(tp.pesel),
            nip: None,
            city: String::new(),
            created_at: 0,
        };
        Ok((self.create_mailbox(m, &[], Some(&p.user.id)).await?, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_names_and_numbers() {
        assert!(phone("+48 600 700 800").is_ok());
        assert!(phone("600-700-800").is_ok());
        assert!(phone("12345").is_err());
        assert!(phone("600 700 800 ext").is_err());
        assert!(name("  ").is_err());
        assert_eq!(normalize_number("1234 5678"), "1234-5678");
        let n = application_number();
        assert_eq!(n.len(), 9);
        assert_eq!(normalize_number(&n), n);
    }
}
