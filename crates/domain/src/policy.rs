//! The one place that decides who may do what. Every handler asks `allowed` before acting;
//! the route-by-role matrix test in `crates/okienko/tests` proves the answers over HTTP.

use crate::role::{Role, RoleGrant};

/// Who is asking.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub grants: Vec<RoleGrant>,
}

/// What they want to do, with the owner or scope it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Read or change one's own account, sessions, second factor and Data Tracker.
    OwnAccount,
    /// Read a person's account data; `user_id` is whose.
    ReadPerson { user_id: &'a str },
    /// List, create and edit offices.
    ManageOffices,
    /// List, create and edit service points.
    ManageServicePoints,
    /// See an office's page (its departments and staff).
    ViewOffice { office_id: &'a str },
    /// Create or remove departments of an office.
    ManageDepartments { office_id: &'a str },
    /// Add staff to an office and change their roles.
    ManageStaff { office_id: &'a str },
    /// See a service point's page.
    ViewServicePoint { service_point_id: &'a str },
    /// Add clerks to a service point.
    ManageClerks { service_point_id: &'a str },
    /// Read the whole audit trail.
    ReadAuditTrail,
    /// Find a person's or company's delivery address by PESEL or NIP (public-body senders).
    LookupPrivateAddress,
    /// Print, dispatch and record the outcome of paper letters at a service point.
    HandlePaper { service_point_id: &'a str },
    /// Confirm or refuse a person's identity in person (trusted profile), at a post office
    /// counter or an office's counter.
    ConfirmIdentity,
    /// Open one's own personal delivery mailbox (citizens).
    OpenOwnMailbox,
    /// Revoke someone's trusted profile (e.g. a stolen identity).
    RevokeTrustedProfile,
    /// Find accounts and lock or unlock them.
    ManageUsers,
    /// Publish, import and export an office's services in the catalogue.
    ManageCatalogue { office_id: &'a str },
    /// See and handle the e-service submissions in an office's inbox: those handled by one
    /// department (its id), or with `None` every one of the office (and its payments).
    HandleSubmissions {
        office_id: &'a str,
        department_id: Option<&'a str>,
    },
    /// Work an office's cases and its correspondence register: those of one department (its
    /// id), or with `None` every one of the office. Not the platform's administrators: a case
    /// holds a party's data, and only the office's people handle it.
    HandleCases {
        office_id: &'a str,
        department_id: Option<&'a str>,
    },
    /// Import an office's JRWA list (its subject-matter classes).
    ManageJrwa { office_id: &'a str },
    /// Approve the decisions of an office's cases before they are signed (the head: an admin
    /// of the office).
    ApproveDecisions { office_id: &'a str },
    /// See the office archive (its closed cases and their keeping) and prepare a destruction
    /// list: an official of the office in no department (the whole office's records), or its
    /// admin.
    PrepareDestruction { office_id: &'a str },
    /// Review a destruction list: the head (an admin of the office).
    ReviewDestruction { office_id: &'a str },
    /// Define what of an office's services can be booked, where and when, and see the
    /// queue's waiting times.
    ManageAppointments { office_id: &'a str },
    /// Serve a place's queue and see its appointments: at an office's department its
    /// officials (and the office's in no department), at a post office its clerks.
    ServePlace {
        office_id: Option<&'a str>,
        department_id: Option<&'a str>,
        service_point_id: Option<&'a str>,
    },
    /// Approve a reviewed destruction list: the office's archivist.
    ApproveDestruction { office_id: &'a str },
    /// Say when one does not receive people (one's own times away): an official.
    OwnAvailability,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    fn has_in_office(&self, role: Role, office: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.office_id.as_deref() == Some(office))
    }

    /// An official of the office placed in the department, or in none (the whole office's);
    /// with `department` `None`, only the latter.
    fn works_in(&self, office: &str, department: Option<&str>) -> bool {
        self.grants.iter().any(|g| {
            g.role == Role::Official
                && g.office_id.as_deref() == Some(office)
                && (g.department_id.is_none()
                    || (department.is_some() && g.department_id.as_deref() == department))
        })
    }

    fn has_at_point(&self, role: Role, point: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.service_point_id.as_deref() == Some(point))
    }

    pub fn is_staff(&self) -> bool {
        self.grants.iter().any(|g| g.role.is_staff())
    }

    /// Offices this actor administers.
    pub fn admin_offices(&self) -> impl Iterator<Item = &str> {
        self.grants
            .iter()
            .filter(|g| g.role == Role::OfficeAdmin)
            .filter_map(|g| g.office_id.as_deref())
    }
}

/// Decides one action for one actor. Deny is the default.
pub fn allowed(actor: &Actor, action: Action<'_>) -> bool {
    let platform = actor.has(Role::PlatformAdmin);
    match action {
        Action::OwnAccount => true,
        Action::ReadPerson { user_id } => user_id == actor.user_id || platform,
        Action::ManageOffices | Action::ManageServicePoints | Action::ReadAuditTrail => platform,
        Action::ViewOffice { office_id } => {
            platform
                || actor.has_in_office(Role::OfficeAdmin, office_id)
                || actor.has_in_office(Role::Official, office_id)
        }
        // An official placed in a department handles that department's submissions; one in
        // no department, and the office's admins, handle all of the office's.
        Action::HandleCases {
            office_id,
            department_id,
        } => {
            actor.has_in_office(Role::OfficeAdmin, office_id)
                || actor.works_in(office_id, department_id)
        }
        Action::ManageJrwa { office_id }
        | Action::ApproveDecisions { office_id }
        | Action::ReviewDestruction { office_id } => {
            actor.has_in_office(Role::OfficeAdmin, office_id)
        }
        Action::PrepareDestruction { office_id } => {
            actor.has_in_office(Role::OfficeAdmin, office_id) || actor.works_in(office_id, None)
        }
        Action::ApproveDestruction { office_id } => actor.has_in_office(Role::Archivist, office_id),
        Action::HandleSubmissions {
            office_id,
            department_id,
        } => {
            platform
                || actor.has_in_office(Role::OfficeAdmin, office_id)
                || actor.works_in(office_id, department_id)
        }
        Action::ManageDepartments { office_id }
        | Action::ManageStaff { office_id }
        | Action::ManageCatalogue { office_id }
        | Action::ManageAppointments { office_id } => {
            platform || actor.has_in_office(Role::OfficeAdmin, office_id)
        }
        Action::ServePlace {
            office_id,
            department_id,
            service_point_id,
        } => match (office_id, service_point_id) {
            (Some(o), None) => department_id.is_some() && actor.works_in(o, department_id),
            (None, Some(p)) => actor.has_at_point(Role::Clerk, p),
            _ => false,
        },
        Action::ViewServicePoint { service_point_id } => {
            platform || actor.has_at_point(Role::Clerk, service_point_id)
        }
        Action::ManageClerks { .. } => platform,
        Action::LookupPrivateAddress => actor.has(Role::Official) || actor.has(Role::OfficeAdmin),
        // The clerks of that post office only: printing is their work, not an admin's.
        Action::HandlePaper { service_point_id } => {
            actor.has_at_point(Role::Clerk, service_point_id)
        }
        Action::ConfirmIdentity => actor.has(Role::Clerk) || actor.has(Role::Official),
        Action::OwnAvailability => actor.has(Role::Official),
        Action::OpenOwnMailbox => actor.has(Role::Citizen),
        Action::RevokeTrustedProfile | Action::ManageUsers => platform,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, office: Option<&str>, point: Option<&str>) -> Actor {
        Actor {
            user_id: "u1".into(),
            grants: vec![RoleGrant {
                role,
                office_id: office.map(str::to_string),
                department_id: None,
                service_point_id: point.map(str::to_string),
            }],
        }
    }

    #[test]
    fn official_sees_only_own_office() {
        let a = actor(Role::Official, Some("o1"), None);
        assert!(allowed(&a, Action::ViewOffice { office_id: "o1" }));
        assert!(!allowed(&a, Action::ViewOffice { office_id: "o2" }));
        assert!(!allowed(&a, Action::ManageStaff { office_id: "o1" }));
    }

    #[test]
    fn an_official_of_a_department_handles_only_its_submissions() {
        let mut a = actor(Role::Official, Some("o1"), None);
        a.grants[0].department_id = Some("d1".into());
        let handle = |d| Action::HandleSubmissions {
            office_id: "o1",
            department_id: d,
        };
        assert!(allowed(&a, handle(Some("d1"))));
        assert!(!allowed(&a, handle(Some("d2"))));
        assert!(!allowed(&a, handle(None)));
        a.grants[0].department_id = None;
        assert!(allowed(&a, handle(Some("d2"))));
        assert!(allowed(&a, handle(None)));
        let admin = actor(Role::OfficeAdmin, Some("o1"), None);
        assert!(allowed(&admin, handle(None)));
        let other = actor(Role::Official, Some("o2"), None);
        assert!(!allowed(&other, handle(None)));
    }

    #[test]
    fn citizen_reads_only_self() {
        let a = actor(Role::Citizen, None, None);
        assert!(allowed(&a, Action::ReadPerson { user_id: "u1" }));
        assert!(!allowed(&a, Action::ReadPerson { user_id: "u2" }));
        assert!(!allowed(&a, Action::ManageOffices));
    }

    #[test]
    fn clerk_bound_to_point() {
        let a = actor(Role::Clerk, None, Some("p1"));
        assert!(allowed(
            &a,
            Action::ViewServicePoint {
                service_point_id: "p1"
            }
        ));
        assert!(!allowed(
            &a,
            Action::ViewServicePoint {
                service_point_id: "p2"
            }
        ));
        assert!(allowed(
            &a,
            Action::HandlePaper {
                service_point_id: "p1"
            }
        ));
        assert!(!allowed(
            &a,
            Action::HandlePaper {
                service_point_id: "p2"
            }
        ));
    }
}
