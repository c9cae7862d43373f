//! Password hashing, claim secrets and sealing. Nothing here logs a secret.

use crate::domain::{AccessCode, ACCESS_CODE_CHARS};
use argon2::password_hash::rand_core::RngCore;
use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// argon2id with the parameters SECURITY.md rule 9 fixes.
fn params() -> Params {
    Params::new(19_456, 2, 1, None).expect("the fixed argon2 parameters are valid")
}

/// Hashes waiting per core before new ones are refused as busy: at about
/// 60 hashes a second per core, the last in line waits about half a second.
/// Enough for 64 people signing in at once on two cores to wait rather than
/// be turned away (a "busy" answer costs a request, and clients retry).
const WAITING_PER_CORE: usize = 32;

type HashJob = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashes and verifies passwords on one dedicated thread per core, each
/// reusing its own 19 MiB of argon2 memory while jobs keep coming, behind a
/// bounded queue: a flood of sign-ins gets "busy" answers instead of
/// starving the async workers, queueing without end, or growing the heap (a
/// fresh 19 MiB block per hash on whichever blocking thread ran it left
/// 463 MB behind after a flood). A thread that finds the queue empty frees
/// its block before it waits, so an idle server holds none.
#[derive(Clone)]
pub struct PasswordHasher {
    queue: flume::Sender<HashJob>,
    /// How many threads hold an argon2 block right now.
    blocks_held: Arc<AtomicUsize>,
    /// SECURITY: verified against when the email is unknown, so an unknown
    /// account costs the same time as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // Every thread waits on the queue itself (multi-consumer), so none
        // can sit out a flood behind another's lock still holding its block.
        let (queue, jobs) = flume::bounded::<HashJob>(cores * WAITING_PER_CORE);
        let blocks_held = Arc::new(AtomicUsize::new(0));
        for index in 0..cores {
            let (jobs, held) = (jobs.clone(), Arc::clone(&blocks_held));
            std::thread::Builder::new().name(format!("argon2-{index}")).spawn(move || hash_worker(&jobs, &held)).expect("the operating system starts a thread");
        }
        let mut random = [0u8; 32];
        OsRng.fill_bytes(&mut random);
        let dummy = hash_with(&mut Vec::new(), &URL_SAFE_NO_PAD.encode(random)).expect("hashing a random string succeeds");
        Self { queue, blocks_held, dummy_hash: dummy.into() }
    }

    /// Runs `job` on a hashing thread, or fails with [`Busy`](crate::server::work_queue::Busy) at once when
    /// the queue is full.
    async fn run<T: Send + 'static>(&self, job: impl FnOnce(&mut Vec<Block>) -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: HashJob = Box::new(move |memory| {
            // Whoever asked has gone (the browser closed the connection):
            // the hash would be thrown away, so it is not computed.
            if answer.is_closed() {
                return;
            }
            let _ = answer.send(job(memory));
        });
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(flume::TrySendError::Full(_)) => return Err(crate::server::work_queue::Busy.into()),
            Err(flume::TrySendError::Disconnected(_)) => anyhow::bail!("the password hashing threads have stopped"),
        }
        answered.await.map_err(|_| anyhow::anyhow!("a password hashing thread stopped mid-job"))?
    }

    /// How many hashing threads hold their 19 MiB block now: none once the
    /// queue has been empty for a moment.
    pub fn blocks_held(&self) -> usize {
        self.blocks_held.load(Ordering::SeqCst)
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        self.run(move |memory| hash_with(memory, &password)).await
    }

    /// True when `password` matches `stored`; with no stored hash, spends the
    /// same effort and returns false.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> anyhow::Result<bool> {
        let known = stored.is_some();
        let stored = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.to_owned();
        let matches = self.run(move |memory| verify_with(memory, &stored, &password)).await?;
        Ok(known && matches)
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

fn hash_worker(jobs: &flume::Receiver<HashJob>, held: &AtomicUsize) {
    let mut memory = Vec::new();
    loop {
        let job = match jobs.try_recv() {
            Ok(job) => job,
            Err(flume::TryRecvError::Empty) => {
                // Nothing waiting: give the block back before sleeping (the
                // allocator returns it to the system), so the memory a
                // flood needed does not outlive it.
                if !memory.is_empty() {
                    memory = Vec::new();
                    held.fetch_sub(1, Ordering::SeqCst);
                }
                match jobs.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                }
            }
            Err(flume::TryRecvError::Disconnected) => return,
        };
        let had_block = !memory.is_empty();
        job(&mut memory);
        if !had_block && !memory.is_empty() {
            held.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// `memory` resized for `params` (kept between calls on the same thread).
fn memory_for<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    if memory.len() != params.block_count() {
        *memory = vec![Block::new(); params.block_count()];
    }
    memory.as_mut_slice()
}

fn hash_with(memory: &mut Vec<Block>, password: &str) -> anyhow::Result<String> {
    let params = params();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| anyhow::anyhow!("could not decode a fresh salt: {e}"))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory_for(memory, &params))
        .map_err(|e| anyhow::anyhow!("could not hash password: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("{e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("{e}"))?),
    };
    Ok(phc.to_string())
}

fn verify_with(memory: &mut Vec<Block>, stored: &str, password: &str) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(stored).map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        anyhow::bail!("stored password hash has no salt or no output");
    };
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| anyhow::anyhow!("stored password hash: {e}"))?;
    let version = parsed.version.map(Version::try_from).transpose().map_err(|e| anyhow::anyhow!("stored password hash: {e}"))?.unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(|e| anyhow::anyhow!("stored password hash: {e}"))?;
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| anyhow::anyhow!("stored password hash: {e}"))?;
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut computed, memory_for(memory, &params))
        .map_err(|e| anyhow::anyhow!("could not verify password: {e}"))?;
    Ok(secrets_equal(&computed, expected.as_bytes()))
}

/// A fresh URL-safe secret of 256 random bits (claim links, setup links).
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new access code: 16 characters drawn uniformly from a 32-character
/// alphabet (each random byte's low 5 bits), 80 bits.
pub fn generate_access_code() -> AccessCode {
    let mut indexes = [0u8; ACCESS_CODE_CHARS];
    OsRng.fill_bytes(&mut indexes);
    AccessCode::from_alphabet_indexes(indexes.map(|b| b & 31))
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
    /// The sealer of claim secrets.
    pub fn new(server_key: &SecretString) -> Self {
        Self::for_purpose(server_key, b"embark/claim-secret-seal/v1")
    }

    /// The sealer of the single sign-on client secret: its own key, so
    /// neither kind of sealed value opens as the other.
    pub fn for_sso_client_secret(server_key: &SecretString) -> Self {
        Self::for_purpose(server_key, b"embark/sso-client-secret-seal/v1")
    }

    /// The sealer of the directory's bind password: its own key too.
    pub fn for_directory_bind_password(server_key: &SecretString) -> Self {
        Self::for_purpose(server_key, b"embark/directory-bind-password-seal/v1")
    }

    fn for_purpose(server_key: &SecretString, purpose: &[u8]) -> Self {
        let hkdf = hkdf::Hkdf::<Sha256>::new(Some(purpose), server_key.expose_secret().as_bytes());
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
    fn access_codes_use_the_whole_alphabet_evenly_and_read_back() {
        let mut seen = std::collections::HashMap::new();
        for _ in 0..2_000 {
            let code = generate_access_code();
            assert_eq!(AccessCode::parse(&code.grouped()).unwrap(), code);
            for c in code.as_str().chars() {
                *seen.entry(c).or_insert(0) += 1;
            }
        }
        // 32,000 characters over 32: about 1,000 each.
        assert_eq!(seen.len(), 32);
        assert!(seen.values().all(|n| (800..1_200).contains(n)), "{seen:?}");
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

    #[tokio::test]
    async fn hashing_threads_free_their_memory_once_the_queue_is_empty() {
        let hasher = PasswordHasher::new();
        let stored = hasher.hash("correct horse").await.unwrap();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let checks: Vec<_> = (0..cores * 8).map(|_| hasher.verify(Some(&stored), "correct horse")).collect();
        assert!(futures::future::join_all(checks).await.into_iter().all(|r| r.unwrap()));
        // Each thread frees its block before it waits for more; one may
        // still be finishing its last job when the answers are in.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while hasher.blocks_held() > 0 {
            assert!(std::time::Instant::now() < deadline, "{} blocks still held with nothing to do", hasher.blocks_held());
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_format() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let theirs = reference.hash_password(b"a-long-passphrase", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        let hasher = PasswordHasher::new();
        assert!(hasher.verify(Some(&theirs), "a-long-passphrase").await.unwrap());
        assert!(!hasher.verify(Some(&theirs), "a-long-passphrasf").await.unwrap());
        let ours = hasher.hash("a-long-passphrase").await.unwrap();
        assert!(reference.verify_password(b"a-long-passphrase", &PasswordHash::new(&ours).unwrap()).is_ok());
    }
}
