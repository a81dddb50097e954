//! Offices, service points, departments and staff. Every action asks the policy first.

use crate::accounts::{MailTexts, Principal};
use crate::{new_id, store_err, Services};
use okienko_domain::audit::AuditEvent;
use okienko_domain::ids::{self, Email, Nip, Regon};
use okienko_domain::policy::{allowed, Action};
use okienko_domain::{DomainError, FieldErrors, Role, RoleGrant};
use okienko_store::{Department, Office, ServicePoint, User};
mod staff;

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct OfficeInput {
    pub name: String,
    pub nip: String,
    pub regon: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PointInput {
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// "1" when open (a checkbox).
    pub is_open: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct StaffInput {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub department_id: String,
}

fn deny() -> DomainError {
    DomainError::NotFound
}

pub(crate) fn check(p: &Principal, a: Action<'_>) -> Result<(), DomainError> {
    if allowed(&p.actor(), a) {
        Ok(())
    } else {
        Err(deny())
    }
}

struct Address {
    street: String,
    postal_code: String,
    city: String,
}

fn address(errs: &mut FieldErrors, street: &str, postal: &str, city: &str) -> Option<Address> {
    let street = errs.check("street", ids::name(street).map_err(|_| "err-street"));
    let postal_code = errs.check("postal_code", ids::postal_code(postal));
    let city = errs.check("city", ids::name(city).map_err(|_| "err-city"));
    Some(Address {
        street: street?,
        postal_code: postal_code?,
        city: city?,
    })
}

impl OfficeInput {
    fn validate(&self, id: String, created_at: i64) -> Result<Office, DomainError> {
        let mut errs = FieldErrors::new();
        let name = errs.check("name", ids::name(&self.name));
        let nip = errs.check("nip", Nip::parse(&self.nip));
        let regon = errs.check("regon", Regon::parse(&self.regon));
        let addr = address(&mut errs, &self.street, &self.postal_code, &self.city);
        errs.finish()?;
        match (name, nip, regon, addr) {
            (Some(name), Some(nip), Some(regon), Some(a)) => Ok(Office {
                id,
                name,
                nip: nip.as_str().to_string(),
                regon: regon.as_str().to_string(),
                street: a.street,
                postal_code: a.postal_code,
                city: a.city,
                created_at,
            }),
            _ => Err(DomainError::Internal("validation".into())),
        }
    }
}

impl PointInput {
    fn validate(&self, id: String, created_at: i64) -> Result<ServicePoint, DomainError> {
        let mut errs = FieldErrors::new();
        let name = errs.check("name", ids::name(&self.name));
        let addr = address(&mut errs, &self.street, &self.postal_code, &self.city);
        errs.finish()?;
        match (name, addr) {
            (Some(name), Some(a)) => Ok(ServicePoint {
                id,
                name,
                street: a.street,
                postal_code: a.postal_code,
                city: a.city,
                is_open: self
                    .is_open
                    .as_deref()
                    .is_some_and(|v| v == "1" || v == "on" || v == "true"),
                created_at,
            }),
            _ => Err(DomainError::Internal("validation".into())),
        }
    }
}

fn nip_conflict(e: okienko_store::StoreError) -> DomainError {
    match store_err("err-nip-taken")(e) {
        DomainError::Conflict(c) => DomainError::invalid("nip", c),
        other => other,
    }
}

fn name_conflict(e: okienko_store::StoreError) -> DomainError {
    match store_err("err-name-taken")(e) {
        DomainError::Conflict(c) => DomainError::invalid("name", c),
        other => other,
    }
}

impl Services {
    pub async fn offices(&self, p: &Principal) -> Result<Vec<Office>, DomainError> {
        check(p, Action::ManageOffices)?;
        self.store.offices().await.map_err(DomainError::from)
    }

    pub async fn create_office(
        &self,
        p: &Principal,
        input: &OfficeInput,
    ) -> Result<Office, DomainError> {
        check(p, Action::ManageOffices)?;
        let now = self.now_ms();
        let office = input.validate(new_id(), now)?;
        let ev = AuditEvent::new(now, Some(&p.user.id), "office.create", &office.id);
        self.store
            .create_office(&office, &ev)
            .await
            .map_err(nip_conflict)?;
        // Every office gets its seal and its public-body mailbox right away.
        self.office_seal(&office.id).await?;
        self.office_mailbox(&office.id).await?;
        Ok(office)
    }

    pub async fn update_office(
        &self,
        p: &Principal,
        id: &str,
        input: &OfficeInput,
    ) -> Result<Office, DomainError> {
        check(p, Action::ManageOffices)?;
        let old = self.store.office(id).await?.ok_or(DomainError::NotFound)?;
        let office = input.validate(old.id, old.created_at)?;
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "office.update", &office.id);
        self.store
            .update_office(&office, &ev)
            .await
            .map_err(nip_conflict)?;
        Ok(office)
    }

    /// An office to edit, for those who manage offices.
    pub async fn office_to_edit(&self, p: &Principal, id: &str) -> Result<Office, DomainError> {
        check(p, Action::ManageOffices)?;
        self.store.office(id).await?.ok_or(DomainError::NotFound)
    }

    /// A service point to edit, for those who manage service points.
    pub async fn service_point_to_edit(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<ServicePoint, DomainError> {
        check(p, Action::ManageServicePoints)?;
        self.store
            .service_point(id)
            .await?
            .ok_or(DomainError::NotFound)
    }

    /// An office the principal may see, with its departments.
    pub async fn office(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(Office, Vec<Department>), DomainError> {
        check(p, Action::ViewOffice { office_id: id })?;
        let office = self.store.office(id).await?.ok_or(DomainError::NotFound)?;
        let depts = self.store.departments(id).await?;
        Ok((office, depts))
    }

    /// The office's staff with their roles. Reading them is a read of their personal data by
    /// staff, so each one is recorded for that person's Data Tracker.
    pub async fn office_staff(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<(User, Vec<RoleGrant>)>, DomainError> {
        check(p, Action::ManageStaff { office_id })?;
        let staff = self.store.office_staff(office_id).await?;
        let now = self.now_ms();
        for (u, _) in staff.iter().filter(|(u, _)| u.id != p.user.id) {
            let ev = AuditEvent::new(now, Some(&p.user.id), "person.read", "staff list")
                .subject(&u.id)
                .reason("office staff administration");
            self.store.append_audit(&ev).await?;
        }
        Ok(staff)
    }

    pub async fn create_department(
        &self,
        p: &Principal,
        office_id: &str,
        code: &str,
        name: &str,
    ) -> Result<Department, DomainError> {
        check(p, Action::ManageDepartments { office_id })?;
        self.store
            .office(office_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let mut errs = FieldErrors::new();
        let code = errs.check("code", ids::department_code(code));
        let name = errs.check("name", ids::name(name));
        errs.finish()?;
        let (Some(code), Some(name)) = (code, name) else {
            return Err(DomainError::Internal("validation".into()));
        };
        let d = Department {
            id: new_id(),
            office_id: office_id.to_string(),
            code,
            name,
        };
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "department.create", &d.id);
        self.store.create_department(&d, &ev).await.map_err(|e| {
            match store_err("err-department-taken")(e) {
                DomainError::Conflict(c) => DomainError::invalid("code", c),
                other => other,
            }
        })?;
        Ok(d)
    }

    pub async fn delete_department(
        &self,
        p: &Principal,
        office_id: &str,
        id: &str,
    ) -> Result<(), DomainError> {
        check(p, Action::ManageDepartments { office_id })?;
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "department.delete", id);
        self.store
            .delete_department(office_id, id, &ev)
            .await
            .map_err(DomainError::from)
    }

    pub async fn service_points(&self, p: &Principal) -> Result<Vec<ServicePoint>, DomainError> {
        check(p, Action::ManageServicePoints)?;
        self.store.service_points().await.map_err(DomainError::from)
    }

    pub async fn create_service_point(
        &self,
        p: &Principal,
        input: &PointInput,
    ) -> Result<ServicePoint, DomainError> {
        check(p, Action::ManageServicePoints)?;
        let now = self.now_ms();
        let sp = input.validate(new_id(), now)?;
        let ev = AuditEvent::new(now, Some(&p.user.id), "service_point.create", &sp.id);
        self.store
            .create_service_point(&sp, &ev)
            .await
            .map_err(name_conflict)?;
        Ok(sp)
    }

    pub async fn update_service_point(
        &self,
        p: &Principal,
        id: &str,
        input: &PointInput,
    ) -> Result<ServicePoint, DomainError> {
        check(p, Action::ManageServicePoints)?;
        let old = self
            .store
            .service_point(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let sp = input.validate(old.id, old.created_at)?;
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "service_point.update",
            &sp.id,
        );
        self.store
            .update_service_point(&sp, &ev)
            .await
            .map_err(name_conflict)?;
        Ok(sp)
    }

    /// A service point the principal may see, with its clerks (a recorded staff read).
    pub async fn service_point(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(ServicePoint, Vec<User>), DomainError> {
        check(
            p,
            Action::ViewServicePoint {
                service_point_id: id,
            },
        )?;
        let sp = self
            .store
            .service_point(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let clerks = self.store.point_clerks(id).await?;
        let now = self.now_ms();
        for u in clerks.iter().filter(|u| u.id != p.user.id) {
            let ev = AuditEvent::new(now, Some(&p.user.id), "person.read", "clerk list")
                .subject(&u.id)
                .reason("service point administration");
            self.store.append_audit(&ev).await?;
        }
        Ok((sp, clerks))
    }

    pub async fn add_clerk(
        &self,
        p: &Principal,
        point_id: &str,
        input: &StaffInput,
        texts: &dyn MailTexts,
    ) -> Result<User, DomainError> {
        check(
            p,
            Action::ManageClerks {
                service_point_id: point_id,
            },
        )?;
        let sp = self
            .store
            .service_point(point_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let email = Email::parse(&input.email).map_err(|c| DomainError::invalid("email", c))?;
        let grant = RoleGrant {
            role: Role::Clerk,
            office_id: None,
            department_id: None,
            service_point_id: Some(sp.id.clone()),
        };
        self.grant_staff(p, email, &input.display_name, grant, &sp.name, texts)
            .await
    }
}

/// A staff grant written as one string (role, office, department, service point), carried in
/// an invitation link and in its token's kind, so the token opens exactly this grant.
fn grant_key(g: &RoleGrant) -> String {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    format!(
        "{}|{}|{}|{}",
        g.role.as_str(),
        o(&g.office_id),
        o(&g.department_id),
        o(&g.service_point_id)
    )
}

fn parse_grant_key(key: &str) -> Option<RoleGrant> {
    let mut parts = key.split('|');
    let role = Role::parse(parts.next()?).ok()?;
    let opt = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
    let g = RoleGrant {
        role,
        office_id: opt(parts.next()),
        department_id: opt(parts.next()),
        service_point_id: opt(parts.next()),
    };
    let staff = match role {
        Role::OfficeAdmin | Role::Official | Role::Archivist => g.office_id.is_some(),
        Role::Clerk => g.service_point_id.is_some(),
        _ => false,
    };
    (staff && parts.next().is_none()).then_some(g)
}
