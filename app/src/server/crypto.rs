//! Password hashing, claim secrets and sealing. Nothing here logs a secret.

use argon2::password_hash::rand_core::RngCore;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// argon2id with the parameters SECURITY.md rule 9 fixes.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("the fixed argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords on the blocking pool, at most one hash per
/// core at a time, so a burst of sign-ins queues instead of starving the
/// async workers or exhausting memory (each hash takes 19 MiB).
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// SECURITY: verified against when the email is unknown, so an unknown
    /// account costs the same time as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut random = [0u8; 32];
        OsRng.fill_bytes(&mut random);
        let dummy = hash_blocking(&URL_SAFE_NO_PAD.encode(random)).expect("hashing a random string succeeds");
        Self { permits: Arc::new(Semaphore::new(cores)), dummy_hash: dummy.into() }
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// True when `password` matches `stored`; with no stored hash, spends the
    /// same effort and returns false.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        let known = stored.is_some();
        let stored = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
            Ok::<_, anyhow::Error>(argon2().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await??;
        Ok(known && matches)
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(|e| anyhow::anyhow!("could not hash password: {e}"))
}

/// A fresh URL-safe secret of 256 random bits (claim links, setup links).
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps to find a secret: its SHA-256.
pub fn secret_digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Encrypts claim secrets under a key derived from the server's secret key,
/// which is configuration and never stored in the database. Lets Embark show
/// a live link again (export, outgoing mail) without a database copy alone
/// revealing any.
#[derive(Clone)]
pub struct SecretSealer {
    cipher: Arc<XChaCha20Poly1305>,
}

impl SecretSealer {
    pub fn new(server_key: &SecretString) -> Self {
        let hkdf = hkdf::Hkdf::<Sha256>::new(Some(b"embark/claim-secret-seal/v1"), server_key.expose_secret().as_bytes());
        let mut key = [0u8; 32];
        hkdf.expand(b"xchacha20poly1305", &mut key).expect("32 bytes is a valid HKDF-SHA256 output length");
        Self { cipher: Arc::new(XChaCha20Poly1305::new(&key.into())) }
    }

    /// nonce (24 bytes) followed by the ciphertext.
    pub fn seal(&self, secret: &str) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext =
            self.cipher.encrypt(XNonce::from_slice(&nonce), secret.as_bytes()).expect("XChaCha20-Poly1305 encryption of a short secret cannot fail");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    pub fn open(&self, sealed: &[u8]) -> anyhow::Result<String> {
        anyhow::ensure!(sealed.len() > 24, "sealed secret is too short");
        let (nonce, ciphertext) = sealed.split_at(24);
        let plain =
            self.cipher.decrypt(XNonce::from_slice(nonce), ciphertext).map_err(|_| anyhow::anyhow!("sealed secret does not open with this server key"))?;
        Ok(String::from_utf8(plain)?)
    }
}

/// Constant-time comparison for secrets that are compared directly.
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_carry_256_bits_and_differ() {
        let a = generate_secret();
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_ne!(a, generate_secret());
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key() {
        let sealer = SecretSealer::new(&SecretString::from("k".repeat(40)));
        let sealed = sealer.seal("s3cret");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(sealer.open(&sealed).unwrap(), "s3cret");
        let other = SecretSealer::new(&SecretString::from("j".repeat(40)));
        assert!(other.open(&sealed).is_err());
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let hasher = PasswordHasher::new();
        let hash = hasher.hash("a-long-passphrase").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify(Some(&hash), "a-long-passphrase").await.unwrap());
        assert!(!hasher.verify(Some(&hash), "another-passphrase").await.unwrap());
        assert!(!hasher.verify(None, "a-long-passphrase").await.unwrap());
    }
}
