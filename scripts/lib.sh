# Shared by scripts/run and scripts/test: install what is missing, build, and manage PostgreSQL servers.
# Sourced, not executed. Works as root or as a user with sudo.

set -euo pipefail

EELCHAT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$EELCHAT_ROOT/build}

say() { printf '\033[1;36m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'eelchat: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

# Debian packages the build and the server need; the tests add a few.
BUILD_PACKAGES=(g++ cmake ninja-build ccache pkg-config git ca-certificates
    libboost1.81-dev libboost-json1.81-dev libpq-dev libssl-dev libkainjow-mustache-dev catch2
    libpugixml-dev zlib1g-dev libcmark-gfm-dev libcmark-gfm-extensions-dev libsystemd-dev
    libmagic-dev libvips-dev
    postgresql acl curl)
# The fuzz targets (scripts/fuzz) need clang with libFuzzer and the sanitizers, and llvm-symbolizer for
# readable stack traces, besides the libraries of the parsers they link.
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev llvm-14 cmake ninja-build ccache pkg-config
    libboost1.81-dev libssl-dev libpugixml-dev zlib1g-dev)
TEST_PACKAGES=(chromium python3 python3-aiosmtpd openssl clang-14 libclang-rt-14-dev llvm-14 nginx systemd prometheus)

# Installs the Debian packages among "$@" that are missing.
install_debian_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "Installing Debian packages: ${missing[*]}"
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    fi
}

# The Debian packages among "$@", Node.js, and the npm packages of package-lock.json.
install_packages() {
    local wanted=("$@")
    command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)
    install_debian_packages "${wanted[@]}"
    # Front-end packages at the exact versions of package-lock.json.
    local stamp=$EELCHAT_ROOT/node_modules/.package-lock.json
    if [ ! -f "$stamp" ] || [ "$EELCHAT_ROOT/package-lock.json" -nt "$stamp" ]; then
        say "Installing npm packages (package-lock.json)"
        (cd "$EELCHAT_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

build() {
    local generator=()
    command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
    if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
        say "Configuring the build in $BUILD_DIR"
        cmake -S "$EELCHAT_ROOT" -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    fi
    say "Building"
    cmake --build "$BUILD_DIR" -j "$(nproc)"
}

# --- PostgreSQL --------------------------------------------------------------------------------

PG_BIN=""
find_pg_bin() {
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
}

# PostgreSQL refuses to run as root. As a normal user we run it as ourselves; as root, as the user
# who invoked sudo, or else as Debian's "postgres" system user.
PG_USER=""
choose_pg_user() {
    if [ "$(id -u)" -ne 0 ]; then
        PG_USER=$(id -un)
    elif [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
        PG_USER=$SUDO_USER
    else
        PG_USER=postgres
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
    fi
}

as_pg() {
    if [ "$(id -un)" = "$PG_USER" ]; then "$@"; else runuser -u "$PG_USER" -- "$@"; fi
}

# As root, the PostgreSQL user may not be allowed to traverse the folders above the project (e.g. /root
# is private). Grant it search permission, and nothing more, on each folder that needs it.
grant_traversal() {
    local dir=$1
    as_pg test -x "$dir" 2>/dev/null && return 0
    [ "$(id -u)" -eq 0 ] || die "$PG_USER cannot reach $dir"
    local d=$dir
    local path=()
    while [ "$d" != / ]; do path=("$d" "${path[@]}"); d=$(dirname "$d"); done
    for d in "${path[@]}"; do
        if ! as_pg test -x "$d" 2>/dev/null; then
            say "Letting $PG_USER traverse $d (setfacl u:$PG_USER:x)"
            setfacl -m "u:$PG_USER:x" "$d"
        fi
    done
}

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# pg_start DATADIR PORT LOGFILE: starts a server on 127.0.0.1:PORT with no Unix socket.
pg_start() {
    local data=$1 port=$2 logfile=$3
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$logfile" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null
}

pg_stop() {
    local data=$1
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# --- the private PostgreSQL of scripts/run (and scripts/backup, scripts/restore) -------------------------

# Creates the private PostgreSQL on first use (data in $EELCHAT_DATA_DIR, default .data/ under the project;
# a random password in postgres.password beside it), starts it unless it runs already, makes sure the
# eelchat database exists and exports DATABASE_URL for it. Sets PRIVATE_PGDATA, PRIVATE_PG_PORT, and
# PRIVATE_PG_STARTED=1 when this call started the server (the caller stops it with pg_stop).
use_private_pg() {
    find_pg_bin
    choose_pg_user
    local data_root=${EELCHAT_DATA_DIR:-$EELCHAT_ROOT/.data}
    PRIVATE_PGDATA=$data_root/postgres
    PRIVATE_PG_PORT=${EELCHAT_PG_PORT:-54329}
    PRIVATE_PG_STARTED=0
    local pw_file=$data_root/postgres.password
    mkdir -p "$data_root"
    grant_traversal "$data_root"
    if [ ! -f "$PRIVATE_PGDATA/PG_VERSION" ]; then
        say "Creating the private PostgreSQL in $PRIVATE_PGDATA (runs as $PG_USER)"
        (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$pw_file")
        install -d -m 700 -o "$PG_USER" "$PRIVATE_PGDATA"
        local pwfile_for_pg
        pwfile_for_pg=$(mktemp)
        cp "$pw_file" "$pwfile_for_pg" && chown "$PG_USER" "$pwfile_for_pg"
        as_pg "$PG_BIN/initdb" -D "$PRIVATE_PGDATA" -U eelchat --pwfile="$pwfile_for_pg" -E UTF8 \
            --locale=C.UTF-8 --auth-host=scram-sha-256 --auth-local=peer >/dev/null
        rm -f "$pwfile_for_pg"
    fi
    local password
    password=$(cat "$pw_file")
    if as_pg "$PG_BIN/pg_ctl" -D "$PRIVATE_PGDATA" status >/dev/null 2>&1; then
        say "The private PostgreSQL is already running; using it"
    else
        say "Starting the private PostgreSQL on 127.0.0.1:$PRIVATE_PG_PORT"
        touch "$data_root/postgres.log"
        [ "$(id -un)" = "$PG_USER" ] || chown "$PG_USER" "$data_root/postgres.log"
        pg_start "$PRIVATE_PGDATA" "$PRIVATE_PG_PORT" "$data_root/postgres.log" ||
            die "PostgreSQL did not start (see $data_root/postgres.log); if port $PRIVATE_PG_PORT is taken, set EELCHAT_PG_PORT"
        PRIVATE_PG_STARTED=1
    fi
    PRIVATE_PG_ADMIN_URL="postgresql://eelchat:$password@127.0.0.1:$PRIVATE_PG_PORT/postgres"
    if ! psql "$PRIVATE_PG_ADMIN_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = 'eelchat'" | grep -q 1; then
        psql "$PRIVATE_PG_ADMIN_URL" -qc "CREATE DATABASE eelchat" >/dev/null
    fi
    export DATABASE_URL="postgresql://eelchat:$password@127.0.0.1:$PRIVATE_PG_PORT/eelchat"
}
