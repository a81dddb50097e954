//! Roles and the scope a role is held in.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    OfficeAdmin,
    Official,
    /// The office's archivist: approves the destruction of records whose time has passed.
    Archivist,
    Clerk,
    Citizen,
    BusinessRep,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::PlatformAdmin,
        Role::OfficeAdmin,
        Role::Official,
        Role::Archivist,
        Role::Clerk,
        Role::Citizen,
        Role::BusinessRep,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::OfficeAdmin => "office_admin",
            Role::Official => "official",
            Role::Archivist => "archivist",
            Role::Clerk => "clerk",
            Role::Citizen => "citizen",
            Role::BusinessRep => "business_rep",
        }
    }

    pub fn parse(s: &str) -> Result<Role, &'static str> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or("err-role-invalid")
    }

    /// Staff roles must sign in with a second factor.
    pub fn is_staff(self) -> bool {
        matches!(
            self,
            Role::PlatformAdmin
                | Role::OfficeAdmin
                | Role::Official
                | Role::Archivist
                | Role::Clerk
        )
    }

    /// The Fluent id of the role's human name.
    pub fn label(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "role-platform_admin",
            Role::OfficeAdmin => "role-office_admin",
            Role::Official => "role-official",
            Role::Archivist => "role-archivist",
            Role::Clerk => "role-clerk",
            Role::Citizen => "role-citizen",
            Role::BusinessRep => "role-business_rep",
        }
    }
}

/// A role held by a user, with the office, department or service point it is held in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    pub office_id: Option<String>,
    pub department_id: Option<String>,
    pub service_point_id: Option<String>,
}

impl RoleGrant {
    pub fn plain(role: Role) -> Self {
        RoleGrant {
            role,
            office_id: None,
            department_id: None,
            service_point_id: None,
        }
    }
}
