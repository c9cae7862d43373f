//! A real SMTP server (the `mailin` protocol implementation on tokio) that
//! accepts every message and counts them by Message-ID and recipient, for
//! tests and benchmarks that send thousands of emails. Shared by the
//! integration tests and the scale benchmark through `#[path]`.

use mailin::{Handler, Response, SessionBuilder};
use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Default)]
struct Received {
    /// Deliveries per Message-ID.
    by_message_id: HashMap<String, usize>,
    /// Deliveries per recipient address.
    by_recipient: HashMap<String, usize>,
    total: usize,
}

#[derive(Clone)]
pub struct CountingSmtp {
    pub url: String,
    received: Arc<Mutex<Received>>,
}

struct Recorder {
    received: Arc<Mutex<Received>>,
    recipients: Vec<String>,
    headers: Vec<u8>,
    in_headers: bool,
}

impl Handler for Recorder {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.recipients = to.to_vec();
        self.headers.clear();
        self.in_headers = true;
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.in_headers {
            self.headers.extend_from_slice(buf);
            if self.headers.windows(4).any(|w| w == b"\r\n\r\n") || self.headers.windows(2).any(|w| w == b"\n\n") {
                self.in_headers = false;
            }
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let headers = String::from_utf8_lossy(&self.headers);
        let message_id = headers
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("message-id").then(|| value.trim().to_owned())
            })
            .unwrap_or_default();
        let mut received = self.received.lock().unwrap();
        *received.by_message_id.entry(message_id).or_default() += 1;
        for to in &self.recipients {
            *received.by_recipient.entry(to.to_lowercase()).or_default() += 1;
        }
        received.total += 1;
        mailin::response::OK
    }
}

impl CountingSmtp {
    /// Listens on a free port of 127.0.0.1 until the process ends.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Received::default()));
        let shared = received.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else { continue };
                let received = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, peer.ip(), received).await;
                });
            }
        });
        Self { url, received }
    }

    pub fn total(&self) -> usize {
        self.received.lock().unwrap().total
    }

    /// Deliveries per recipient address.
    pub fn by_recipient(&self) -> HashMap<String, usize> {
        self.received.lock().unwrap().by_recipient.clone()
    }

    /// Message-IDs delivered more than once, with their counts.
    pub fn duplicated_message_ids(&self) -> Vec<(String, usize)> {
        self.received.lock().unwrap().by_message_id.iter().filter(|(_, n)| **n > 1).map(|(id, n)| (id.clone(), *n)).collect()
    }
}

async fn serve(stream: tokio::net::TcpStream, peer: IpAddr, received: Arc<Mutex<Received>>) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let recorder = Recorder { received, recipients: Vec::new(), headers: Vec::new(), in_headers: false };
    let mut session = SessionBuilder::new("counting-smtp").build(peer, recorder);
    writer.write_all(&session.greeting().buffer()?).await?;
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            mailin::Action::NoReply => {}
            mailin::Action::Close => {
                writer.write_all(&response.buffer()?).await?;
                return Ok(());
            }
            _ => writer.write_all(&response.buffer()?).await?,
        }
    }
}
