//! Electronic delivery addresses and mailboxes, and the public address register.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::address::Address;
use okienko_domain::audit::AuditEvent;
use okienko_domain::ids::{Nip, Pesel};
use okienko_domain::policy::{allowed, Action};
use okienko_domain::DomainError;
use okienko_store::{Mailbox, StoreError};

/// The reason recorded for a register look-up when the official gave none.
pub const DEFAULT_LOOKUP_REASON: &str = "delivery address lookup";

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
                Err(e) => return Err(e.into()),
            }
        }
        Err(DomainError::Internal("no free address".into()))
    }

    /// The office's public-body mailbox, opened on first use.
    pub async fn office_mailbox(&self, office_id: &str) -> Result<Mailbox, DomainError> {
        if let Some(m) = self.store.office_mailbox(office_id).await? {
            return Ok(m);
        }
        let o = self
            .store
            .office(office_id)
            .await?
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
        let mut boxes = self.store.mailboxes_of_user(&p.user.id).await?;
        if self.officials_share_office_mailbox {
            for g in &p.grants {
                let role = match g.role {
                    okienko_domain::Role::Official => "official",
                    okienko_domain::Role::OfficeAdmin => "reader",
                    _ => continue,
                };
                let Some(office) = &g.office_id else {
                    continue;
                };
                if let Some(m) = self.store.office_mailbox(office).await? {
                    if !boxes.iter().any(|(b, _)| b.address == m.address) {
                        boxes.push((m, role.into()));
                    }
                }
            }
        }
        Ok(boxes)
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
            .map_err(DomainError::from)
    }

    /// The recipients typed in a form: delivery addresses, or public bodies by their name as
    /// the register shows it (a name that fits one office exactly). Items are separated by
    /// commas, semicolons or lines; addresses also by spaces. Anything else is one clear error
    /// for the field, not one per word.
    pub async fn resolve_recipients(&self, typed: &str) -> Result<Vec<String>, DomainError> {
        use okienko_domain::address::Address;
        let mut out = Vec::new();
        let mut unknown = false;
        for item in typed.split([',', ';', '\n']).map(str::trim) {
            if item.is_empty() {
                continue;
            }
            let words: Vec<&str> = item.split_whitespace().collect();
            if words.iter().all(|w| Address::parse(w).is_ok()) {
                out.extend(words.iter().map(|w| w.to_string()));
                continue;
            }
            let wanted = item.to_lowercase();
            let found: Vec<Mailbox> = self
                .search_register(item)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|m| m.name.to_lowercase() == wanted)
                .collect();
            match found.as_slice() {
                [one] => out.push(one.address.clone()),
                _ => unknown = true,
            }
        }
        if unknown {
            return Err(DomainError::invalid("to", "err-recipient-unknown"));
        }
        Ok(out)
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
            .await?;
        let object = match (&pesel, &nip) {
            (Some(p), _) => format!("PESEL {}", p.as_str()),
            (_, Some(n)) => format!("NIP {}", n.as_str()),
            _ => String::new(),
        };
        let mut ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "register.lookup", object)
            .reason(if reason.trim().is_empty() {
                DEFAULT_LOOKUP_REASON
            } else {
                reason.trim()
            });
        if let Some(owner) = found.as_ref().and_then(|m| m.owner_user_id.as_deref()) {
            ev = ev.subject(owner);
        }
        self.store.append_audit(&ev).await?;
        found.ok_or(DomainError::NotFound)
    }
}

/// Roles a member of a public body's mailbox may have: officials read and send, readers
/// only read.
pub const OFFICE_MEMBER_ROLES: [&str; 2] = ["official", "reader"];
/// Roles of a company's representatives: administrators read, send and manage access;
/// readers only read. The owner holds the mailbox itself.
pub const COMPANY_MEMBER_ROLES: [&str; 2] = ["administrator", "reader"];

/// Whether a role in a mailbox lets one send from it.
pub fn may_send(role: &str) -> bool {
    role != "reader"
}

/// A mailbox with the people who may use it, for whoever manages its access.
pub struct MailboxAccess {
    pub mailbox: Mailbox,
    pub owner: Option<okienko_store::User>,
    pub members: Vec<(okienko_store::User, String)>,
    pub roles: &'static [&'static str],
}

impl Services {
    /// Who manages access to a mailbox: for a public body, its office's administrators; for
    /// a company or person, the owner and the company's administrators.
    async fn manageable(&self, p: &Principal, address: &str) -> Result<Mailbox, DomainError> {
        let m = self
            .store
            .mailbox(address)
            .await?
            .ok_or(DomainError::NotFound)?;
        let ok = match (&m.office_id, m.kind.as_str()) {
            (Some(office), _) => allowed(&p.actor(), Action::ManageStaff { office_id: office }),
            (None, PERSON) => m.owner_user_id.as_deref() == Some(p.user.id.as_str()),
            (None, _) => {
                m.owner_user_id.as_deref() == Some(p.user.id.as_str())
                    || self
                        .my_mailboxes(p)
                        .await?
                        .iter()
                        .any(|(x, r)| x.address == m.address && r == "administrator")
            }
        };
        if ok {
            Ok(m)
        } else {
            Err(DomainError::NotFound)
        }
    }

    fn member_roles(m: &Mailbox) -> &'static [&'static str] {
        if m.kind == PUBLIC_BODY {
            &OFFICE_MEMBER_ROLES
        } else {
            &COMPANY_MEMBER_ROLES
        }
    }

    pub async fn mailbox_access(
        &self,
        p: &Principal,
        address: &str,
    ) -> Result<MailboxAccess, DomainError> {
        let mailbox = self.manageable(p, address).await?;
        let owner = match &mailbox.owner_user_id {
            Some(u) => self.store.user_by_id(u).await?,
            None => None,
        };
        let members = self.store.mailbox_members(address).await?;
        Ok(MailboxAccess {
            roles: Self::member_roles(&mailbox),
            mailbox,
            owner,
            members,
        })
    }

    /// Grants someone (by email) a role in a mailbox. For a public body only the office's own
    /// staff can be granted; a person's mailbox takes no members.
    pub async fn grant_mailbox(
        &self,
        p: &Principal,
        address: &str,
        email: &str,
        role: &str,
    ) -> Result<(), DomainError> {
        let m = self.manageable(p, address).await?;
        let mut errs = okienko_domain::FieldErrors::new();
        if m.kind == PERSON {
            return Err(DomainError::invalid("email", "err-person-mailbox-members"));
        }
        let role = match Self::member_roles(&m).iter().find(|r| **r == role) {
            Some(r) => *r,
            None => {
                errs.add("role", "err-mailbox-role");
                ""
            }
        };
        let user = match okienko_domain::ids::Email::parse(email) {
            Err(c) => {
                errs.add("email", c);
                None
            }
            Ok(e) => match self.store.user_by_email(e.as_str()).await? {
                None => {
                    errs.add("email", "err-no-such-user");
                    None
                }
                Some(u) => Some(u),
            },
        };
        errs.finish()?;
        let Some(user) = user else {
            return Err(DomainError::invalid("email", "err-no-such-user"));
        };
        if let Some(office) = &m.office_id {
            let staff = self
                .store
                .grants_of(&user.id)
                .await?
                .iter()
                .any(|g| g.office_id.as_deref() == Some(office));
            if !staff {
                return Err(DomainError::invalid("email", "err-not-office-staff"));
            }
        }
        if m.owner_user_id.as_deref() == Some(user.id.as_str()) {
            return Err(DomainError::invalid("email", "err-already-member"));
        }
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "mailbox.member", address)
            .subject(&user.id)
            .reason(role);
        match self
            .store
            .add_mailbox_member(address, &user.id, role, &ev)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(_)) => {
                Err(DomainError::invalid("email", "err-already-member"))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn revoke_mailbox(
        &self,
        p: &Principal,
        address: &str,
        user_id: &str,
    ) -> Result<(), DomainError> {
        self.manageable(p, address).await?;
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "mailbox.member.remove",
            address,
        )
        .subject(user_id);
        self.store
            .remove_mailbox_member(address, user_id, &ev)
            .await
            .map_err(DomainError::from)
    }
}

/// What is new in one of a person's mailboxes, for their start page.
#[derive(Debug, Clone)]
pub struct MailboxNews {
    pub address: String,
    pub name: String,
    /// Messages nobody has opened yet.
    pub unread: i64,
    /// When the first unopened letter from a public body counts as delivered anyway.
    pub deemed_on: Option<okienko_domain::Millis>,
}

impl Services {
    /// The person's mailboxes that have unopened messages, in one query.
    pub async fn news(&self, p: &Principal) -> Result<Vec<MailboxNews>, DomainError> {
        let boxes = self.my_mailboxes(p).await?;
        let addresses: Vec<String> = boxes.iter().map(|(m, _)| m.address.clone()).collect();
        let counts = self.store.unread_counts(&addresses).await?;
        Ok(boxes
            .into_iter()
            .filter_map(|(m, _)| {
                let c = counts.iter().find(|c| c.address == m.address)?;
                Some(MailboxNews {
                    unread: c.unread,
                    deemed_on: c
                        .first_deemable_at
                        .map(|t| t + crate::delivery::DEEMED_AFTER_MS),
                    address: m.address,
                    name: m.name,
                })
            })
            .collect())
    }
}
