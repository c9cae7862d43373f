//! Groups as the admin panel shows them.

use crate::domain::{AccountId, AccountStatus, GroupId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupListItem {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub is_open: bool,
    pub suggested: bool,
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub id: AccountId,
    pub full_name: String,
    pub email: Option<String>,
    pub status: AccountStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub group: GroupListItem,
    pub members: Vec<GroupMember>,
}
