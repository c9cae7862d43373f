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

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "account_role", rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Employee,
    Admin,
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
