# Shared by scripts/run and scripts/test. Installs only what is missing, so a
# second run starts in seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="$ROOT/.data"
CARGO_LEPTOS_VERSION="0.3.11"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/embark/target}"
# runuser, useradd and Debian's PostgreSQL tools live in the sbin folders,
# which a minimal PATH (cron, env -i) leaves out; without runuser, an
# existing cluster would look unreachable.
export PATH="$HOME/.cargo/bin:$PATH:/usr/sbin:/sbin"
# SQL is checked at compile time against the query data committed in .sqlx/
# (scripts/test checks that data against the schema), so a build needs no
# database.
export SQLX_OFFLINE=true

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "please install these packages with your system's package manager: $*"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  say "installing $* (Debian packages)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The version of a package in Cargo.lock.
locked_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_build_tools() {
  command -v cargo >/dev/null || die "Rust is needed: install it from rustup.rs, then run this again."
  # make too: jemalloc (the server's allocator) builds with it.
  { command -v cc && command -v make; } >/dev/null || apt_install build-essential
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    # Its locked dependencies need a nightly compiler. A debug build of the
    # tool takes about 11 minutes on two cores instead of about 25 for its LTO
    # release profile, and builds Embark just the same.
    rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
    say "building cargo-leptos $CARGO_LEPTOS_VERSION (once; about 11 minutes)"
    cargo +nightly install --debug cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
  fi
  ensure_wasm_opt
  local wbg
  wbg="$(locked_version wasm-bindgen)"
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wbg" ]; then
    say "building wasm-bindgen-cli $wbg (once; about 3 minutes)"
    cargo install wasm-bindgen-cli --version "$wbg"
  fi
}

# Release builds optimise the wasm with Binaryen's wasm-opt (which
# cargo-leptos would otherwise try to download). Debian's (version 108)
# breaks the wasm today's Rust emits: it rewires the externref table that
# wasm-bindgen exports, and the site does not hydrate. Binaryen's own npm
# build is current; it is installed outside the checkout, pinned by
# scripts/tools/package-lock.json, and put first on the PATH.
TOOLS_DIR="${EMBARK_TOOLS_DIR:-$HOME/.cache/embark/tools}"
ensure_wasm_opt() {
  command -v npm >/dev/null || apt_install nodejs npm
  if ! cmp -s "$ROOT/scripts/tools/package-lock.json" "$TOOLS_DIR/package-lock.json" || [ ! -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then
    say "installing Binaryen's wasm-opt (npm, once)"
    mkdir -p "$TOOLS_DIR"
    cp "$ROOT/scripts/tools/package.json" "$ROOT/scripts/tools/package-lock.json" "$TOOLS_DIR/"
    (cd "$TOOLS_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  export PATH="$TOOLS_DIR/node_modules/.bin:$PATH"
}

# The SCIM conformance suite (PyPI scim2-cli and scim2-tester), in a virtual
# environment outside the checkout, pinned by scripts/tools/scim-requirements.txt.
ensure_scim_tester() {
  local venv="$TOOLS_DIR/scim-venv"
  if ! cmp -s "$ROOT/scripts/tools/scim-requirements.txt" "$venv/requirements.txt" || [ ! -x "$venv/bin/scim2" ]; then
    say "installing the SCIM conformance suite (PyPI scim2-cli, once)"
    command -v python3 >/dev/null || apt_install python3
    python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/tools/scim-requirements.txt"
    cp "$ROOT/scripts/tools/scim-requirements.txt" "$venv/requirements.txt"
  fi
  export EMBARK_TEST_SCIM2="$venv/bin/scim2"
}

# sqlx-cli at the version of the sqlx in Cargo.lock, for checking the
# compile-time query data (scripts/test) and preparing it (docs/architecture.md).
ensure_sqlx_cli() {
  local version
  version="$(locked_version sqlx)"
  if [ "$(sqlx --version 2>/dev/null || true)" != "sqlx-cli $version" ]; then
    say "building sqlx-cli $version (once; about 3 minutes)"
    cargo install sqlx-cli --locked --version "$version" --no-default-features --features postgres,rustls
  fi
}

# Directory with initdb and pg_ctl, installing PostgreSQL when absent.
postgres_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
      dirname "$(command -v initdb)"; return
    fi
    apt_install postgresql
    dir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  echo "$dir"
}

# PostgreSQL refuses to run as root: as root, the private cluster belongs to
# the `postgres` system user (or a dedicated one when that does not exist).
PG_OS_USER=""
pg_as_owner() {
  if [ -n "$PG_OS_USER" ]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

# Starts (creating on first use) the private PostgreSQL cluster in .data/
# and exports DATABASE_URL for it. Its port is derived from the checkout's
# path so that two checkouts on one machine do not collide.
PG_STARTED_HERE=""
start_private_postgres() {
  local bindir pgdata port password_file
  bindir="$(postgres_bindir)"
  mkdir -p "$DATA_DIR"
  pgdata="$DATA_DIR/postgres"
  port="${EMBARK_PG_PORT:-$((20000 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 20000))}"
  password_file="$DATA_DIR/postgres-password"

  if [ "$(id -u)" -eq 0 ]; then
    PG_OS_USER=postgres
    if ! id -u postgres >/dev/null 2>&1; then
      PG_OS_USER=embark-pg
      id -u embark-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin embark-pg
    fi
    # The cluster's owner must be able to reach the checkout; when it cannot
    # (say, under /root), the cluster lives in /var/lib and .data links to it.
    if ! runuser -u "$PG_OS_USER" -- test -x "$DATA_DIR"; then
      local real="/var/lib/embark/$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)/postgres"
      mkdir -p "$(dirname "$real")"
      [ -L "$pgdata" ] || ln -sfn "$real" "$pgdata"
      pgdata="$real"
    fi
  fi

  if [ ! -f "$pgdata/PG_VERSION" ]; then
    say "creating the private PostgreSQL cluster in .data/"
    [ -f "$password_file" ] || (umask 077; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$password_file")
    mkdir -p "$pgdata"
    local pwfile
    pwfile="$(mktemp)"
    cp "$password_file" "$pwfile"
    if [ -n "$PG_OS_USER" ]; then chown "$PG_OS_USER" "$pgdata" "$pwfile"; fi
    chmod 700 "$pgdata"
    # Bytewise sorting (fast, the same everywhere), but Unicode character
    # rules, so lower() and the trigram search fold "É" as they fold "E".
    pg_as_owner "$bindir/initdb" -D "$pgdata" -U embark --pwfile="$pwfile" --auth=scram-sha-256 \
      -E UTF8 --locale=C --lc-ctype=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    # A quarter of the machine's memory, between 128 MB and 1 GB: a directory
    # of 1,000,000 people (about 700 MB with its indexes) then stays in
    # PostgreSQL's own cache, which keeps the People search fast.
    local memory_mb shared_mb
    memory_mb="$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)"
    shared_mb=$((memory_mb / 4))
    if [ "$shared_mb" -lt 128 ]; then shared_mb=128; fi
    if [ "$shared_mb" -gt 1024 ]; then shared_mb=1024; fi
    cat >> "$pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 200
shared_buffers = ${shared_mb}MB
# Bulk imports and Invite All write 100,000s of rows in one transaction:
# fewer checkpoints and compressed full-page images keep that WAL small.
max_wal_size = 4GB
wal_compression = lz4
CONF
  fi

  # Embark reaches its private PostgreSQL through a Unix socket beside the
  # cluster: a query's round trip costs both processes less than over TCP
  # on loopback (a fifth more claim pages per second, measured side by
  # side). TCP on 127.0.0.1 stays open for psql and other tools. A socket's
  # path is limited to about 100 bytes; a longer one falls back to TCP.
  local socket_dir socket_option=""
  socket_dir="$(dirname "$pgdata")/postgres-socket"
  if [ "${#socket_dir}" -le 80 ] && [[ "$socket_dir" =~ ^[A-Za-z0-9/._-]+$ ]]; then
    socket_option="-k $socket_dir"
  fi
  if ! pg_as_owner "$bindir/pg_ctl" status -D "$pgdata" >/dev/null 2>&1; then
    say "starting the private PostgreSQL on 127.0.0.1:$port"
    if [ -n "$socket_option" ]; then
      mkdir -p "$socket_dir"
      if [ -n "$PG_OS_USER" ]; then chown "$PG_OS_USER" "$socket_dir"; fi
    fi
    pg_as_owner "$bindir/pg_ctl" start -D "$pgdata" -l "$pgdata/server.log" -w -t 60 ${socket_option:+-o "$socket_option"} >/dev/null \
      || die "PostgreSQL did not start; see $pgdata/server.log"
    PG_STARTED_HERE=1
  fi
  PRIVATE_PG_BINDIR="$bindir"
  PRIVATE_PGDATA="$pgdata"

  local password
  password="$(cat "$password_file")"
  if ! PGPASSWORD="$password" "$bindir/psql" -h 127.0.0.1 -p "$port" -U embark -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'embark'" | grep -q 1; then
    PGPASSWORD="$password" "$bindir/psql" -h 127.0.0.1 -p "$port" -U embark -d postgres -qc "CREATE DATABASE embark"
  fi
  # The socket's folder goes in the host part, percent-encoded, so that the
  # URL's last "/" still comes before the database's name (scripts swap it).
  local host="127.0.0.1"
  if [ -S "$socket_dir/.s.PGSQL.$port" ]; then host="${socket_dir//\//%2F}"; fi
  export DATABASE_URL="postgres://embark:$password@$host:$port/embark"
}

stop_private_postgres_if_started_here() {
  if [ -n "$PG_STARTED_HERE" ]; then
    pg_as_owner "$PRIVATE_PG_BINDIR/pg_ctl" stop -D "$PRIVATE_PGDATA" -m fast >/dev/null 2>&1 || true
  fi
}

# A random key kept in .data/ for the local default; production sets its own.
ensure_local_secret_key() {
  if [ -z "${EMBARK_SECRET_KEY:-}" ]; then
    mkdir -p "$DATA_DIR"
    [ -f "$DATA_DIR/secret-key" ] || (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n' > "$DATA_DIR/secret-key")
    EMBARK_SECRET_KEY="$(cat "$DATA_DIR/secret-key")"
    export EMBARK_SECRET_KEY
  fi
}

# OpenLDAP for the directory-sync tests: Debian's slapd, installed without
# configuring the system's own directory (nothing listens on port 389).
ensure_openldap() {
  if [ ! -x /usr/sbin/slapd ]; then
    command -v debconf-set-selections >/dev/null && echo "slapd slapd/no_configuration boolean true" | as_root debconf-set-selections
    apt_install slapd
  fi
  command -v openssl >/dev/null || apt_install openssl
}

# One database of the test directory's slapd.conf: SUFFIX DIRECTORY MAXSIZE.
test_directory_database() {
  cat <<DB
database mdb
maxsize $3
suffix "$1"
rootdn "cn=admin,$1"
rootpw admin-secret-for-tests
directory $2
index objectClass,mail,entryUUID,uid eq
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
overlay memberof
overlay ppolicy
DB
}

# Starts a private OpenLDAP (scripts/test's peer) on ports $1 (ldap://, with
# StartTLS) and $1+1 (ldaps://), from scratch in .data/$3 (default
# ldap-test): a test CA and a certificate for 127.0.0.1 and localhost, the
# entries of end2end/support/directory.py (PEOPLE, default 300) under
# dc=embark,dc=test, an empty dc=scratch,dc=test for tests that change the
# directory, and a size limit of 100 per search, as real directories have,
# so only paged searches see everyone.
# Sets TEST_LDAP_PID and exports EMBARK_TEST_LDAP_* for the tests.
start_test_directory() {
  local port="$1" people="${2:-300}" dir="$DATA_DIR/${3:-ldap-test}"
  rm -rf "$dir"
  mkdir -p "$dir/db"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Embark test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
    -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
  cat > "$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload ppolicy
pidfile $dir/slapd.pid
TLSCACertificateFile $dir/ca.pem
TLSCertificateFile $dir/server.pem
TLSCertificateKeyFile $dir/server.key
sizelimit size.soft=100 size.hard=100 size.prtotal=unlimited
$(test_directory_database "dc=embark,dc=test" "$dir/db" 4294967296)
# A second, empty naming context that tests change freely (each under an
# OU of its own), so the people above stay as every test expects them.
$(test_directory_database "dc=scratch,dc=test" "$dir/scratch" 268435456)
CONF
  mkdir -p "$dir/scratch"
  python3 "$ROOT/end2end/support/directory.py" "$people" > "$dir/directory.ldif"
  slapadd -q -f "$dir/slapd.conf" -b "dc=embark,dc=test" -l "$dir/directory.ldif" > "$dir/slapadd.log" 2>&1 \
    || die "could not load the test directory; see $dir/slapadd.log"
  printf 'dn: dc=scratch,dc=test\nobjectClass: dcObject\nobjectClass: organization\ndc: scratch\no: Scratch\n' \
    | slapadd -q -f "$dir/slapd.conf" -b "dc=scratch,dc=test" >> "$dir/slapadd.log" 2>&1 \
    || die "could not create the test directory's scratch context; see $dir/slapadd.log"
  /usr/sbin/slapd -d 0 -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$((port + 1))/" > "$dir/slapd.log" 2>&1 &
  TEST_LDAP_PID=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$TEST_LDAP_PID" 2>/dev/null || die "the test OpenLDAP did not start; see $dir/slapd.log"
    sleep 0.1
  done
  export EMBARK_TEST_LDAP_URL="ldap://127.0.0.1:$port"
  export EMBARK_TEST_LDAPS_URL="ldaps://127.0.0.1:$((port + 1))"
  export EMBARK_TEST_LDAP_CA="$dir/ca.pem"
}
