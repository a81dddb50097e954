//! Staff of an office: adding officials and admins (new accounts, or an emailed offer to an existing one), accepting the offer, removing them.

use super::*;

impl Services {
    /// Gives a person a staff role in the office. A new person gets an account and an email
    /// with a link to set their password; they set up a second factor at first sign-in.
    pub async fn add_staff(
        &self,
        p: &Principal,
        office_id: &str,
        input: &StaffInput,
        texts: &dyn MailTexts,
    ) -> Result<User, DomainError> {
        check(p, Action::ManageStaff { office_id })?;
        let office = self
            .store
            .office(office_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let mut errs = FieldErrors::new();
        let email = errs.check("email", Email::parse(&input.email));
        let grant = self
            .office_grant(office_id, &input.role, &input.department_id, &mut errs)
            .await?;
        errs.finish()?;
        let (Some(email), Some(grant)) = (email, grant) else {
            return Err(DomainError::Internal("validation".into()));
        };
        self.grant_staff(p, email, &input.display_name, grant, &office.name, texts)
            .await
    }

    pub(crate) async fn grant_staff(
        &self,
        p: &Principal,
        email: Email,
        display_name: &str,
        grant: RoleGrant,
        place: &str,
        texts: &dyn MailTexts,
    ) -> Result<User, DomainError> {
        let now = self.now_ms();
        let existing = self.store.user_by_email(email.as_str()).await?;
        let ev = |u: &str| {
            AuditEvent::new(
                now,
                Some(&p.user.id),
                "staff.grant",
                format!("{}:{}", grant.role.as_str(), u),
            )
            .subject(u)
        };
        match existing {
            Some(u) => {
                if self.store.grants_of(&u.id).await?.contains(&grant) {
                    return Err(DomainError::invalid("email", "err-staff-exists"));
                }
                // An existing account becomes staff only when its owner accepts: being staff
                // changes how they sign in (a second factor) and what the API lets them do.
                let key = grant_key(&grant);
                let ev = AuditEvent::new(now, Some(&p.user.id), "staff.invite", &key)
                    .subject(&u.id)
                    .reason(format!("invited to {place}"));
                self.store.append_audit(&ev).await?;
                self.send_staff_offer(&u, &key, place, texts).await?;
                Ok(u)
            }
            None => {
                let name =
                    ids::name(display_name).map_err(|c| DomainError::invalid("display_name", c))?;
                let user = User {
                    id: new_id(),
                    email: email.as_str().to_string(),
                    display_name: name,
                    // No password works until the person sets one through the emailed link.
                    password_hash: String::new(),
                    email_verified: false,
                    totp_secret: None,
                    totp_last_step: None,
                    locale: None,
                    disabled: false,
                    created_at: now,
                };
                self.store
                    .create_user(&user, std::slice::from_ref(&grant), &ev(&user.id))
                    .await?;
                self.send_staff_setup(&user, place, texts).await?;
                Ok(user)
            }
        }
    }

    /// What a staff invitation offers: the role and the place's name. For the invited
    /// person, signed in.
    pub async fn staff_offer(&self, key: &str) -> Result<(Role, String), DomainError> {
        let grant = parse_grant_key(key).ok_or(DomainError::TokenInvalid)?;
        let place = match (&grant.office_id, &grant.service_point_id) {
            (Some(o), _) => self.store.office(o).await?.map(|o| o.name),
            (None, Some(sp)) => self.store.service_point(sp).await?.map(|s| s.name),
            _ => None,
        };
        Ok((grant.role, place.ok_or(DomainError::TokenInvalid)?))
    }

    /// The invited person accepts a staff role: the grant is added, and every session of
    /// theirs ends (they sign in again, now with the rules for staff).
    pub async fn accept_staff(
        &self,
        p: &Principal,
        token: &str,
        key: &str,
    ) -> Result<(), DomainError> {
        let grant = parse_grant_key(key).ok_or(DomainError::TokenInvalid)?;
        self.staff_offer(key).await?;
        let now = self.now_ms();
        let owner = self
            .store
            .consume_token(&format!("staff:{key}"), &crate::hash_secret(token), now)
            .await?;
        if owner.as_deref() != Some(p.user.id.as_str()) {
            return Err(DomainError::TokenInvalid);
        }
        let ev = AuditEvent::new(
            now,
            Some(&p.user.id),
            "staff.grant",
            format!("{}:{}", grant.role.as_str(), p.user.id),
        )
        .subject(&p.user.id)
        .reason("invitation accepted");
        self.store.add_grant(&p.user.id, &grant, &ev).await?;
        Ok(self.store.delete_user_sessions(&p.user.id).await?)
    }

    pub async fn remove_staff(
        &self,
        p: &Principal,
        office_id: &str,
        user_id: &str,
    ) -> Result<(), DomainError> {
        manage_other(p, office_id, user_id)?;
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "staff.revoke", user_id)
            .subject(user_id);
        self.store
            .remove_office_grants(user_id, office_id, &ev)
            .await?;
        Ok(self.store.delete_user_sessions(user_id).await?)
    }

    /// Turns off the second factor of a staff member of the office who lost it (a phone lost
    /// or replaced): every session of theirs ends, and at their next sign-in with the
    /// password they must set up a new one before anything else.
    pub async fn reset_staff_totp(
        &self,
        p: &Principal,
        office_id: &str,
        user_id: &str,
    ) -> Result<(), DomainError> {
        manage_other(p, office_id, user_id)?;
        let in_office = self
            .store
            .grants_of(user_id)
            .await?
            .iter()
            .any(|g| g.office_id.as_deref() == Some(office_id));
        if !in_office {
            return Err(DomainError::NotFound);
        }
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "user.totp_reset", user_id)
            .subject(user_id)
            .reason(format!("office {office_id}"));
        self.store.set_totp(user_id, None, &ev).await?;
        Ok(self.store.delete_user_sessions(user_id).await?)
    }

    /// A staff role in an office from what the admin chose: an official, an archivist or an
    /// office admin,
    /// in one of the office's departments or none. Mistakes go to `errs`.
    async fn office_grant(
        &self,
        office_id: &str,
        role: &str,
        department_id: &str,
        errs: &mut FieldErrors,
    ) -> Result<Option<RoleGrant>, DomainError> {
        let role = errs.check(
            "role",
            Role::parse(role).and_then(|r| match r {
                Role::OfficeAdmin | Role::Official | Role::Archivist => Ok(r),
                _ => Err("err-role-invalid"),
            }),
        );
        let dept = if department_id.is_empty() {
            None
        } else {
            let depts = self.store.departments(office_id).await?;
            let d = depts
                .iter()
                .find(|d| d.id == department_id)
                .map(|d| d.id.clone());
            if d.is_none() {
                errs.add("department_id", "err-department-unknown");
            }
            d
        };
        Ok(role.map(|role| RoleGrant {
            role,
            office_id: Some(office_id.to_string()),
            department_id: dept,
            service_point_id: None,
        }))
    }

    /// One staff member of the office, for its admin to read: the account and their grants
    /// there. The reading is in the person's Data Tracker.
    pub async fn staff_member(
        &self,
        p: &Principal,
        office_id: &str,
        user_id: &str,
    ) -> Result<(User, Vec<RoleGrant>), DomainError> {
        let (user, grants) = self.office_member(p, office_id, user_id).await?;
        if user.id != p.user.id {
            let ev = AuditEvent::new(
                self.now_ms(),
                Some(&p.user.id),
                "person.read",
                "staff member",
            )
            .subject(&user.id)
            .reason("office staff administration");
            self.store.append_audit(&ev).await?;
        }
        Ok((user, grants))
    }

    /// A staff member of the office whom the principal may manage (not found otherwise), for
    /// an act on them: the act is audited itself, so nothing more is recorded here.
    pub async fn office_member(
        &self,
        p: &Principal,
        office_id: &str,
        user_id: &str,
    ) -> Result<(User, Vec<RoleGrant>), DomainError> {
        check(p, Action::ManageStaff { office_id })?;
        let grants: Vec<RoleGrant> = self
            .store
            .grants_of(user_id)
            .await?
            .into_iter()
            .filter(|g| g.office_id.as_deref() == Some(office_id))
            .collect();
        let user = self.store.user_by_id(user_id).await?;
        let (Some(user), false) = (user, grants.is_empty()) else {
            return Err(DomainError::NotFound);
        };
        Ok((user, grants))
    }

    /// Gives a staff member another role or department in the office (not oneself: an admin
    /// does not take away their own right to administer).
    pub async fn change_staff(
        &self,
        p: &Principal,
        office_id: &str,
        user_id: &str,
        role: &str,
        department_id: &str,
    ) -> Result<(), DomainError> {
        let (user, _) = self.office_member(p, office_id, user_id).await?;
        if user.id == p.user.id {
            return Err(DomainError::invalid("role", "err-staff-self"));
        }
        let mut errs = FieldErrors::new();
        let grant = self
            .office_grant(office_id, role, department_id, &mut errs)
            .await?;
        errs.finish()?;
        let grant = grant.ok_or(DomainError::Internal("validation".into()))?;
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "staff.change",
            format!("{}:{}", grant.role.as_str(), user.id),
        )
        .subject(&user.id)
        .reason(format!(
            "role {} in office {office_id}{}",
            grant.role.as_str(),
            grant
                .department_id
                .as_deref()
                .map(|d| format!(", department {d}"))
                .unwrap_or_default()
        ));
        self.store
            .set_office_grant(&user.id, office_id, &grant, &ev)
            .await
            .map_err(DomainError::from)
    }

    /// Sends a new set-up link to a staff member who has not set their password yet (the first
    /// email lost or expired).
    pub async fn resend_staff_setup(
        &self,
        p: &Principal,
        office_id: &str,
        user_id: &str,
        texts: &dyn MailTexts,
    ) -> Result<(), DomainError> {
        let (user, _) = self.office_member(p, office_id, user_id).await?;
        if !user.password_hash.is_empty() {
            return Err(DomainError::Conflict("err-staff-set-up"));
        }
        let office = self
            .store
            .office(office_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "staff.setup_resent",
            &user.id,
        )
        .subject(&user.id);
        self.store.append_audit(&ev).await?;
        self.send_staff_setup(&user, &office.name, texts).await
    }
}

/// `p` may manage the office's staff, and `user_id` is someone else: nobody removes or
/// resets themselves (an office could lose its last admin).
fn manage_other(p: &Principal, office_id: &str, user_id: &str) -> Result<(), DomainError> {
    check(p, Action::ManageStaff { office_id })?;
    if user_id == p.user.id {
        return Err(DomainError::invalid("user", "err-staff-self"));
    }
    Ok(())
}
