#!/usr/bin/env bash
# FerretDB v2 (a MongoDB-wire server) on PostgreSQL 15 + DocumentDB, for the integration,
# end-to-end and deployment suites and the benchmarks that need a real server.
#
#   .ci/ferretdb.sh build                 install what is missing and build once (cached):
#                                         PostgreSQL 15 and the build tools (Debian packages),
#                                         DocumentDB + pgvector from third_party/ferretdb2,
#                                         FerretDB v2.7.0 from the Go module proxy; print the
#                                         ferretdb binary's path
#   .ci/ferretdb.sh start [--owner PID]   start a private PostgreSQL cluster and a FerretDB on
#                                         free ports of 127.0.0.1, with their data in a new
#                                         temporary directory; wait until FerretDB answers a
#                                         ping; print `export MONGO_URI=...` and
#                                         `export FERRETDB_DIR=...` for the caller to eval;
#                                         with --owner both also stop when process PID is gone
#                                         (a safety net for a caller killed with SIGKILL)
#   .ci/ferretdb.sh stop [DIR]            stop the pair started in DIR (default $FERRETDB_DIR)
#                                         and delete its data
#   .ci/ferretdb.sh run CMD [ARG...]      start a pair, run CMD with MONGO_URI exported, stop it
#                                         whatever happens; exits with CMD's status
#
# Settings (environment):
#   FERRETDB_BIN      use this ferretdb binary instead of building one
#   TGSHOP_CACHE      where builds are kept between runs (${XDG_CACHE_HOME:-$HOME/.cache}/tgshop)
#   MONGO_DB          the database named in the printed URI (tgshop_test)
#   PYTHON            the interpreter used for the ping, with pymongo (python3)
#
# The cluster is our own (initdb in the temporary directory, its own port and socket
# directory): a default cluster the machine may run (Debian's 15/main on 5432) is never
# touched. It runs with synchronous_commit=off, like mongod's default of journaling every
# 100 ms: a test server, not a production one.
#
# Why a copy of FerretDB's module: `go install github.com/FerretDB/FerretDB/v2/cmd/ferretdb@v2.7.0`
# builds, but the binary panics at start ("Invalid build/version/version.txt file content")
# because that generated file is not in the published module; the module cache is read-only,
# so we build from a copy of the same source (its go.sum pins every dependency) with the file.
# The DocumentDB build needs three work-arounds on Debian bookworm: the Intel decimal library
# has no pkg-config file (we write one into our cache), libbson 1.23 lacks one enum value
# (-DBSON_SUBTYPE_SENSITIVE), and pg_cron 1.4 cannot run a job every 2 seconds
# (documentdb.indexBuildScheduleInSec = 60: background index builds only; create_index works
# at once and unique indexes are enforced). FerretDB 2.7.0 expects DocumentDB 0.107.0 and only
# logs a warning for this 0.107-0 build.
set -euo pipefail

MODULE=github.com/FerretDB/FerretDB/v2
VERSION=v2.7.0
PG=15
PGBIN=/usr/lib/postgresql/$PG/bin
CACHE=${TGSHOP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tgshop}
DB=${MONGO_DB:-tgshop_test}
PYTHON=${PYTHON:-python3}
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
ROOT="$(dirname "$(dirname "$SELF")")"
VENDOR="$ROOT/third_party/ferretdb2/documentdb-pgvector-src.tgz"
MARKER=.tgshop-ferretdb   # only directories holding this file are ever deleted by `stop`
PACKAGES=(build-essential pkg-config "postgresql-$PG" "postgresql-server-dev-$PG"
          "postgresql-$PG-cron" "postgresql-$PG-rum" "postgresql-$PG-postgis-3"
          libbson-dev libpcre2-dev libintelrdfpmath-dev libkrb5-dev libicu-dev)

log() { printf 'ferretdb.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {  # as_root CMD...: run CMD as root (ourselves, or sudo without a password)
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif sudo -n true 2>/dev/null; then sudo -n "$@"
    else die "need root (or password-less sudo) to: $*"
    fi
}

as_pg() {  # as_pg CMD...: run a PostgreSQL server command as a user PostgreSQL accepts
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

packages() {  # install the Debian packages that are missing (none: nothing is done)
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || die "apt-get not found; install: ${missing[*]}"
    log "installing ${missing[*]} (apt-get)"
    local out
    out=$(mktemp)
    as_root apt-get update -qq >"$out" 2>&1 \
        && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >>"$out" 2>&1 \
        || { tail -n 30 "$out" >&2; rm -f "$out"; die "apt-get install failed"; }
    rm -f "$out"
}

extensions() {  # build DocumentDB + pgvector once (staged in the cache), install them
    local sha stage stamp work pc
    sha=$(sha256sum "$VENDOR" | cut -c1-16)
    stage="$CACHE/documentdb-$sha"
    stamp="$("$PGBIN/pg_config" --sharedir)/extension/tgshop-documentdb.stamp"
    [[ -f "$stamp" && "$(<"$stamp")" == "$sha" ]] && return 0
    if [[ ! -f "$stage/done" ]]; then
        log "building DocumentDB and pgvector from third_party/ferretdb2 (once; cached in $stage)"
        work=$(mktemp -d "${TMPDIR:-/tmp}/documentdb-build.XXXXXX")
        trap 'rm -rf "$work"' RETURN
        tar xzf "$VENDOR" -C "$work"
        pc="$work/pkgconfig"   # Debian ships the Intel decimal library without a .pc file
        mkdir -p "$pc"
        printf '%s\n' "libdir=/usr/lib/$(gcc -print-multiarch)" 'Name: intelmathlib' \
            'Description: Intel decimal floating point (Debian libbid)' 'Version: 2.0' \
            'Cflags: -I/usr/include' "Libs: -L\${libdir} -lbidgcc000" > "$pc/intelmathlib.pc"
        rm -rf "$stage.tmp" && mkdir -p "$stage.tmp"
        local flags=(PG_CONFIG="$PGBIN/pg_config" with_llvm=no)
        make -s -C "$work/pgvector" -j2 "${flags[@]}" OPTFLAGS= >&2
        make -s -C "$work/pgvector" "${flags[@]}" OPTFLAGS= DESTDIR="$stage.tmp" install >&2
        flags+=("COPT=-DBSON_SUBTYPE_SENSITIVE=0x08 -Wno-switch")  # libbson 1.23 lacks it
        for d in pg_documentdb_core pg_documentdb; do
            PKG_CONFIG_PATH="$pc" make -s -C "$work/documentdb/$d" -j2 "${flags[@]}" >&2
            PKG_CONFIG_PATH="$pc" make -s -C "$work/documentdb/$d" "${flags[@]}" \
                DESTDIR="$stage.tmp" install >&2
        done
        touch "$stage.tmp/done"
        rm -rf "$stage" && mv "$stage.tmp" "$stage"
    fi
    log "installing DocumentDB and pgvector into PostgreSQL $PG"
    as_root cp -R "$stage/usr/." /usr/
    echo "$sha" | as_root tee "$stamp" >/dev/null
}

ferretdb() {  # build FerretDB once (cached); print the binary's path
    local bin="$CACHE/ferretdb-$VERSION/ferretdb" work json dir started=$SECONDS
    if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == *"version: $VERSION"* ]]; then
        echo "$bin"
        return 0
    fi
    if ! command -v go >/dev/null; then  # installed but not on this PATH (a bare CI shell)?
        for d in /usr/local/go/bin /usr/lib/go/bin "$HOME/go/bin"; do
            [[ -x "$d/go" ]] && PATH="$d:$PATH" && break
        done
    fi
    command -v go >/dev/null \
        || die "go is not installed: install Go >= 1.24 (https://go.dev/dl/) or set FERRETDB_BIN"
    work=$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-build.XXXXXX")
    trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' RETURN
    log "building FerretDB $VERSION (once; cached in $bin)"
    json=$(cd "$work" && go mod download -json "$MODULE@$VERSION") \
        || die "go mod download $MODULE@$VERSION failed: $json"
    dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    [[ -n "$dir" && -d "$dir" ]] || die "go mod download $MODULE@$VERSION: no source directory"
    cp -R "$dir" "$work/src"
    chmod -R u+w "$work/src"
    printf '%s\n' "$VERSION" > "$work/src/build/version/version.txt"
    (cd "$work/src" && GOBIN="$work/bin" go install -trimpath -buildvcs=false ./cmd/ferretdb) >&2 \
        || die "go install of FerretDB $VERSION failed"
    "$work/bin/ferretdb" --version >/dev/null 2>&1 || die "the FerretDB just built does not start"
    mkdir -p "$(dirname "$bin")"
    cp "$work/bin/ferretdb" "$bin.tmp.$$"
    mv -f "$bin.tmp.$$" "$bin"   # atomic: a concurrent run sees the old binary or the new one
    log "FerretDB built in $((SECONDS - started))s"
    echo "$bin"
}

build() (
    packages
    extensions
    if [[ -n "${FERRETDB_BIN:-}" ]]; then
        "$FERRETDB_BIN" --version >/dev/null 2>&1 || die "FERRETDB_BIN=$FERRETDB_BIN does not run"
        echo "$FERRETDB_BIN"
    else
        ferretdb
    fi
)

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ping() {  # ping PORT: one ping with pymongo (a TCP connect when pymongo is missing)
    "$PYTHON" - "$1" <<'EOF'
import socket
import sys

port = int(sys.argv[1])
try:
    import pymongo
except ImportError:
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    sys.exit(0)
client = pymongo.MongoClient("127.0.0.1", port, serverSelectionTimeoutMS=1000,
                             connectTimeoutMS=1000, directConnection=True)
try:
    client.admin.command("ping")
except pymongo.errors.PyMongoError:
    sys.exit(1)
finally:
    client.close()
EOF
}

is_ours() {  # is_ours PID NAME: a live process called NAME, not a recycled pid
    [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null \
        && [[ "$(basename -- "$(ps -o comm= -p "$1" 2>/dev/null)")" == "$2" ]]
}

stop() {
    local dir=${1:-${FERRETDB_DIR:-}} pid wpid i
    [[ -n "$dir" ]] || die "stop: which one? give its directory or set FERRETDB_DIR"
    [[ -d "$dir" ]] || return 0
    [[ -f "$dir/$MARKER" ]] || die "stop: $dir was not made by ferretdb.sh start; left alone"
    if [[ -z "${FERRETDB_WATCHDOG:-}" && -f "$dir/watchdog.pid" ]]; then
        wpid=$(<"$dir/watchdog.pid")
        if is_ours "$wpid" bash; then kill "$wpid" 2>/dev/null || true; fi
    fi
    pid=$(cat "$dir/pid" 2>/dev/null || true)
    if is_ours "$pid" ferretdb; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "FerretDB (pid $pid) ignored SIGTERM for 10s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    if [[ -f "$dir/pg/data/postmaster.pid" ]]; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    log "stopped"
}

postgres() {  # postgres DIR: initdb and start a private cluster; print its port
    local dir=$1 port attempt
    mkdir -p "$dir/pg"
    [[ $(id -u) -ne 0 ]] || chown postgres:postgres "$dir/pg"
    as_pg "$PGBIN/initdb" -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$dir/pg/initdb.log" 2>&1 || { cat "$dir/pg/initdb.log" >&2; die "initdb failed"; }
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        as_pg tee "$dir/pg/data/tgshop.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/pg'
shared_preload_libraries = 'pg_cron,pg_documentdb_core,pg_documentdb'
cron.database_name = 'postgres'
synchronous_commit = off
documentdb.indexBuildScheduleInSec = 60
documentdb.enableCompact = true
documentdb.enableLetAndCollationForQueryMatch = true
documentdb.enableNowSystemVariable = true
documentdb.enableSortbyIdPushDownToPrimaryKey = true
documentdb.enableSchemaValidation = true
documentdb.enableBypassDocumentValidation = true
EOF
        grep -q "^include = 'tgshop.conf'" "$dir/pg/data/postgresql.conf" \
            || echo "include = 'tgshop.conf'" | as_pg tee -a "$dir/pg/data/postgresql.conf" >/dev/null
        if as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/postgres.log" -w -t 60 start \
                >/dev/null 2>&1; then
            "$PGBIN/psql" -qX -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
                -c 'CREATE EXTENSION documentdb CASCADE' >"$dir/pg/extension.log" 2>&1 \
                || { cat "$dir/pg/extension.log" >&2; die "CREATE EXTENSION documentdb failed"; }
            echo "$port"
            return 0
        fi
        log "attempt $attempt: PostgreSQL did not start on port $port; log:"
        tail -n 5 "$dir/pg/postgres.log" >&2
    done
    die "PostgreSQL would not start (see above)"
}

start() {
    local owner="" bin pgport port pid="" attempt i
    dir=""  # global: the traps below need it
    while (($#)); do
        case $1 in
            --owner) owner=${2:?--owner needs a PID}; shift 2 ;;
            *) die "start: unknown argument $1" ;;
        esac
    done
    bin=$(build)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/tgshop-ferretdb.XXXXXX")
    chmod 755 "$dir"   # the postgres user keeps its cluster below it
    touch "$dir/$MARKER"
    # anything going wrong from here on (also Ctrl-C) leaves nothing behind
    trap 'stop "$dir"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    started=$SECONDS
    pgport=$(postgres "$dir")
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        "$bin" --postgresql-url="postgres://postgres@127.0.0.1:$pgport/postgres" \
            --listen-addr="127.0.0.1:$port" --no-auth --state-dir="$dir" \
            --telemetry=disable --debug-addr=- --log-level=warn \
            </dev/null >>"$dir/ferretdb.log" 2>&1 &
        pid=$!
        echo "$pid" > "$dir/pid"
        for ((i = 0; i < 150; i++)); do
            kill -0 "$pid" 2>/dev/null || break     # it died (the port was taken meanwhile?)
            if ping "$port"; then
                kill -0 "$pid" 2>/dev/null || break  # someone else answered on that port
                break 2
            fi
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$dir/ferretdb.log" >&2
            die "FerretDB did not answer a ping on 127.0.0.1:$port within 30s"
        fi
        log "attempt $attempt: FerretDB exited at start; log:"
        tail -n 5 "$dir/ferretdb.log" >&2
        pid=""
    done
    [[ -n "$pid" ]] || die "FerretDB would not start (see above)"
    if [[ -n "$owner" ]]; then
        # no stdout of ours may stay open here, or `$(... start)` would wait for it
        (
            while kill -0 "$owner" 2>/dev/null && [[ -d "$dir" ]]; do sleep 2; done
            [[ -d "$dir" ]] && FERRETDB_WATCHDOG=1 "$SELF" stop "$dir"
        ) </dev/null >/dev/null 2>&1 &
        echo "$!" > "$dir/watchdog.pid"
    fi
    trap - EXIT INT TERM
    log "FerretDB $VERSION (pid $pid) on PostgreSQL $PG (port $pgport) answers on" \
        "127.0.0.1:$port after $((SECONDS - started))s"
    printf 'export MONGO_URI=%q\nexport FERRETDB_DIR=%q\n' "mongodb://127.0.0.1:$port/$DB" "$dir"
}

run() {
    (($#)) || die "run: which command?"
    local env
    FERRETDB_DIR=""
    trap '[[ -z "$FERRETDB_DIR" ]] || stop "$FERRETDB_DIR"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    env=$(start --owner $$)
    eval "$env"
    "$@"
}

case ${1:-} in
    build) build ;;
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    run) shift; run "$@" ;;
    *) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac
