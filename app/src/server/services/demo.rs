//! A sample company for newcomers: about 200 people across departments, a
//! few groups, and everyone at some point of the lifecycle, loaded through
//! the same import and lifecycle services an admin uses.

use crate::domain::{Actor, GroupSettings};
use crate::server::db;
use crate::server::services::lifecycle::{self, BulkSource, Invitation, InviteScope};
use crate::server::services::{groups, import};
use crate::server::AppState;
use secrecy::ExposeSecret as _;
use time::OffsetDateTime;

const FIRST: [&str; 20] = [
    "Amara", "Bruno", "Chen", "Dalia", "Emil", "Farah", "Gustav", "Hana", "Ivan", "Jasmin", "Kofi", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin",
    "Rosa", "Sami", "Tove",
];
const LAST: [&str; 10] = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Haddad", "Silva", "Kowalski", "Mensah", "Fischer"];
const DEPARTMENTS: [(&str, &str, &str); 6] = [
    ("Engineering", "Software Engineer", "Berlin"),
    ("Sales", "Account Executive", "London"),
    ("Support", "Support Specialist", "Lisbon"),
    ("Marketing", "Marketing Manager", "London"),
    ("Finance", "Accountant", "Zurich"),
    ("People", "People Partner", "Berlin"),
];

/// What the demo loaded.
#[derive(Debug, Clone, Copy)]
pub struct DemoCompany {
    pub people: usize,
    pub claimed: usize,
    pub invited: usize,
    pub uninvited: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the directory already has people in it; the demo company only loads into an empty Embark")]
    NotEmpty,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The sample company as an import file, so it goes through the importer.
pub fn sample_csv() -> String {
    let mut csv = import::COLUMNS.join(",");
    csv.push('\n');
    let mut index = 0;
    for (d, (department, title, location)) in DEPARTMENTS.iter().enumerate() {
        let lead_email = format!("{}.{}@demo.embark.test", FIRST[d].to_lowercase(), LAST[d].to_lowercase());
        for n in 0..34 {
            let (first, last) = (FIRST[(index * 7 + d) % FIRST.len()], LAST[(index * 3 + n) % LAST.len()]);
            let email = if n == 0 { lead_email.clone() } else { format!("{}.{}{}@demo.embark.test", first.to_lowercase(), last.to_lowercase(), index) };
            let name = if n == 0 { format!("{} {}", FIRST[d], LAST[d]) } else { format!("{first} {last}") };
            let job = if n == 0 { format!("Head of {department}") } else { (*title).to_owned() };
            let manager = if n == 0 { String::new() } else { lead_email.clone() };
            let groups = match (n % 5, *location) {
                (0, "Berlin") => format!("{department}; Berlin office; Book club"),
                (0, _) => format!("{department}; Book club"),
                (_, "Berlin") => format!("{department}; Berlin office"),
                _ => (*department).to_owned(),
            };
            csv.push_str(&format!("{email},D{:04},{name},{job},{department},{location},,{manager},\"{groups}\"\n", index + 1));
            index += 1;
        }
    }
    csv
}

/// Loads the sample company into an empty directory (the first admin may
/// already exist). About 40% claim, 30% are invited, the rest wait.
pub async fn load(state: &AppState, now: OffsetDateTime) -> Result<DemoCompany, DemoError> {
    if db::accounts::lists::count_non_admins(&state.pool).await.map_err(anyhow::Error::from)? > 0 {
        return Err(DemoError::NotEmpty);
    }
    let actor = Actor::command_line();
    let batch = import::preview(state, "demo-company.csv", sample_csv().into_bytes(), &actor, now).await.map_err(|e| anyhow::anyhow!(e))?;
    let applied = import::apply(state, batch, None, &actor, now).await.map_err(|e| anyhow::anyhow!(e))?;
    let ids = db::accounts::lists::uninvited_by_external_id(&state.pool).await.map_err(anyhow::Error::from)?;
    let password_hash = state.hasher.hash("embark demo password").await?;
    // Claimed people go through a link each (claiming needs its secret); the
    // invited ones are invited together, as Invite Selected would.
    let mut claimed = 0;
    let mut to_invite = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match i % 10 {
            0..=3 => {
                let link = lifecycle::invite(state, *id, &Invitation::default(), &actor, now).await.map_err(|e| anyhow::anyhow!(e))?;
                lifecycle::claim(state, link.secret.expose_secret(), Some(&password_hash), now).await.map_err(|e| anyhow::anyhow!(e))?;
                claimed += 1;
            }
            4..=6 => to_invite.push(id.0),
            _ => {}
        }
    }
    let scope = InviteScope::Selected { source: BulkSource::Demo, ids: &to_invite };
    let invited = lifecycle::invite_many(state, scope, &Invitation::default(), &actor, now).await.map_err(|e| anyhow::anyhow!(e))?;
    // Every group open, so people find them when they claim; two suggested.
    for group in groups::list(state).await.map_err(|e| anyhow::anyhow!(e))? {
        let suggested = ["Book club", "Berlin office"].contains(&group.name.as_str());
        let settings = GroupSettings { name: group.name, description: group.description, is_open: true, suggested_at_claim: suggested };
        groups::update(state, group.id, &settings, &actor, now).await.map_err(|e| anyhow::anyhow!(e))?;
    }
    let people = usize::try_from(applied.created).unwrap_or(0);
    Ok(DemoCompany { people, claimed, invited, uninvited: people - claimed - invited })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sample_company_is_a_valid_import_file_of_about_200_people() {
        let rows = super::import::parse_file("demo.csv", super::sample_csv().as_bytes()).unwrap();
        assert_eq!(rows.len(), 204);
        assert!(rows.iter().all(|row| row.parse_problem.is_none()), "{:?}", rows.iter().find_map(|row| row.parse_problem.as_ref()));
    }
}
