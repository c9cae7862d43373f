use serde::{Deserialize, Serialize};

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_RECOMMENDED_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Why a password was refused, in words for the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    ContainsPersonalInfo,
    TooCommon,
}

impl PasswordProblem {
    pub fn message(self) -> String {
        match self {
            Self::TooShort => format!("Use at least {PASSWORD_MIN_CHARS} characters ({PASSWORD_RECOMMENDED_CHARS} or more is better)."),
            Self::TooLong => format!("Use at most {PASSWORD_MAX_CHARS} characters."),
            Self::ContainsPersonalInfo => "Don't use your name or email address in your password.".to_owned(),
            Self::TooCommon => "This password is too easy to guess: it is a common password or a simple pattern.".to_owned(),
        }
    }
}

/// A password that meets the policy (SECURITY.md rule 9): 8–128 characters
/// counted as Unicode scalar values, never truncated, no composition rules,
/// and neither common nor built from the person's own name or email.
///
/// The common-password check needs a dictionary too large for the browser,
/// so it runs only on the server; the browser gives the other feedback live.
#[derive(Clone, Serialize, Deserialize)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// `personal` holds what the password must not contain: the person's
    /// name and email address.
    pub fn parse(raw: &str, personal: &[&str]) -> Result<Self, PasswordProblem> {
        let length = raw.chars().count();
        if length < PASSWORD_MIN_CHARS {
            return Err(PasswordProblem::TooShort);
        }
        if length > PASSWORD_MAX_CHARS {
            return Err(PasswordProblem::TooLong);
        }
        if contains_personal_info(raw, personal) {
            return Err(PasswordProblem::ContainsPersonalInfo);
        }
        #[cfg(feature = "ssr")]
        if is_too_guessable(raw, personal) {
            return Err(PasswordProblem::TooCommon);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// True when the password contains a word of the person's name or the local
/// part of their email (three characters or longer, case-insensitive).
fn contains_personal_info(raw: &str, personal: &[&str]) -> bool {
    let lowered = raw.to_lowercase();
    personal
        .iter()
        .flat_map(|item| {
            let local = item.rsplit_once('@').map_or(*item, |(local, _)| local);
            local.split(|c: char| !c.is_alphanumeric()).map(str::to_lowercase).collect::<Vec<_>>()
        })
        .filter(|word| word.chars().count() >= 3)
        .any(|word| lowered.contains(&word))
}

/// zxcvbn's estimate below "safely unguessable online" (fewer than about 10^6
/// guesses): the most common passwords, keyboard walks, repeats, sequences.
#[cfg(feature = "ssr")]
fn is_too_guessable(raw: &str, personal: &[&str]) -> bool {
    let estimate = zxcvbn::zxcvbn(raw, personal);
    (estimate.score() as u8) < 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_limits_count_characters_not_bytes() {
        assert_eq!(Password::parse("short", &[]).unwrap_err(), PasswordProblem::TooShort);
        assert!(Password::parse("ĉĝĥĵŝŭĉĝ-vortaro-kun-9", &[]).is_ok());
        assert_eq!(Password::parse(&"x".repeat(129), &[]).unwrap_err(), PasswordProblem::TooLong);
    }

    #[test]
    fn long_passwords_are_kept_whole() {
        let raw = "correct horse battery staple ".repeat(4);
        assert_eq!(Password::parse(&raw, &[]).unwrap().expose(), raw);
    }

    #[test]
    fn personal_information_is_refused() {
        let personal = ["Grace Hopper", "grace.hopper@example.com"];
        assert_eq!(Password::parse("hopper-likes-cobol-1906", &personal).unwrap_err(), PasswordProblem::ContainsPersonalInfo);
        assert!(Password::parse("nanoseconds-on-a-wire-1906", &personal).is_ok());
    }

    #[test]
    fn common_passwords_are_refused_on_the_server() {
        for common in ["password", "password1", "12345678", "qwertyuiop", "iloveyou"] {
            assert_eq!(Password::parse(common, &[]).unwrap_err(), PasswordProblem::TooCommon, "{common}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let password = Password::parse("a-long-unusual-passphrase", &[]).unwrap();
        assert!(!format!("{password:?}").contains("passphrase"));
    }
}
