//! Embark at company scale, measured end to end against the release `embark`
//! binary, a real PostgreSQL and a real (local) SMTP server, printing each
//! figure. Run with `scripts/bench` (README "Benchmarks"); not part of the
//! test suite, and nothing here asserts on time.
//!
//! 1. import of a 100,000-row CSV, then XLSX: upload → preview → apply;
//! 2. Invite All over those 100,000 uninvited people;
//! 3. outbox dispatch of the 100,000 claim emails to a local SMTP server;
//! 4. the People page (search + status filter) over 1,000,000 accounts, and
//!    the SCIM API over them (lookups by userName, creating, deactivating);
//! 5. what anonymous visitors reach, under `wrk` load (64 connections):
//!    the claim wizard, claim links, the sign-in page and password sign-ins,
//!    each beside its ceiling measured in the same run (`/healthz` for
//!    pages, argon2 hashes per second for sign-ins), the server's memory
//!    idle and after a sign-in flood, and a real person's sign-in while one
//!    address floods wrong passwords;
//! 6. directory sync of 100,000 people from OpenLDAP: the first sync, an
//!    unchanged one, and one in which half of them left and are deactivated;
//!
//! with the server's peak memory (VmHWM) after each.

#[path = "../tests/support/counting_smtp.rs"]
mod counting_smtp;
#[path = "../tests/support/directory_form.rs"]
mod directory_form;

use counting_smtp::CountingSmtp;
use reqwest::header::{ACCEPT, ORIGIN};
use reqwest::multipart::{Form, Part};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PEOPLE: usize = 100_000;
const DIRECTORY: i64 = 1_000_000;
const PAGE_REQUESTS: usize = 400;
const SECRET_KEY: &str = "benchmark-secret-key-benchmark-secret-key";
const ADMIN_EMAIL: &str = "bench-admin@example.com";
const ADMIN_PASSWORD: &str = "correct horse battery staple river";

struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Server {
    /// `smtp`: the SMTP server's URL and how many connections to use.
    async fn start(database_url: &str, smtp: Option<(&str, usize)>) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(env!("CARGO_BIN_EXE_embark"));
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("EMBARK_LISTEN", format!("127.0.0.1:{port}"))
            .env("EMBARK_PUBLIC_URL", &base)
            .env("EMBARK_SECRET_KEY", SECRET_KEY)
            .env("EMBARK_LOG_FORMAT", "json")
            // As if behind a proxy at 127.0.0.1, so that load generated here
            // can come from several client addresses (X-Forwarded-For).
            .env("EMBARK_TRUSTED_PROXIES", "127.0.0.1")
            // The SCIM figures measure what the server can do, not the
            // per-integration limit (200/s by default).
            .env("EMBARK_SCIM_RATE", "100000")
            .env("RUST_LOG", std::env::var("EMBARK_BENCH_LOG").unwrap_or_else(|_| "warn".to_owned()))
            .env("LEPTOS_OUTPUT_NAME", "embark")
            .env("LEPTOS_SITE_ROOT", "target/site")
            // Its log (stdout) only when asked for, e.g. EMBARK_BENCH_LOG=info.
            .stdout(if std::env::var_os("EMBARK_BENCH_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
            .stderr(Stdio::inherit());
        if let Some((url, connections)) = smtp {
            command.env("EMBARK_SMTP_URL", url).env("EMBARK_MAIL_FROM", "Embark <embark@bench.test>").env("EMBARK_SMTP_CONNECTIONS", connections.to_string());
        }
        let child = command.spawn().expect("the release embark binary starts");
        let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let server = Self { child, base, client };
        for _ in 0..300 {
            if server.client.get(format!("{}/healthz", server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
                let signed_in = server
                    .client
                    .post(format!("{}/api/sign_in", server.base))
                    .header(ORIGIN, &server.base)
                    .header(ACCEPT, "application/json")
                    .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
                    .send()
                    .await
                    .unwrap();
                assert!(signed_in.status().is_success() || signed_in.status().is_redirection(), "sign-in failed: {}", signed_in.status());
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("embark did not become healthy");
    }

    /// Peak resident memory of the server process so far, in MB.
    fn peak_memory_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    async fn call(&self, server_fn: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response = self
            .client
            .post(format!("{}/api/{server_fn}", self.base))
            .header(ORIGIN, &self.base)
            .header(ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success() || response.status().is_redirection(), "{server_fn}: {}", response.status());
        response
    }

    /// Upload → preview page → apply (invite later). Returns the seconds
    /// each took.
    async fn import(&self, file_name: &str, bytes: Vec<u8>) -> (f64, f64, f64) {
        let started = Instant::now();
        let uploaded = self
            .client
            .post(format!("{}/admin/import/upload", self.base))
            .header(ORIGIN, &self.base)
            .multipart(Form::new().part("file", Part::bytes(bytes).file_name(file_name.to_owned())))
            .send()
            .await
            .unwrap();
        let location = uploaded.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(location.starts_with("/admin/import/") && location != "/admin/import/upload", "upload refused: {location}");
        let upload = started.elapsed().as_secs_f64();
        let page = self.client.get(format!("{}{location}", self.base)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Import preview"));
        let preview = started.elapsed().as_secs_f64() - upload;
        let id = location.rsplit('/').next().unwrap().to_owned();
        self.call("admin_apply_import", &[("id", &id), ("invite", "later")]).await;
        let apply = started.elapsed().as_secs_f64() - upload - preview;
        (upload, preview, apply)
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh database on the PostgreSQL server DATABASE_URL names, with the
/// schema and an administrator.
async fn fresh_database(label: &str) -> (String, PgPool) {
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL names a PostgreSQL server (scripts/bench sets it)");
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base).to_owned();
    let name = format!("embark_bench_{label}_{}", std::process::id());
    let admin = PgPoolOptions::new().max_connections(1).connect(&server).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
    let url = format!("{base}/{name}");
    let status = Command::new(env!("CARGO_BIN_EXE_embark"))
        .args(["create-admin", "--email", ADMIN_EMAIL, "--name", "Bench Admin", "--organization", "Bench Corp"])
        .env("DATABASE_URL", &url)
        .env("EMBARK_SECRET_KEY", SECRET_KEY)
        .env("EMBARK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "create-admin failed");
    let pool = PgPoolOptions::new().max_connections(2).connect(&url).await.unwrap();
    (url, pool)
}

const DEPARTMENTS: [&str; 8] = ["Engineering", "Sales", "Support", "Marketing", "Finance", "People", "Legal", "Operations"];
const FIRST: [&str; 16] =
    ["Amara", "Bruno", "Chen", "Dalia", "Emil", "Farah", "Gustav", "Hana", "Ivan", "Jasmin", "Kofi", "Lena", "Mateo", "Nadia", "Oskar", "Priya"];
const LAST: [&str; 12] = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Haddad", "Silva", "Kowalski", "Mensah", "Fischer", "Rossi", "Byrne"];

/// One row of the generated company, with every column filled.
fn person_row(i: usize, prefix: &str) -> [String; 9] {
    let department = DEPARTMENTS[i % DEPARTMENTS.len()];
    let manager = if i.is_multiple_of(100) { String::new() } else { format!("{prefix}{}@bench.example.com", i - i % 100) };
    [
        format!("{prefix}{i}@bench.example.com"),
        format!("{prefix}-{i:06}"),
        format!("{} {} {i}", FIRST[i % FIRST.len()], LAST[(i / 7) % LAST.len()]),
        "Specialist".to_owned(),
        department.to_owned(),
        ["Berlin", "London", "Lisbon", "New York"][i % 4].to_owned(),
        format!("+1 555 {i:07}"),
        manager,
        format!("{department}; Everyone"),
    ]
}

fn company_csv(prefix: &str) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(16 * 1024 * 1024));
    writer.write_record(["Email", "External ID", "Full name", "Title", "Department", "Location", "Phone", "Manager email", "Groups"]).unwrap();
    for i in 0..PEOPLE {
        writer.write_record(person_row(i, prefix)).unwrap();
    }
    writer.into_inner().unwrap()
}

fn company_xlsx(prefix: &str) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, name) in ["Email", "External ID", "Full name", "Title", "Department", "Location", "Phone", "Manager email", "Groups"].iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for i in 0..PEOPLE {
        for (c, cell) in person_row(i, prefix).iter().enumerate() {
            sheet.write_string(i as u32 + 1, c as u16, cell).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// Writes out what earlier steps left in PostgreSQL's buffers, so a step is
/// measured on a quiet database rather than alongside a checkpoint of the
/// previous one (which moved figures by ±20% between runs). Needs the
/// superuser or the pg_checkpoint role, as on the private cluster.
async fn settle(pool: &PgPool) {
    let _ = sqlx::query("CHECKPOINT").execute(pool).await;
}

/// Waits until the server has indexed every account for search; returns
/// the seconds that took.
async fn search_backlog_drained(pool: &PgPool) -> f64 {
    let started = Instant::now();
    while count(pool, "SELECT count(*) FROM account_search_backlog").await > 0 {
        assert!(started.elapsed() < Duration::from_secs(600), "the search index never caught up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed().as_secs_f64()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    println!("Embark scale benchmark ({} cores, PostgreSQL on the same host)\n", std::thread::available_parallelism().map_or(0, |n| n.get()));

    // EMBARK_BENCH=bulk, people or http runs one part.
    let only = std::env::var("EMBARK_BENCH").unwrap_or_default();
    if only.is_empty() || only == "bulk" {
        bulk().await;
    }
    if only.is_empty() || only == "people" {
        people_page().await;
    }
    if only.is_empty() || only == "http" {
        http().await;
    }
    if only.is_empty() || only == "directory" {
        directory_sync().await;
    }
}

/// What `wrk --latency` reported.
struct Load {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx_3xx: u64,
}

impl Load {
    /// Answers that were 2xx or 3xx, per second, over a run of `seconds`.
    fn successes_per_second(&self, seconds: u32) -> f64 {
        self.per_second - self.non_2xx_3xx as f64 / f64::from(seconds)
    }
}

impl std::fmt::Display for Load {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:>7.0}/s, p50 {:>6.1} ms, p99 {:>7.1} ms", self.per_second, self.p50_ms, self.p99_ms)?;
        if self.non_2xx_3xx > 0 {
            write!(f, " ({} answers not 2xx/3xx)", self.non_2xx_3xx)?;
        }
        Ok(())
    }
}

/// `load`'s rate as a percentage of `ceiling`'s, measured in the same run:
/// the figure that holds while this machine's speed drifts.
fn share(load: &Load, ceiling: &Load) -> f64 {
    load.per_second / ceiling.per_second * 100.0
}

/// Runs `wrk` for `seconds` with `connections` against `url`; `script` is a
/// Lua snippet (request method, body, headers).
fn wrk(url: &str, connections: usize, seconds: u32, script: &str) -> Load {
    let dir = std::env::temp_dir().join(format!("embark-wrk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let lua = dir.join("request.lua");
    std::fs::write(&lua, script).unwrap();
    let output = Command::new("wrk")
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency", "-s"])
        .arg(&lua)
        .arg(url)
        .output()
        .expect("wrk runs (scripts/bench installs it)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let millis = |label: &str| {
        text.lines().find_map(|line| line.trim().strip_prefix(label)).map_or(f64::NAN, |value| {
            let value = value.trim();
            let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(value.len()));
            let number: f64 = number.parse().unwrap_or(f64::NAN);
            match unit {
                "us" => number / 1000.0,
                "ms" => number,
                "s" => number * 1000.0,
                "m" => number * 60_000.0,
                _ => f64::NAN,
            }
        })
    };
    let per_second = text.lines().find_map(|line| line.strip_prefix("Requests/sec:")).and_then(|v| v.trim().parse().ok()).unwrap_or(f64::NAN);
    let non_2xx_3xx = text.lines().find_map(|line| line.trim().strip_prefix("Non-2xx or 3xx responses:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    Load { per_second, p50_ms: millis("50%"), p99_ms: millis("99%"), non_2xx_3xx }
}

fn lua_headers(headers: &[(&str, &str)]) -> String {
    headers.iter().map(|(name, value)| format!("wrk.headers[\"{name}\"] = \"{value}\"\n")).collect()
}

fn lua_post(body: &str, headers: &[(&str, &str)]) -> String {
    format!("wrk.method = \"POST\"\nwrk.body = \"{body}\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n{}", lua_headers(headers))
}

/// Resident memory of the server process now, in MB.
fn memory_now_mb(server: &Server) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The server's memory once it has been left alone until its memory stops
/// falling (the allocator returns freed memory to the system a few seconds
/// after it is freed), at most 30 s; and how long that took.
async fn memory_when_quiet(server: &Server) -> (f64, f64) {
    let started = Instant::now();
    let mut last = memory_now_mb(server);
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = memory_now_mb(server);
        if (last - now).abs() < 0.5 || started.elapsed() > Duration::from_secs(30) {
            return (now, started.elapsed().as_secs_f64());
        }
        last = now;
    }
}

/// Claim links for `count` invited people, made the way Embark makes them.
async fn invited_with_links(pool: &PgPool, count: usize) -> Vec<String> {
    use app::server::crypto::{generate_secret, secret_digest, SecretSealer};
    let sealer = SecretSealer::new(&secrecy::SecretString::from(SECRET_KEY));
    let mut secrets = Vec::with_capacity(count);
    for i in 0..count {
        let account = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO account (id, status, email, email_normalized, full_name, created_at, updated_at, invited_at) \
             VALUES ($1, 'invited', $2, $2, $3, now(), now(), now())",
        )
        .bind(account)
        .bind(format!("claimer{i}@bench.test"))
        .bind(format!("Claimer {i}"))
        .execute(pool)
        .await
        .unwrap();
        let secret = generate_secret();
        sqlx::query(
            "INSERT INTO claim_credential (id, account_id, kind, secret_hash, secret_sealed, created_at, expires_at) \
             VALUES ($1, $2, 'link', $3, $4, now(), now() + interval '30 days')",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(account)
        .bind(secret_digest(&secret))
        .bind(sealer.seal(&secret))
        .execute(pool)
        .await
        .unwrap();
        secrets.push(secret);
    }
    secrets
}

/// A 600×600 picture with a photo's fine detail: its normalised JPEG is
/// about 20 KB, as a real photo's is.
fn photo_like_png() -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let image = image::RgbImage::from_fn(600, 600, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 40) as f32 - 20.0;
        let wave = |v: u32, period: f32| 128.0 + 100.0 * (v as f32 / period).sin() + noise;
        image::Rgb([wave(x, 37.0) as u8, wave(y, 23.0) as u8, wave(x + y, 51.0) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Password hashes per second on every core at once: the most sign-ins any
/// server on this machine can check.
async fn argon2_ceiling() -> f64 {
    let hasher = app::server::crypto::PasswordHasher::new();
    let stored = hasher.hash(ADMIN_PASSWORD).await.unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let mut done = 0usize;
    while started.elapsed() < Duration::from_secs(4) {
        let checks: Vec<_> = (0..cores * 4).map(|_| hasher.verify(Some(&stored), ADMIN_PASSWORD)).collect();
        done += futures::future::join_all(checks).await.into_iter().filter(|r| r.is_ok()).count();
    }
    done as f64 / started.elapsed().as_secs_f64()
}

async fn http() {
    let (url, pool) = fresh_database("http").await;
    let secrets = invited_with_links(&pool, 3).await;
    settle(&pool).await;
    let server = Server::start(&url, None).await;
    let base = server.base.clone();
    println!("\nWhat anonymous visitors reach, under load (wrk, 2 threads, 64 connections, 8 s each):");
    let (idle, quiet_for) = memory_when_quiet(&server).await;

    // A browser in the middle of a claim.
    let claimer = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let opened = claimer.get(format!("{base}/claim/{}", secrets[0])).send().await.unwrap();
    let cookie = opened.headers().get("set-cookie").and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).unwrap_or_default().to_owned();
    assert!(cookie.starts_with("embark_session="), "opening a claim link starts a session");
    // And one that has chosen a picture: the pages after the profile step.
    let with_picture = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let opened = with_picture.get(format!("{base}/claim/{}", secrets[2])).send().await.unwrap();
    let picture_cookie = opened.headers().get("set-cookie").and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).unwrap_or_default().to_owned();
    let form = Form::new().part("picture", Part::bytes(photo_like_png()).file_name("me.png"));
    let uploaded = with_picture.post(format!("{base}/claim/picture")).header(ORIGIN, &base).header(ACCEPT, "text/html").multipart(form).send().await.unwrap();
    assert_eq!(uploaded.headers().get("location").and_then(|v| v.to_str().ok()), Some("/claim"), "the picture is accepted");

    let ceiling = wrk(&format!("{base}/healthz"), 64, 8, "");
    println!("  /healthz (a database ping: the stack's ceiling)      {ceiling}");
    // The same page without a claim reads nothing from the database: what
    // rendering a page alone allows on this machine.
    let floor = wrk(&format!("{base}/claim"), 64, 8, &lua_headers(&[("Accept", "text/html")]));
    println!("  a page that reads nothing (GET /claim, no claim)    {floor} ({:.0}% of the ceiling)", share(&floor, &ceiling));
    let claim_page = wrk(&format!("{base}/claim"), 64, 8, &lua_headers(&[("Cookie", &cookie), ("Accept", "text/html")]));
    println!("  claim wizard page (GET /claim, a claim in progress)  {claim_page} ({:.0}% of the ceiling)", share(&claim_page, &ceiling));
    let picture_page = wrk(&format!("{base}/claim"), 64, 8, &lua_headers(&[("Cookie", &picture_cookie), ("Accept", "text/html")]));
    println!("  the same after choosing a picture                   {picture_page} ({:.0}% of the ceiling)", share(&picture_page, &ceiling));
    let link = wrk(&format!("{base}/claim/{}", secrets[1]), 64, 8, "");
    println!("  opening a claim link (GET /claim/<token>)           {link} ({:.0}% of the ceiling)", share(&link, &ceiling));
    let sign_in_page = wrk(&format!("{base}/sign-in"), 64, 8, &lua_headers(&[("Accept", "text/html")]));
    println!("  sign-in page                                        {sign_in_page} ({:.0}% of the ceiling)", share(&sign_in_page, &ceiling));

    let hashes = argon2_ceiling().await;
    let body = format!("email={}&password={}", ADMIN_EMAIL.replace('@', "%40"), ADMIN_PASSWORD.replace(' ', "+"));
    let sign_ins =
        wrk(&format!("{base}/api/sign_in"), 64, 8, &lua_post(&body, &[("Origin", &base), ("Accept", "application/json"), ("X-Forwarded-For", "192.0.2.64")]));
    let signed_in = sign_ins.successes_per_second(8);
    let share = signed_in / hashes * 100.0;
    println!(
        "  password sign-ins, 64 clients                       {sign_ins}: {signed_in:.0} signed in/s; argon2 ceiling {hashes:.0} hashes/s ({share:.0}% of it)"
    );
    // The hashes the first run left queued when wrk stopped are done before
    // the next run starts: a sign-in that gets through the (first in, first
    // out) queue waited for all of them. Until then the queue may be full
    // and answer "busy" at once.
    let person = reqwest::Client::new();
    for attempt in 1.. {
        let response = person
            .post(format!("{base}/api/sign_in"))
            .header(ORIGIN, &base)
            .header(ACCEPT, "application/json")
            .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap();
        if response.status().is_success() {
            break;
        }
        assert!(attempt < 100, "the server still refuses sign-ins after the flood: {}", response.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let few =
        wrk(&format!("{base}/api/sign_in"), 8, 8, &lua_post(&body, &[("Origin", &base), ("Accept", "application/json"), ("X-Forwarded-For", "192.0.2.8")]));
    println!("  password sign-ins, 8 clients                        {few}");
    let after_flood = memory_now_mb(&server);
    let (after_flood_quiet, flood_quiet_for) = memory_when_quiet(&server).await;
    println!(
        "  server memory: idle {idle:.0} MB (quiet {quiet_for:.0} s); right after the sign-in floods {after_flood:.0} MB, {after_flood_quiet:.0} MB once quiet {flood_quiet_for:.0} s (peak {:.0} MB)",
        server.peak_memory_mb()
    );

    // One address floods wrong passwords while a real person signs in.
    let flood_body = "email=victim%40bench.test&password=wrong";
    let flood_script = lua_post(flood_body, &[("Origin", &base), ("Accept", "application/json"), ("X-Forwarded-For", "198.51.100.66")]);
    let flood_url = format!("{base}/api/sign_in");
    let flood = std::thread::spawn(move || wrk(&flood_url, 32, 10, &flood_script));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut latencies = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(6) {
        let person = reqwest::Client::new();
        let began = Instant::now();
        let response = person
            .post(format!("{base}/api/sign_in"))
            .header(ORIGIN, &base)
            .header(ACCEPT, "application/json")
            .header("X-Forwarded-For", "203.0.113.5")
            .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "the real person was refused: {}", response.status());
        latencies.push(began.elapsed().as_secs_f64() * 1000.0);
    }
    let flood = flood.join().unwrap();
    latencies.sort_by(f64::total_cmp);
    println!(
        "  a real person's sign-in during a wrong-password flood from one address ({:.0}/s, throttled): p50 {:.0} ms, p99 {:.0} ms over {} sign-ins",
        flood.per_second,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.len()
    );
    println!("  server memory after everything: {:.0} MB (peak {:.0} MB)", memory_now_mb(&server), server.peak_memory_mb());
    server.stop();
    pool.close().await;
}

/// Imports the generated company into an empty directory, checks that
/// everyone arrived, and prints the figures.
async fn import_and_report(server: &Server, pool: &PgPool, format: &str, file_name: &str, bytes: Vec<u8>) {
    settle(pool).await;
    let size_mb = bytes.len() as f64 / 1e6;
    let (upload, preview, apply) = server.import(file_name, bytes).await;
    // The server indexes the new people for search once the apply has
    // committed (searches find them meanwhile through the backlog).
    let indexed = search_backlog_drained(pool).await;
    assert_eq!(count(pool, "SELECT count(*) FROM account WHERE status = 'uninvited'").await, PEOPLE as i64);
    println!(
        "import 100,000-row {format} ({size_mb:.1} MB): {:.2} s end to end (upload+check+stage {upload:.2} s, preview page {preview:.2} s, apply {apply:.2} s); search index caught up in the background {indexed:.2} s later; server peak memory {:.0} MB",
        upload + preview + apply,
        server.peak_memory_mb()
    );
}

/// Import, Invite All and dispatch at 100,000 people.
async fn bulk() {
    // 1a. CSV import, then Invite All, then dispatch, on one directory.
    let (csv_url, csv_pool) = fresh_database("csv").await;
    let server = Server::start(&csv_url, None).await;
    import_and_report(&server, &csv_pool, "CSV", "company.csv", company_csv("csv")).await;

    settle(&csv_pool).await;
    let started = Instant::now();
    server.call("admin_invite_all", &[("personal_message", "Welcome to Embark!")]).await;
    let invite_all = started.elapsed().as_secs_f64();
    assert_eq!(count(&csv_pool, "SELECT count(*) FROM email_outbox WHERE state = 'queued'").await, PEOPLE as i64);
    println!("Invite All over 100,000 uninvited accounts: committed in {invite_all:.2} s; server peak memory {:.0} MB", server.peak_memory_mb());

    // 1b. The same file again with everyone's title changed: 100,000
    // updates of people already in Embark (and invited by now).
    settle(&csv_pool).await;
    let retitled = String::from_utf8(company_csv("csv")).unwrap().replace(",Specialist,", ",Senior Specialist,");
    let (upload, preview, apply) = server.import("company.csv", retitled.into_bytes()).await;
    assert_eq!(count(&csv_pool, "SELECT count(*) FROM account WHERE title = 'Senior Specialist'").await, PEOPLE as i64);
    assert_eq!(count(&csv_pool, "SELECT count(*) FROM account WHERE role = 'employee'").await, PEOPLE as i64);
    println!(
        "re-import of that CSV changing everyone's title (100,000 updates): {:.2} s end to end (upload+check+stage {upload:.2} s, preview page {preview:.2} s, apply {apply:.2} s)",
        upload + preview + apply
    );
    server.stop();

    // 1c. XLSX import into its own directory.
    let (xlsx_url, xlsx_pool) = fresh_database("xlsx").await;
    let server = Server::start(&xlsx_url, None).await;
    import_and_report(&server, &xlsx_pool, "XLSX", "company.xlsx", company_xlsx("xlsx")).await;
    server.stop();
    xlsx_pool.close().await;

    // 2. Outbox dispatch of the 100,000 queued claim emails, with the
    // default SMTP connections.
    let smtp = CountingSmtp::start().await;
    let server = Server::start(&csv_url, Some((&smtp.url, 32))).await;
    let started = Instant::now();
    let (mut at_10, mut at_90) = (None, None);
    while smtp.total() < PEOPLE {
        let sent = smtp.total();
        if at_10.is_none() && sent >= PEOPLE / 10 {
            at_10 = Some(started.elapsed().as_secs_f64());
        }
        if at_90.is_none() && sent >= PEOPLE * 9 / 10 {
            at_90 = Some(started.elapsed().as_secs_f64());
        }
        assert!(started.elapsed() < Duration::from_secs(600), "dispatch stalled at {sent}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let total = started.elapsed().as_secs_f64();
    while count(&csv_pool, "SELECT count(*) FROM email_outbox WHERE state <> 'sent'").await > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let by_recipient = smtp.by_recipient();
    let duplicates: usize = by_recipient.values().map(|n| n - 1).sum::<usize>().max(smtp.duplicated_message_ids().len());
    let sustained = (PEOPLE as f64 * 0.8) / (at_90.unwrap_or(total) - at_10.unwrap_or(0.0));
    println!(
        "outbox dispatch of 100,000 claim emails to a local SMTP server (32 connections): {:.0} messages/s overall ({total:.1} s), {sustained:.0} messages/s sustained (10%→90%); {} recipients reached, {} lost, {duplicates} duplicated; server peak memory {:.0} MB",
        PEOPLE as f64 / total,
        by_recipient.len(),
        PEOPLE - by_recipient.len(),
        server.peak_memory_mb()
    );
    server.stop();
    csv_pool.close().await;
}

/// The People page over a 1,000,000-account directory.
async fn people_page() {
    let (big_url, big_pool) = fresh_database("directory").await;
    let started = Instant::now();
    sqlx::query(
        "INSERT INTO account (id, status, email, email_normalized, external_id, full_name, title, department, created_at, updated_at, invited_at, claimed_at, deactivated_at) \
         SELECT gen_random_uuid(), (ARRAY['uninvited','invited','claimed','deactivated']::account_status[])[1 + (i % 10) * 4 / 10], \
                'p' || i || '@corp.example.com', 'p' || i || '@corp.example.com', 'E' || lpad(i::text, 7, '0'), \
                (ARRAY['Amara','Bruno','Chen','Dalia','Emil','Farah','Gustav','Hana','Ivan','Jasmin','Kofi','Lena'])[1 + i % 12] || ' ' || \
                (ARRAY['Okafor','Lindqvist','Moreau','Tanaka','Novak','Haddad','Silva','Kowalski','Mensah','Fischer','Rossi'])[1 + (i / 12) % 11] || ' ' || i, \
                'Specialist', 'Department ' || (i % 40), now(), now(), now(), now(), now() \
         FROM generate_series(1, $1) AS i",
    )
    .bind(DIRECTORY)
    .execute(&big_pool)
    .await
    .unwrap();
    // The steady state of a directory this size: autovacuum would otherwise
    // start on the million new rows during the measurement.
    sqlx::query("VACUUM ANALYZE account").execute(&big_pool).await.unwrap();
    settle(&big_pool).await;
    println!("\n(loaded {DIRECTORY} accounts in {:.0} s)", started.elapsed().as_secs_f64());
    let server = Server::start(&big_url, None).await;
    let indexed = search_backlog_drained(&big_pool).await;
    sqlx::query("VACUUM ANALYZE account_search, account_search_backlog").execute(&big_pool).await.unwrap();
    settle(&big_pool).await;
    println!("(the server indexed them for search in {indexed:.0} s)");
    let searches = ["", "nadia", "okafor", "lena silva", "p12345", "e00077", "corp.example", "zz-nobody", "ivan", "4242"];
    let statuses = ["", "uninvited", "invited", "claimed", "deactivated"];
    let mut latencies = Vec::with_capacity(PAGE_REQUESTS);
    let mut by_combination: std::collections::BTreeMap<(&str, &str), Vec<f64>> = std::collections::BTreeMap::new();
    for i in 0..PAGE_REQUESTS + 20 {
        let (q, status) = (searches[i % searches.len()], statuses[(i / searches.len()) % statuses.len()]);
        let url = format!("{}/admin/people?q={q}&status={status}", server.base);
        let started = Instant::now();
        let response = server.client.get(&url).header(ACCEPT, "text/html").send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        let body = response.text().await.unwrap();
        assert!(body.contains("People"));
        if i >= 20 {
            // The first requests warm the connection pool and caches.
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            latencies.push(ms);
            by_combination.entry((q, status)).or_default().push(ms);
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "People page (search + status filter) over {DIRECTORY} accounts, {PAGE_REQUESTS} server-rendered pages: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; server peak memory {:.0} MB",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
        server.peak_memory_mb()
    );
    let mut slowest: Vec<((&str, &str), f64)> = by_combination
        .into_iter()
        .map(|(combination, mut ms)| {
            ms.sort_by(f64::total_cmp);
            (combination, percentile(&ms, 0.5))
        })
        .collect();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    let slowest: Vec<String> = slowest.iter().take(5).map(|((q, status), ms)| format!("q={q:?} status={status:?} {ms:.1} ms")).collect();
    println!("  slowest searches (median): {}", slowest.join(", "));
    scim(&server, &big_pool).await;
    people_export(&server, &big_pool).await;
    audit_log(&server, &big_pool).await;
    server.stop();
    big_pool.close().await;
}

/// The People export of the whole 1,000,000-account directory, each
/// invited person with a live claim link to unseal and write.
async fn people_export(server: &Server, pool: &PgPool) {
    use app::server::crypto::{generate_secret, secret_digest, SecretSealer};
    let sealer = SecretSealer::new(&secrecy::SecretString::from(SECRET_KEY));
    let invited: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM account WHERE status = 'invited'").fetch_all(pool).await.unwrap();
    for batch in invited.chunks(20_000) {
        let secrets: Vec<String> = batch.iter().map(|_| generate_secret()).collect();
        let ids: Vec<uuid::Uuid> = batch.iter().map(|_| uuid::Uuid::now_v7()).collect();
        let digests: Vec<Vec<u8>> = secrets.iter().map(|s| secret_digest(s).to_vec()).collect();
        let sealed: Vec<Vec<u8>> = secrets.iter().map(|s| sealer.seal(s)).collect();
        sqlx::query(
            "INSERT INTO claim_credential (id, account_id, kind, secret_hash, secret_sealed, created_at, expires_at) \
             SELECT id, account_id, 'link', hash, sealed, now(), now() + interval '30 days' FROM UNNEST($1::uuid[], $2::uuid[], $3::bytea[], $4::bytea[]) AS t(id, account_id, hash, sealed)",
        )
        .bind(&ids)
        .bind(batch)
        .bind(&digests)
        .bind(&sealed)
        .execute(pool)
        .await
        .unwrap();
    }
    settle(pool).await;
    let memory_before = memory_now_mb(server);
    let started = Instant::now();
    let mut response = server.client.get(format!("{}/admin/people/export.csv", server.base)).send().await.unwrap();
    assert!(response.status().is_success(), "export: {}", response.status());
    let (mut bytes, mut lines, mut links, mut peak_rss) = (0_usize, 0_usize, 0_usize, memory_before);
    let mut carry = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        carry.extend_from_slice(&chunk);
        let text = String::from_utf8_lossy(&carry);
        links += text.matches("/claim/").count();
        let keep = text.rfind("/claim/").map_or(0, |i| i + "/claim/".len());
        carry.drain(..keep.min(carry.len()));
        peak_rss = peak_rss.max(memory_now_mb(server));
    }
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(lines as i64, DIRECTORY + 1 + 1 + 2_000, "the header, the admin, the directory and the SCIM-created people");
    println!(
        "People export of all {} accounts as CSV ({} live claim links unsealed): {seconds:.1} s, {:.0} MB, {:.0} rows/s; server memory {memory_before:.0} MB before, at most {peak_rss:.0} MB during",
        lines - 1,
        links,
        bytes as f64 / 1e6,
        (lines - 1) as f64 / seconds
    );
}

/// The audit log page over 10,000,000 events: the first page, one person's
/// entries, one kind of entry, and a date range, one request at a time.
async fn audit_log(server: &Server, pool: &PgPool) {
    const EVENTS: i64 = 10_000_000;
    let started = Instant::now();
    let person: uuid::Uuid = sqlx::query_scalar("SELECT id FROM account WHERE email = 'p4242@corp.example.com'").fetch_one(pool).await.unwrap();
    // Ten million entries over a year, about a hundred per person; one
    // kind in a thousand is an import.
    sqlx::query(
        "WITH people AS (SELECT array_agg(id) AS ids FROM (SELECT id FROM account LIMIT 1000) AS picked) \
         INSERT INTO audit_event (occurred_at, actor_id, actor_label, action, target_kind, target_id, target_label) \
         SELECT now() - make_interval(secs => i * 3.1), people.ids[1 + i % 1000], 'Bench actor', \
                (CASE WHEN i % 1000 = 0 THEN 'import.applied' WHEN i % 3 = 0 THEN 'account.invited' ELSE 'session.signed_in' END)::audit_action, \
                'account', people.ids[1 + (i / 7) % 1000], 'Bench target' \
         FROM generate_series(1, $1) AS i, people",
    )
    .bind(EVENTS)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO audit_event (occurred_at, actor_id, actor_label, action, target_kind, target_id, target_label) SELECT now() - make_interval(days => i), $1, 'P 4242', 'session.signed_in', 'account', $1, 'P 4242' FROM generate_series(1, 200) AS i")
        .bind(person)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("VACUUM ANALYZE audit_event").execute(pool).await.unwrap();
    settle(pool).await;
    println!("(loaded {EVENTS} audit events in {:.0} s)", started.elapsed().as_secs_f64());
    let month_ago = (time::OffsetDateTime::now_utc() - time::Duration::days(30)).date().to_string();
    let week_ago = (time::OffsetDateTime::now_utc() - time::Duration::days(23)).date().to_string();
    let person = person.to_string();
    let filters: [(&str, Vec<(&str, &str)>); 4] = [
        ("first page", vec![]),
        ("one person", vec![("person", person.as_str())]),
        ("one kind (import.applied)", vec![("action", "import.applied")]),
        ("a week a month ago", vec![("from", month_ago.as_str()), ("to", week_ago.as_str())]),
    ];
    let mut figures = Vec::new();
    for (label, filter) in &filters {
        let mut form: Vec<(&str, &str)> = ["person", "action", "from", "to", "before"].iter().map(|k| (*k, "")).collect();
        for (k, v) in filter {
            form.iter_mut().find(|(name, _)| name == k).unwrap().1 = v;
        }
        let mut latencies = Vec::new();
        for i in 0..(PAGE_REQUESTS / 4 + 10) {
            let started = Instant::now();
            let response = server.call("admin_audit_log", &form).await;
            let page: serde_json::Value = response.json().await.unwrap();
            assert_eq!(page["entries"].as_array().map(Vec::len), Some(50), "{label}: {page}");
            if i >= 10 {
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        latencies.sort_by(f64::total_cmp);
        figures.push(format!("{label} p50 {:.1} ms, p99 {:.1} ms", percentile(&latencies, 0.5), percentile(&latencies, 0.99)));
    }
    println!("Audit log page over {EVENTS} events ({} pages each, one at a time): {}", PAGE_REQUESTS / 4, figures.join("; "));
}

/// The SCIM API over the same 1,000,000 accounts: an identity provider
/// looking people up by userName, creating people and deactivating them,
/// 16 requests in flight for the writes.
async fn scim(server: &Server, pool: &PgPool) {
    use app::server::crypto::secret_digest;
    use futures::StreamExt as _;
    const WRITES: usize = 2_000;
    const IN_FLIGHT: usize = 16;
    let token = "embark_scim_benchmark0.bench-token-bench-token-bench-token-bench";
    sqlx::query(
        "INSERT INTO integration (id, name, name_normalized, token_prefix, token_digest, created_at, updated_at) \
         VALUES (gen_random_uuid(), 'Bench IdP', 'bench idp', 'embark_scim_benchmark0', $1, now(), now())",
    )
    .bind(secret_digest(token))
    .execute(pool)
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let users = format!("{}/scim/v2/Users", server.base);
    let authorization = format!("Bearer {token}");

    let mut latencies = Vec::new();
    for i in 0..(PAGE_REQUESTS + 20) {
        let person = 1 + (i * 7919) % DIRECTORY as usize;
        let started = Instant::now();
        let response = client
            .get(&users)
            .query(&[("filter", format!("userName eq \"p{person}@corp.example.com\""))])
            .header("Authorization", &authorization)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "filter: {}", response.status());
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["totalResults"], 1);
        if i >= 20 {
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "SCIM over {DIRECTORY} accounts: GET /Users?filter=userName eq \"…\" ({PAGE_REQUESTS}, one at a time): p50 {:.1} ms, p99 {:.1} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99)
    );

    let started = Instant::now();
    let created: Vec<String> = futures::stream::iter(0..WRITES)
        .map(|i| {
            let (client, users, authorization) = (&client, &users, &authorization);
            async move {
                let body = serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("scim{i}@bench.test"),
                    "name": { "givenName": "Scim", "familyName": format!("Person {i}") },
                    "externalId": format!("okta-{i}"),
                    "title": "Specialist",
                    "active": true,
                });
                let response = client.post(users).header("Authorization", authorization).json(&body).send().await.unwrap();
                assert_eq!(response.status(), reqwest::StatusCode::CREATED);
                let created: serde_json::Value = response.json().await.unwrap();
                created["id"].as_str().unwrap().to_owned()
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let create_rate = WRITES as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    futures::stream::iter(created.iter())
        .map(|id| {
            let (client, users, authorization) = (&client, &users, &authorization);
            async move {
                let body = serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{ "op": "Replace", "path": "active", "value": "False" }],
                });
                let response = client.patch(format!("{users}/{id}")).header("Authorization", authorization).json(&body).send().await.unwrap();
                assert!(response.status().is_success(), "deactivate: {}", response.status());
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<()>>()
        .await;
    let deactivate_rate = WRITES as f64 / started.elapsed().as_secs_f64();
    println!("  POST /Users (create, {WRITES}, {IN_FLIGHT} in flight): {create_rate:.0}/s; PATCH active false (deactivate, {WRITES}): {deactivate_rate:.0}/s");
}

/// Directory sync against scripts/bench's OpenLDAP of 100,000 people
/// (end2end/support/directory.py; every 25th locked, so 96,002 are read):
/// the first sync (read, stage, preview, apply), an unchanged re-sync, and
/// one in which Sales leaves and its people are deactivated.
async fn directory_sync() {
    let ldaps = std::env::var("EMBARK_BENCH_LDAPS_URL").expect("scripts/bench starts the directory");
    let ca = std::fs::read_to_string(std::env::var("EMBARK_BENCH_LDAP_CA").expect("scripts/bench starts the directory")).unwrap();
    let (url, pool) = fresh_database("directory").await;
    let server = Server::start(&url, None).await;
    let form = directory_form::settings_form(&ldaps, &ca, directory_form::BIND_PASSWORD, app::domain::OPENLDAP_FILTER);
    server.call("admin_save_directory_settings", &form).await;
    let read: i64 = 96_002;
    for (label, expect_new) in [("first sync", read), ("unchanged re-sync", 0)] {
        settle(&pool).await;
        let started = Instant::now();
        server.call("admin_preview_directory_sync", &[]).await;
        let preview = started.elapsed().as_secs_f64();
        let batch: uuid::Uuid = sqlx::query_scalar("SELECT id FROM import_batch ORDER BY created_at DESC LIMIT 1").fetch_one(&pool).await.unwrap();
        let created: i64 =
            sqlx::query_scalar("SELECT (preview->'counts'->>'create')::bigint FROM import_batch WHERE id = $1").bind(batch).fetch_one(&pool).await.unwrap();
        assert_eq!(created, expect_new, "{label}: new people in the preview");
        server.call("admin_apply_import", &[("id", &batch.to_string()), ("invite", "later")]).await;
        let total = started.elapsed().as_secs_f64();
        assert_eq!(count(&pool, "SELECT count(*) FROM account WHERE email LIKE '%@embark.test'").await, read);
        println!(
            "directory sync of {read} people from OpenLDAP over ldaps:// ({label}): {total:.2} s end to end (read + stage + preview {preview:.2} s, apply {:.2} s); server peak memory {:.0} MB",
            total - preview,
            server.peak_memory_mb()
        );
    }

    // Sales leaves the directory (the filter stops finding it) and departures
    // are deactivated: about 48,000 people at once, each with their sessions
    // ended, links revoked, mail cancelled and an audit entry.
    server.call("admin_save_directory_rules", &[("departures", "deactivate"), ("every", "")]).await;
    let without_sales = "(&(objectClass=inetOrgPerson)(!(pwdAccountLockedTime=000001010000Z))(!(departmentNumber=Sales)))";
    let form = directory_form::settings_form(&ldaps, &ca, directory_form::BIND_PASSWORD, without_sales);
    server.call("admin_save_directory_settings", &form).await;
    settle(&pool).await;
    let started = Instant::now();
    server.call("admin_preview_directory_sync", &[]).await;
    let preview = started.elapsed().as_secs_f64();
    let batch: uuid::Uuid = sqlx::query_scalar("SELECT id FROM import_batch ORDER BY created_at DESC LIMIT 1").fetch_one(&pool).await.unwrap();
    server.call("admin_apply_import", &[("id", &batch.to_string()), ("invite", "later")]).await;
    let total = started.elapsed().as_secs_f64();
    let left = count(&pool, "SELECT count(*) FROM account WHERE status = 'deactivated' AND email LIKE '%@embark.test'").await;
    assert!(left > 40_000, "the sales people were deactivated: {left}");
    println!(
        "directory sync in which {left} people left and were deactivated: {total:.2} s end to end (read + stage + preview {preview:.2} s, apply {:.2} s); server peak memory {:.0} MB",
        total - preview,
        server.peak_memory_mb()
    );
    server.stop();
    pool.close().await;
}
