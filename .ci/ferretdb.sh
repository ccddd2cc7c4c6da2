#!/usr/bin/env bash
# FerretDB (a MongoDB-wire server on an embedded SQLite) for the integration suite.
#
#   .ci/ferretdb.sh build                 build the binary once (cached), print its path
#   .ci/ferretdb.sh start [--owner PID]   start one on a free port of 127.0.0.1 with its data in
#                                         a new temporary directory, wait until it answers a
#                                         ping, print `export MONGO_URI=...` and
#                                         `export FERRETDB_DIR=...` for the caller to eval;
#                                         with --owner it also stops when process PID is gone
#                                         (a safety net for a caller killed with SIGKILL)
#   .ci/ferretdb.sh stop [DIR]            stop the one started in DIR (default $FERRETDB_DIR)
#                                         and delete its data
#   .ci/ferretdb.sh run CMD [ARG...]      start one, run CMD with MONGO_URI exported, stop it
#                                         whatever happens; exits with CMD's status
#
# Settings (environment):
#   FERRETDB_VERSION  the v1 release to build (v1.24.2, the last v1)
#   FERRETDB_BIN      use this ferretdb binary instead of building one
#   TGSHOP_CACHE      where built binaries are kept between runs
#                     (${XDG_CACHE_HOME:-$HOME/.cache}/tgshop)
#   MONGO_DB          the database named in the printed URI (tgshop_test)
#   PYTHON            the interpreter used for the ping, with pymongo (python3)
#
# Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: it builds,
# but the binary panics at start ("Invalid build/version/version.txt file content"),
# because that generated file is not part of the published module. Upstream's advice is to
# create it; the module cache is read-only and `go build -overlay` refuses to replace files
# in it, so we `go install` from a copy of the very same module source (its go.sum pins
# every dependency) with that one file added.
set -euo pipefail

MODULE=github.com/FerretDB/FerretDB
VERSION=${FERRETDB_VERSION:-v1.24.2}
CACHE=${TGSHOP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tgshop}
DB=${MONGO_DB:-tgshop_test}
PYTHON=${PYTHON:-python3}
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
MARKER=.tgshop-ferretdb   # only directories holding this file are ever deleted by `stop`

log() { printf 'ferretdb.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

works() {  # works BINARY: the binary starts and reports the version we want
    [[ "$("$1" --version 2>/dev/null)" == *"version: $VERSION"* ]]
}

build() (
    if [[ -n "${FERRETDB_BIN:-}" ]]; then
        "$FERRETDB_BIN" --version >/dev/null 2>&1 || die "FERRETDB_BIN=$FERRETDB_BIN does not run"
        echo "$FERRETDB_BIN"
        exit 0
    fi
    bin="$CACHE/ferretdb-$VERSION/ferretdb"
    if [[ -x "$bin" ]] && works "$bin"; then
        echo "$bin"
        exit 0
    fi
    if ! command -v go >/dev/null; then  # installed but not on this PATH (a bare CI shell)?
        for d in /usr/local/go/bin /usr/lib/go/bin "$HOME/go/bin"; do
            [[ -x "$d/go" ]] && PATH="$d:$PATH" && break
        done
    fi
    command -v go >/dev/null \
        || die "go is not installed: install Go >= 1.24 (https://go.dev/dl/) or set FERRETDB_BIN"
    work=$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-build.XXXXXX")
    trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
    log "building FerretDB $VERSION (once; cached in $bin)"
    started=$SECONDS
    json=$(cd "$work" && go mod download -json "$MODULE@$VERSION") \
        || die "go mod download $MODULE@$VERSION failed: $json"
    dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    [[ -n "$dir" && -d "$dir" ]] || die "go mod download $MODULE@$VERSION: no source directory"
    cp -R "$dir" "$work/src"
    chmod -R u+w "$work/src"
    printf '%s\n' "$VERSION" > "$work/src/build/version/version.txt"
    (cd "$work/src" && GOBIN="$work/bin" go install -trimpath -buildvcs=false ./cmd/ferretdb) >&2 \
        || die "go install of FerretDB $VERSION failed"
    works "$work/bin/ferretdb" || die "the FerretDB $VERSION just built does not start"
    mkdir -p "$(dirname "$bin")"
    cp "$work/bin/ferretdb" "$bin.tmp.$$"
    mv -f "$bin.tmp.$$" "$bin"   # atomic: a concurrent run sees the old binary or the new one
    log "built in $((SECONDS - started))s"
    echo "$bin"
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

is_ours() {  # is_ours PID: a live process of ours, not a recycled pid
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
    rm -rf "$dir"
    log "stopped"
}

start() {
    local owner="" bin port pid="" attempt i
    dir=""  # global: the traps below need it
    while (($#)); do
        case $1 in
            --owner) owner=${2:?--owner needs a PID}; shift 2 ;;
            *) die "start: unknown argument $1" ;;
        esac
    done
    bin=$(build)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/tgshop-ferretdb.XXXXXX")
    touch "$dir/$MARKER"
    # anything going wrong from here on (also Ctrl-C) leaves nothing behind
    trap 'stop "$dir"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    started=$SECONDS
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        mkdir -p "$dir/data"
        "$bin" --handler=sqlite --sqlite-url="file:$dir/data/" --state-dir="$dir" \
            --listen-addr="127.0.0.1:$port" --telemetry=disable --debug-addr=- \
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
    log "FerretDB $VERSION (pid $pid) answers on 127.0.0.1:$port after $((SECONDS - started))s"
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
