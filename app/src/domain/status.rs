use serde::{Deserialize, Serialize};

/// Where an account is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "account_status", rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Provisioned, not yet invited: findable, cannot claim, gets no email.
    Uninvited,
    /// Has a live claim link or code.
    Invited,
    /// Active: has claimed and can sign in.
    Claimed,
    /// All access ended.
    Deactivated,
}

impl AccountStatus {
    pub const ALL: [AccountStatus; 4] = [Self::Uninvited, Self::Invited, Self::Claimed, Self::Deactivated];

    /// The words an admin reads in the People list.
    pub fn label(self) -> &'static str {
        match self {
            Self::Uninvited => "Awaiting invitation",
            Self::Invited => "Invited",
            Self::Claimed => "Claimed",
            Self::Deactivated => "Deactivated",
        }
    }

    /// The value used in URLs and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uninvited => "uninvited",
            Self::Invited => "invited",
            Self::Claimed => "claimed",
            Self::Deactivated => "deactivated",
        }
    }

    pub fn from_str_opt(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What an account may do: mirrored by the PostgreSQL enum `account_role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "account_role", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Employee,
    /// The permission to add and remove accounts: people, imports,
    /// invitations, access codes, export, groups, deactivation, deletion.
    PeopleAdmin,
    /// Everything a people admin may do, and the organisation's settings,
    /// single sign-on, integrations and everyone's roles.
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Employee, Role::PeopleAdmin, Role::Owner];

    /// The value stored in the database and sent by forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Employee => "employee",
            Self::PeopleAdmin => "people_admin",
            Self::Owner => "owner",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    /// How the admin panel names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Employee => "Employee",
            Self::PeopleAdmin => "People admin",
            Self::Owner => "Owner",
        }
    }

    /// What the role allows, in a line beside the choice.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::Employee => "Uses Embark; no admin panel.",
            Self::PeopleAdmin => "Adds and removes people: imports, invitations, access codes, export, groups, deactivation and deletion.",
            Self::Owner => "Everything a people admin does, plus settings, single sign-on, integrations and roles.",
        }
    }

    /// May open the admin panel and add, invite, deactivate and delete people.
    pub fn manages_people(self) -> bool {
        matches!(self, Self::PeopleAdmin | Self::Owner)
    }

    /// May change the organisation's settings, single sign-on, integrations
    /// and roles.
    pub fn is_owner(self) -> bool {
        self == Self::Owner
    }
}

/// Where a queued email is: mirrored by the PostgreSQL enum `outbox_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "outbox_state", rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
pub enum EmailState {
    Queued,
    Sending,
    Sent,
    /// Delivery is hopeless (a rejected address, or every retry failed).
    Failed,
    /// It must not be sent any more (its link was replaced, its account
    /// deactivated).
    Cancelled,
}

impl EmailState {
    pub const ALL: [EmailState; 5] = [Self::Queued, Self::Sending, Self::Sent, Self::Failed, Self::Cancelled];

    /// The value used in URLs and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// The words an admin reads on the Outgoing mail page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::Sending => "Sending",
            Self::Sent => "Sent",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
        }
    }

    pub fn from_str_opt(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_url_form() {
        for status in AccountStatus::ALL {
            assert_eq!(AccountStatus::from_str_opt(status.as_str()), Some(status));
        }
        assert_eq!(AccountStatus::from_str_opt("deleted"), None);
    }
}
