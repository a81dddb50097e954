//! Electronic delivery addresses and mailboxes, and the public address register.

use crate::accounts::Principal;
use crate::{internal, Services};
use okienko_domain::address::Address;
use okienko_domain::audit::AuditEvent;
use okienko_domain::ids::{Nip, Pesel};
use okienko_domain::policy::{allowed, Action};
use okienko_domain::DomainError;
use okienko_store::{Mailbox, StoreError};

pub const PERSON: &str = "person";
pub const COMPANY: &str = "company";
pub const PUBLIC_BODY: &str = "public_body";

/// A fresh random address.
pub fn new_address() -> Result<Address, DomainError> {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    let digits: String = (0..10)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect();
    let letters: String = (0..5)
        .map(|_| char::from(b'A' + rng.gen_range(0..26u8)))
        .collect();
    Address::from_parts(&digits, &letters).map_err(|e| DomainError::Internal(e.into()))
}

impl Services {
    /// Creates a mailbox under a fresh address (retrying on the rare clash).
    pub async fn create_mailbox(
        &self,
        mut m: Mailbox,
        members: &[(String, String)],
        actor: Option<&str>,
    ) -> Result<Mailbox, DomainError> {
        for _ in 0..5 {
            m.address = new_address()?.to_string();
            m.created_at = self.now_ms();
            let mut ev = AuditEvent::new(m.created_at, actor, "mailbox.create", &m.address);
            if let Some(owner) = &m.owner_user_id {
                ev = ev.subject(owner);
            }
            match self.store.create_mailbox(&m, members, &ev).await {
                Ok(()) => return Ok(m),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(internal(e)),
            }
        }
        Err(DomainError::Internal("no free address".into()))
    }

    /// The office's public-body mailbox, opened on first use.
    pub async fn office_mailbox(&self, office_id: &str) -> Result<Mailbox, DomainError> {
        if let Some(m) = self
            .store
            .office_mailbox(office_id)
            .await
            .map_err(internal)?
        {
            return Ok(m);
        }
        let o = self
            .store
            .office(office_id)
            .await
            .map_err(internal)?
            .ok_or(DomainError::NotFound)?;
        let m = Mailbox {
            address: String::new(),
            kind: PUBLIC_BODY.into(),
            name: o.name,
            owner_user_id: None,
            office_id: Some(o.id),
            pesel: None,
            nip: Some(o.nip),
            city: o.city,
            created_at: 0,
        };
        self.create_mailbox(m, &[], None).await
    }

    /// The mailboxes the principal may use, with their role in each.
    pub async fn my_mailboxes(&self, p: &Principal) -> Result<Vec<(Mailbox, String)>, DomainError> {
        self.store
            .mailboxes_of_user(&p.user.id)
            .await
            .map_err(internal)
    }

    /// The public register: public bodies by name, NIP or city. Anyone may search it.
    pub async fn search_register(&self, q: &str) -> Result<Vec<Mailbox>, DomainError> {
        let q = q.trim();
        if q.chars().count() > 100 {
            return Err(DomainError::invalid("q", "err-register-query"));
        }
        self.store
            .search_public_mailboxes(q, 50)
            .await
            .map_err(internal)
    }

    /// A person's or company's address by exact PESEL or NIP, for public-body senders only.
    /// Every lookup is recorded, and a person sees it in their Data Tracker.
    pub async fn lookup_private_address(
        &self,
        p: &Principal,
        pesel: Option<&str>,
        nip: Option<&str>,
        reason: &str,
    ) -> Result<Mailbox, DomainError> {
        if !allowed(&p.actor(), Action::LookupPrivateAddress) {
            return Err(DomainError::NotFound);
        }
        let pesel = match pesel.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(Pesel::parse(s).map_err(|c| DomainError::invalid("pesel", c))?),
            None => None,
        };
        let nip = match nip.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(Nip::parse(s).map_err(|c| DomainError::invalid("nip", c))?),
            None => None,
        };
        if pesel.is_none() && nip.is_none() {
            return Err(DomainError::invalid("pesel", "err-lookup-missing"));
        }
        let found = self
            .store
            .mailbox_by_identifier(
                pesel.as_ref().map(Pesel::as_str),
                nip.as_ref().map(Nip::as_str),
            )
            .await
            .map_err(internal)?;
        let object = match (&pesel, &nip) {
            (Some(p), _) => format!("PESEL {}", p.as_str()),
            (_, Some(n)) => format!("NIP {}", n.as_str()),
            _ => String::new(),
        };
        let mut ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "register.lookup", object)
            .reason(if reason.trim().is_empty() {
                "delivery address lookup"
            } else {
                reason.trim()
            });
        if let Some(owner) = found.as_ref().and_then(|m| m.owner_user_id.as_deref()) {
            ev = ev.subject(owner);
        }
        self.store.append_audit(&ev).await.map_err(internal)?;
        found.ok_or(DomainError::NotFound)
    }
}
