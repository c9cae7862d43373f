//! A bounded queue for CPU-heavy work (password hashing, picture decoding):
//! at most one job per core runs, a few more wait, and anything beyond is
//! refused at once with [`Busy`] instead of piling up memory and latency.

use std::sync::Arc;
use tokio::sync::Semaphore;

/// The queue was full: nothing was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too much work is queued; try again shortly")]
pub struct Busy;

#[derive(Clone)]
pub struct WorkQueue {
    /// Jobs running or waiting; a job that gets none is refused.
    admitted: Arc<Semaphore>,
    /// Jobs running.
    running: Arc<Semaphore>,
}

impl WorkQueue {
    /// `workers` jobs at once, and up to `waiting` more queued behind them.
    pub fn new(workers: usize, waiting: usize) -> Self {
        Self { admitted: Arc::new(Semaphore::new(workers + waiting)), running: Arc::new(Semaphore::new(workers)) }
    }

    /// One worker per core, and `waiting_per_core` queued behind each.
    pub fn per_core(waiting_per_core: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores, cores * waiting_per_core)
    }

    /// Runs `job` on the blocking pool once a worker is free, or refuses at
    /// once when the queue is full.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, anyhow::Error> {
        let _admitted = self.admitted.clone().try_acquire_owned().map_err(|_| Busy)?;
        let _running = self.running.acquire().await?;
        Ok(tokio::task::spawn_blocking(job).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_instead_of_waiting() {
        let queue = WorkQueue::new(1, 1);
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let running = tokio::spawn({
            let queue = queue.clone();
            async move { queue.run(move || blocked.recv().unwrap()).await }
        });
        // Wait until the first job holds the only worker.
        while queue.running.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let waiting = tokio::spawn({
            let queue = queue.clone();
            async move { queue.run(|| 2).await }
        });
        while queue.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = queue.run(|| 3).await.unwrap_err();
        assert!(refused.is::<Busy>());
        release.send(()).unwrap();
        running.await.unwrap().unwrap();
        assert_eq!(waiting.await.unwrap().unwrap(), 2);
        assert_eq!(queue.run(|| 4).await.unwrap(), 4);
    }
}
