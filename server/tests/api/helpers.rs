use app::domain::AccountId;
use app::domain::Actor;
use app::domain::{EmailAddress, Password, PersonName};
use app::server::crypto::{PasswordHasher, SecretSealer};
use app::server::services::lifecycle::{self, Invitation, NewPerson};
use app::server::services::setup::{self, NewAdmin, SetupGate};
use app::server::{AppState, SharedState};
use reqwest::header::{ACCEPT, ORIGIN};
use reqwest::redirect::Policy;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use time::OffsetDateTime;

pub const PASSWORD: &str = "a perfectly long passphrase";

/// A running Embark and a browser-like client (cookies kept, redirects not
/// followed, so tests see them).
pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub client: reqwest::Client,
    /// The first-run setup secret this server would have printed.
    pub setup_secret: String,
}

pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, |_| {}).await
}

/// [`spawn_app`] with some of the state changed first (a public URL, the
/// trusted proxies).
pub async fn spawn_app_with(pool: PgPool, change: impl FnOnce(&mut AppState)) -> TestApp {
    server::telemetry::init(false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (setup, setup_secret) = SetupGate::generate();
    let state = AppState::new(SharedState {
        pool,
        hasher: PasswordHasher::new(),
        sealer: SecretSealer::new(&SecretString::from("test-secret-key-".repeat(3))),
        sso_sealer: SecretSealer::for_sso_client_secret(&SecretString::from("test-secret-key-".repeat(3))),
        directory_sealer: SecretSealer::for_directory_bind_password(&SecretString::from("test-secret-key-".repeat(3))),
        sign_in_page: Default::default(),
        oidc: app::server::oidc::OidcClient::new(),
        public_url: address.clone(),
        setup,
        mailer: None,
        trusted_proxies: Vec::new().into(),
        scim_requests_per_second: server::config::DEFAULT_SCIM_RATE,
    });
    let mut state = state;
    change(&mut state);
    let leptos_options = leptos::config::LeptosOptions::builder().output_name("embark").site_root("target/site").build();
    let router = server::startup::router(state.clone(), leptos_options);
    tokio::spawn(async move { axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap() });
    TestApp { address, state, client: new_client(), setup_secret }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A same-origin GET, as a browser navigation.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).header(ACCEPT, "text/html").send().await.unwrap()
    }

    /// A same-origin form post to a server function, as the app's JavaScript
    /// makes it (JSON answer, no redirect).
    pub async fn call(&self, client: &reqwest::Client, server_fn: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client.post(self.url(&format!("/api/{server_fn}"))).header(ORIGIN, &self.address).header(ACCEPT, "application/json").form(form).send().await.unwrap()
    }

    /// Signs `client` in through the plain HTML form post.
    pub async fn sign_in(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        client
            .post(self.url("/api/sign_in"))
            .header(ORIGIN, &self.address)
            .header(ACCEPT, "text/html")
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    pub async fn create_admin(&self, email: &str) -> AccountId {
        let admin = NewAdmin {
            full_name: PersonName::parse("Ada Admin").unwrap(),
            email: EmailAddress::parse(email).unwrap(),
            password: Password::parse(PASSWORD, &[]).unwrap(),
        };
        setup::create_admin(&self.state, &admin, None, OffsetDateTime::now_utc()).await.unwrap()
    }

    /// An employee who has claimed their account with [`PASSWORD`].
    pub async fn create_claimed_employee(&self, email: &str) -> AccountId {
        let now = OffsetDateTime::now_utc();
        let person = NewPerson::employee(PersonName::parse("Eve Employee").unwrap(), EmailAddress::parse(email).unwrap());
        let (id, link) = lifecycle::create(&self.state, &person, Some(&Invitation::default()), &Actor::system(), now).await.unwrap();
        let hash = self.state.hasher.hash(PASSWORD).await.unwrap();
        lifecycle::claim(&self.state, link.unwrap().secret.expose_secret(), Some(&hash), now).await.unwrap();
        id
    }

    /// The value of the session cookie `client` holds for this app.
    pub fn session_cookie(&self, response: &reqwest::Response) -> Option<String> {
        response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("embark_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The SMTP server scripts/test starts (maildev) and the mail it received.
pub struct SmtpSink {
    pub smtp_url: String,
    api: String,
}

impl SmtpSink {
    pub fn from_env() -> Self {
        let get =
            |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests through scripts/test, which starts the SMTP server"));
        Self { smtp_url: get("EMBARK_TEST_SMTP_URL"), api: get("EMBARK_TEST_MAILDEV_URL") }
    }

    /// Every message delivered to `address`, oldest first.
    pub async fn messages_to(&self, address: &str) -> Vec<serde_json::Value> {
        let all: Vec<serde_json::Value> = reqwest::get(format!("{}/email", self.api)).await.unwrap().json().await.unwrap();
        all.into_iter().filter(|m| m["to"].as_array().is_some_and(|to| to.iter().any(|t| t["address"].as_str() == Some(address)))).collect()
    }
}

/// A recipient address no other test uses, so tests can share one SMTP sink.
pub fn unique_address(label: &str) -> String {
    format!("{label}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Makes the account's claim links expired (and issued long enough ago that
/// asking for a new one is allowed).
pub async fn expire_claim_links(pool: &PgPool, account: AccountId) {
    sqlx::query("UPDATE claim_credential SET expires_at = now() - interval '1 day', created_at = now() - interval '31 days' WHERE account_id = $1")
        .bind(account)
        .execute(pool)
        .await
        .unwrap();
}
