//! Sessions are kept in PostgreSQL under a digest of their id, never the id
//! itself: the cookie holds the id, the table holds SHA-256(id) cut to the
//! 128 bits a session id has. A copy of the database (a backup, a replica, a
//! leaked dump) then holds no session anyone could use (SECURITY.md rule 1).

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Debug, Clone)]
pub struct HashedIdStore<S> {
    inner: S,
}

impl<S> HashedIdStore<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

/// What the store keeps in place of `id`.
pub fn stored_id(id: &Id) -> Id {
    let digest = Sha256::digest(id.0.to_le_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    Id(i128::from_le_bytes(first))
}

/// `record` as stored: the id inside the record (which the store also
/// serialises into the data column) is the digest too.
fn stored(record: &Record) -> Record {
    Record { id: stored_id(&record.id), data: record.data.clone(), expiry_date: record.expiry_date }
}

#[async_trait]
impl<S: SessionStore + Clone> SessionStore for HashedIdStore<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits: a collision is not a case to handle, so
        // a new session is saved like any other.
        self.inner.save(&stored(record)).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.inner.save(&stored(record)).await
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self.inner.load(&stored_id(session_id)).await?.map(|record| Record { id: *session_id, ..record }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.inner.delete(&stored_id(session_id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_id_is_not_the_id_and_is_stable() {
        let id = Id::default();
        assert_ne!(stored_id(&id), id);
        assert_eq!(stored_id(&id), stored_id(&id));
        assert_ne!(stored_id(&id), stored_id(&Id::default()));
    }
}
