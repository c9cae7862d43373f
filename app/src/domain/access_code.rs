//! Access codes, for people without an email address, and the usernames
//! they sign in with.

use super::{normalize_identifier, FieldError, PersonName};
use serde::{Deserialize, Serialize};

/// The characters a code is made of: capital letters and digits without the
/// look-alikes 0/O and 1/I. 32 of them, so 5 bits a character.
pub const ACCESS_CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Characters in a code: 16 × 5 = 80 bits.
pub const ACCESS_CODE_CHARS: usize = 16;

/// An access code as typed, in its one normalised form (16 characters of
/// [`ACCESS_CODE_ALPHABET`]). What its SHA-256 is taken of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCode(String);

impl AccessCode {
    /// Accepts any case, spaces and dashes: "xkcd-rtpw …" as printed or read
    /// out.
    pub fn parse(typed: &str) -> Result<Self, FieldError> {
        let invalid =
            || FieldError::new("code", format!("An access code has {ACCESS_CODE_CHARS} letters and digits, like ABCD-EFGH-JKLM-NPQR. Check it and try again."));
        let mut code = String::with_capacity(ACCESS_CODE_CHARS);
        for c in typed.chars().filter(|c| !c.is_whitespace() && !matches!(c, '-' | '–')) {
            let c = c.to_ascii_uppercase();
            if !c.is_ascii() || !ACCESS_CODE_ALPHABET.contains(&(c as u8)) || code.len() == ACCESS_CODE_CHARS {
                return Err(invalid());
            }
            code.push(c);
        }
        if code.len() != ACCESS_CODE_CHARS {
            return Err(invalid());
        }
        Ok(Self(code))
    }

    /// A code made of characters the caller drew from [`ACCESS_CODE_ALPHABET`].
    pub fn from_alphabet_indexes(indexes: [u8; ACCESS_CODE_CHARS]) -> Self {
        Self(indexes.iter().map(|i| ACCESS_CODE_ALPHABET[usize::from(*i) % ACCESS_CODE_ALPHABET.len()] as char).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "ABCD-EFGH-JKLM-NPQR": how a code is shown and printed.
    pub fn grouped(&self) -> String {
        group_code(&self.0)
    }
}

/// Groups a normalised code in fours for reading.
pub fn group_code(code: &str) -> String {
    code.as_bytes().chunks(4).map(|chunk| String::from_utf8_lossy(chunk).into_owned()).collect::<Vec<_>>().join("-")
}

/// A sign-in name for someone without an email address: 3 to 40 letters,
/// digits, dots, dashes and underscores, starting with a letter or digit.
/// Unique in its normalised (lowercase) form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Username(String);

pub const USERNAME_MAX_CHARS: usize = 40;

/// What the person choosing a username that someone has reads.
pub const USERNAME_TAKEN: &str = "Someone already has this username. Try another, for example with a number at the end.";

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        let problem = |message: &str| FieldError::new("username", message);
        let length = name.chars().count();
        if length < 3 {
            return Err(problem("A username needs at least 3 characters."));
        }
        if length > USERNAME_MAX_CHARS {
            return Err(problem("A username can be at most 40 characters long."));
        }
        if name.contains('@') {
            return Err(problem("A username can't contain @ (that would make it look like an email address)."));
        }
        if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_')) {
            return Err(problem("A username may use only letters, digits, dots, dashes and underscores."));
        }
        if !name.chars().next().is_some_and(char::is_alphanumeric) {
            return Err(problem("A username starts with a letter or a digit."));
        }
        Ok(Self(name.to_owned()))
    }

    /// The form uniqueness and sign-in compare on.
    pub fn normalized(&self) -> String {
        normalize_identifier(&self.0)
    }

    /// "maria.garcia" for "María García": the name's letters and digits,
    /// lowercased, its words joined by dots. Not checked for uniqueness.
    pub fn suggest(name: &PersonName) -> Self {
        let words: Vec<String> = name
            .as_ref()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| deunicode_word(w).to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        let mut base: String = words.join(".").chars().take(USERNAME_MAX_CHARS - 4).collect();
        while base.len() < 3 {
            base.push('x');
        }
        Self(base)
    }

    /// This username with a number after it, for when it is taken.
    pub fn numbered(&self, number: u32) -> Self {
        let base: String = self.0.chars().take(USERNAME_MAX_CHARS - 6).collect();
        Self(format!("{base}{number}"))
    }
}

/// Latin letters without their accents, so a suggested username is easy to
/// type on any keyboard; other scripts are kept as they are.
fn deunicode_word(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    word.nfkd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).collect()
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_read_in_any_case_with_spaces_and_dashes() {
        let code = AccessCode::parse(" abcd-efgh jklm–npqr ").unwrap();
        assert_eq!(code.as_str(), "ABCDEFGHJKLMNPQR");
        assert_eq!(code.grouped(), "ABCD-EFGH-JKLM-NPQR");
        assert_eq!(AccessCode::parse("ABCDEFGHJKLMNPQR").unwrap(), code);
        assert!(AccessCode::parse("ABCD-EFGH-JKLM").is_err(), "too short");
        assert!(AccessCode::parse("ABCD-EFGH-JKLM-NPQR-S").is_err(), "too long");
        assert!(AccessCode::parse("ABCD-EFGH-JKLM-NPQ!").is_err());
        assert!(AccessCode::parse("ÀBCD-EFGH-JKLM-NPQR").is_err());
    }

    #[test]
    fn the_alphabet_has_no_look_alikes_and_32_distinct_characters() {
        let mut letters = ACCESS_CODE_ALPHABET.to_vec();
        letters.sort_unstable();
        letters.dedup();
        assert_eq!(letters.len(), 32);
        for look_alike in [b'0', b'O', b'1', b'I'] {
            assert!(!ACCESS_CODE_ALPHABET.contains(&look_alike));
        }
        const { assert!(ACCESS_CODE_CHARS * 5 >= 64, "at least 64 bits") };
    }

    #[test]
    fn usernames_are_checked_and_compared_without_case() {
        assert_eq!(Username::parse(" Maria.Garcia ").unwrap().normalized(), "maria.garcia");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("maria@shop").is_err());
        assert!(Username::parse("maria garcia").is_err());
        assert!(Username::parse(".maria").is_err());
        assert!(Username::parse(&"m".repeat(41)).is_err());
    }

    #[test]
    fn suggestions_come_from_the_name_without_accents() {
        let suggest = |name: &str| Username::suggest(&PersonName::parse(name).unwrap()).as_ref().to_owned();
        assert_eq!(suggest("María José García"), "maria.jose.garcia");
        assert_eq!(suggest("Ng"), "ngx");
        assert_eq!(Username::parse(&suggest("Zoë O'Brien")).unwrap().as_ref(), "zoe.o.brien");
        assert_eq!(Username::suggest(&PersonName::parse("Ada Lovelace").unwrap()).numbered(2).as_ref(), "ada.lovelace2");
    }
}
