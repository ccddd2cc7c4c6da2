#!/usr/bin/env bash
# FerretDB v2 (a MongoDB-wire server) on PostgreSQL 15 + DocumentDB, for the integration,
# end-to-end and deployment suites and the benchmarks that need a real server.
#
#   .ci/ferretdb.sh build                 install what is missing and build once (cached):
#                                         PostgreSQL 15 and the build tools (Debian packages),
#                                         DocumentDB + pgvector from third_party/ferretdb2,
#                                         FerretDB v2.7.0 from the Go module proxy (Go >= 1.24);
#                                         print the ferretdb binary's path. Needs root (or
#                                         password-less sudo) only while packages are missing
#                                         or DocumentDB is not installed into PostgreSQL yet
#   .ci/ferretdb.sh start [--owner PID]   build (see above: root only for that first install),
#                                         then start a private PostgreSQL cluster and a FerretDB
#                                         with their data in a new temporary directory; wait
#                                         until FerretDB answers a ping; print
#                                         `export MONGO_URI=...` and `export FERRETDB_DIR=...`
#                                         for the caller to eval. With --owner (a live process
#                                         id, usually the caller's $$) a watchdog in its own
#                                         session stops both when PID is gone, even if the
#                                         caller's whole process group was killed with SIGKILL;
#                                         without it nothing stops the pair but `stop`
#   .ci/ferretdb.sh stop [DIR]            stop the pair started in DIR (default $FERRETDB_DIR)
#                                         and delete its data; only a directory made by `start`
#                                         and owned by the current user (root: any user's)
#   .ci/ferretdb.sh run CMD [ARG...]      start a pair, run CMD with MONGO_URI exported (SIGTERM
#                                         and SIGINT are passed on to it), stop the pair
#                                         whatever happens; exits with CMD's status
#
# Settings (environment):
#   FERRETDB_BIN      use this ferretdb binary instead of building one (no Go needed; PostgreSQL
#                     and DocumentDB are still installed as above)
#   TGSHOP_CACHE      where builds are kept between runs (${XDG_CACHE_HOME:-$HOME/.cache}/tgshop);
#                     builds take the lock file build.lock in it, so concurrent runs wait
#   MONGO_DB          the database named in the printed URI (tgshop_test)
#   PYTHON            the interpreter used for the ping, with pymongo (python3)
#
# The cluster is our own (initdb in the temporary directory) and listens on no TCP port at
# all: only on a unix socket in its own directory, which only the cluster's user (postgres
# when we run as root, else ourselves) and root can enter, so its `trust` authentication
# reaches nobody else; a default cluster the machine may run (Debian's 15/main on 5432) is
# never touched. It runs with synchronous_commit=off, like mongod's default of journaling
# every 100 ms. FerretDB listens on a free port of 127.0.0.1 with --no-auth: any local user
# can use it. A test server, not a production one.
#
# Why a copy of FerretDB's module: `go install github.com/FerretDB/FerretDB/v2/cmd/ferretdb@v2.7.0`
# builds, but the binary panics at start ("Invalid build/version/version.txt file content")
# because that generated file is not in the published module; the module cache is read-only,
# so we build from a copy of the same source (its go.sum pins every dependency) with the file.
# The DocumentDB build needs three work-arounds on Debian bookworm: the Intel decimal library
# has no pkg-config file (we write one into the build's temporary directory), libbson 1.23
# lacks one enum value (-DBSON_SUBTYPE_SENSITIVE), and pg_cron 1.4 cannot run a job every 2
# seconds (documentdb.indexBuildScheduleInSec = 60: background index builds only;
# create_index works at once and unique indexes are enforced). FerretDB 2.7.0 expects
# DocumentDB 0.107.0 and only logs a warning for this 0.107-0 build. The built extension
# files are installed as new files renamed into place, never rewritten in place, so running
# clusters that have them mapped are not disturbed.
set -euo pipefail
shopt -s inherit_errexit

MODULE=github.com/FerretDB/FerretDB/v2
VERSION=v2.7.0
GO_MIN=(1 24)
PG=15
PGBIN=/usr/lib/postgresql/$PG/bin
PGPORT=5432   # only names the socket file in the cluster's own directory: no TCP port is used
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

can_root() {  # are we root, or may we use sudo without a password?
    [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null
}

as_root() {  # as_root CMD...: run CMD as root (callers check can_root first, with their reason)
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif sudo -n true 2>/dev/null; then sudo -n "$@"
    else die "need root (or password-less sudo) to: $*"
    fi
}

as_pg() {  # as_pg CMD...: run a PostgreSQL server command as a user PostgreSQL accepts
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

as_user() {  # as_user USER CMD...: run CMD as USER (ourselves, or anyone when we are root)
    local user=$1
    shift
    if [[ $user == "$(id -un)" ]]; then "$@"
    elif [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u "$user" -- "$@")
    else die "this needs to run as $user (or root), not as $(id -un)"
    fi
}

packages() (  # install the Debian packages that are missing (none: nothing is done)
    missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    ((${#missing[@]})) || exit 0
    command -v apt-get >/dev/null \
        || die "these Debian packages are missing and apt-get is not here: ${missing[*]}"
    can_root || die "these Debian packages are missing: ${missing[*]}." \
        "Installing them needs root, and $(id -un) is not root and has no password-less sudo:" \
        "install them once as root (apt-get install ${missing[*]}), or run" \
        "'.ci/ferretdb.sh build' once as root, which also installs DocumentDB into PostgreSQL $PG" \
        "(FERRETDB_BIN only saves the Go build; the packages are needed anyway)"
    log "installing ${missing[*]} (apt-get)"
    out=$(mktemp) || die "mktemp failed"
    trap 'rm -f "$out"' EXIT
    # 9>&-: a service apt starts (postgresql's own cluster) must not inherit our build lock
    if ! { as_root apt-get -o DPkg::Lock::Timeout=300 update -qq \
            && as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
                install -y -qq --no-install-recommends "${missing[@]}"; } >"$out" 2>&1 9>&-; then
        tail -n 30 "$out" >&2
        die "apt-get install failed"
    fi
)

extensions() (  # build DocumentDB + pgvector once (staged in the cache), install them
    work="" tmp=""
    trap '[[ -z "$work" ]] || rm -rf "$work"; [[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT
    sha=$(sha256sum "$VENDOR" | cut -c1-16) || die "cannot read $VENDOR"
    stage="$CACHE/documentdb-$sha"
    sharedir=$("$PGBIN/pg_config" --sharedir) || die "$PGBIN/pg_config failed"
    stamp="$sharedir/extension/tgshop-documentdb.stamp"
    if [[ -f "$stamp" && "$(<"$stamp")" == "$sha" ]]; then exit 0; fi
    can_root || die "DocumentDB and pgvector (build $sha of third_party/ferretdb2) are not" \
        "installed into PostgreSQL $PG, and installing them needs root: $(id -un) is not root" \
        "and has no password-less sudo. Run '.ci/ferretdb.sh build' once as root (or with sudo)"
    if [[ ! -f "$stage/done" ]]; then
        log "building DocumentDB and pgvector from third_party/ferretdb2 (once; cached in $stage)"
        work=$(mktemp -d "${TMPDIR:-/tmp}/documentdb-build.XXXXXX") || die "mktemp failed"
        tar xzf "$VENDOR" -C "$work" || die "cannot unpack $VENDOR"
        pc="$work/pkgconfig"   # Debian ships the Intel decimal library without a .pc file
        multiarch=$(gcc -print-multiarch) || die "gcc -print-multiarch failed"
        mkdir -p "$pc" || die "mkdir $pc failed"
        printf '%s\n' "libdir=/usr/lib/$multiarch" 'Name: intelmathlib' \
            'Description: Intel decimal floating point (Debian libbid)' 'Version: 2.0' \
            'Cflags: -I/usr/include' "Libs: -L\${libdir} -lbidgcc000" > "$pc/intelmathlib.pc" \
            || die "cannot write $pc/intelmathlib.pc"
        mkdir -p "$CACHE" || die "cannot create $CACHE"
        tmp=$(mktemp -d "$stage.tmp.XXXXXX") || die "mktemp in $CACHE failed"
        flags=(PG_CONFIG="$PGBIN/pg_config" with_llvm=no)
        make -s -C "$work/pgvector" -j2 "${flags[@]}" OPTFLAGS= >&2 || die "pgvector: make failed"
        make -s -C "$work/pgvector" "${flags[@]}" OPTFLAGS= DESTDIR="$tmp" install >&2 \
            || die "pgvector: make install (into $tmp) failed"
        flags+=("COPT=-DBSON_SUBTYPE_SENSITIVE=0x08 -Wno-switch")  # libbson 1.23 lacks it
        for d in pg_documentdb_core pg_documentdb; do
            PKG_CONFIG_PATH="$pc" make -s -C "$work/documentdb/$d" -j2 "${flags[@]}" >&2 \
                || die "$d: make failed"
            PKG_CONFIG_PATH="$pc" make -s -C "$work/documentdb/$d" "${flags[@]}" \
                DESTDIR="$tmp" install >&2 || die "$d: make install (into $tmp) failed"
        done
        [[ -d "$tmp/usr" ]] || die "the DocumentDB build installed nothing into $tmp"
        touch "$tmp/done" || die "cannot write $tmp/done"
        rm -rf "$stage" || die "cannot remove the old $stage"
        mv -T "$tmp" "$stage" || die "cannot move $tmp to $stage"
        tmp=""
    fi
    log "installing DocumentDB and pgvector into PostgreSQL $PG"
    # each file is copied next to its destination and renamed over it: a running postmaster
    # keeps its mapping of the old .so (rewriting it in place could crash it with SIGBUS)
    # shellcheck disable=SC2016
    as_root bash -c 'set -euo pipefail
        cd "$1"
        find usr -type f -print0 | while IFS= read -r -d "" f; do
            mkdir -p "/${f%/*}"
            cp --preserve=mode -- "$f" "/$f.tgshop-new"
            mv -f -- "/$f.tgshop-new" "/$f"
        done' install-documentdb "$stage" \
        || die "installing $stage/usr into /usr failed"
    printf '%s\n' "$sha" | as_root tee "$stamp" >/dev/null || die "cannot write $stamp"
)

go_version_ok() {  # is the go on PATH at least GO_MIN?
    local v
    v=$(go version 2>/dev/null) || v=""
    [[ $v =~ go([0-9]+)\.([0-9]+) ]] \
        || die "cannot tell the version of $(command -v go) ('$v'): FerretDB $VERSION needs Go" \
            ">= ${GO_MIN[0]}.${GO_MIN[1]} (https://go.dev/dl/), or set FERRETDB_BIN"
    local major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
    ((major > GO_MIN[0] || (major == GO_MIN[0] && minor >= GO_MIN[1]))) \
        || die "$(command -v go) is Go $major.$minor; FerretDB $VERSION needs Go >=" \
            "${GO_MIN[0]}.${GO_MIN[1]}: install a newer one (https://go.dev/dl/) or set FERRETDB_BIN" \
            "to a ferretdb $VERSION binary"
}

ferretdb() (  # build FerretDB once (cached); print the binary's path
    bin="$CACHE/ferretdb-$VERSION/ferretdb" work="" started=$SECONDS
    if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == *"version: $VERSION"* ]]; then
        echo "$bin"
        exit 0
    fi
    if ! command -v go >/dev/null; then  # installed but not on this PATH (a bare CI shell)?
        for d in /usr/local/go/bin /usr/lib/go/bin "$HOME/go/bin"; do
            [[ -x "$d/go" ]] && PATH="$d:$PATH" && break
        done
    fi
    command -v go >/dev/null || die "go is not installed: install Go >= ${GO_MIN[0]}.${GO_MIN[1]}" \
        "(https://go.dev/dl/) or set FERRETDB_BIN to a ferretdb $VERSION binary"
    go_version_ok
    trap '[[ -z "$work" ]] || { chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"; }' EXIT
    work=$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-build.XXXXXX") || die "mktemp failed"
    log "building FerretDB $VERSION (once; cached in $bin)"
    json=$(cd "$work" && go mod download -json "$MODULE@$VERSION") \
        || die "go mod download $MODULE@$VERSION failed: $json"
    dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    [[ -n "$dir" && -d "$dir" ]] || die "go mod download $MODULE@$VERSION: no source directory"
    cp -R "$dir" "$work/src" || die "cannot copy $dir"
    chmod -R u+w "$work/src" || die "chmod of $work/src failed"
    printf '%s\n' "$VERSION" > "$work/src/build/version/version.txt" \
        || die "cannot write build/version/version.txt"
    (cd "$work/src" && GOBIN="$work/bin" go install -trimpath -buildvcs=false ./cmd/ferretdb) >&2 \
        || die "go install of FerretDB $VERSION failed"
    "$work/bin/ferretdb" --version >/dev/null 2>&1 || die "the FerretDB just built does not start"
    mkdir -p "$(dirname "$bin")" || die "cannot create $(dirname "$bin")"
    cp "$work/bin/ferretdb" "$bin.tmp.$$" || die "cannot copy ferretdb into $(dirname "$bin")"
    mv -f "$bin.tmp.$$" "$bin" || die "cannot move $bin.tmp.$$ to $bin"   # atomic
    log "FerretDB built in $((SECONDS - started))s"
    echo "$bin"
)

build() (  # everything `start` needs, under a lock: concurrent first runs build once, in turn
    mkdir -p "$CACHE" || die "cannot create the cache directory $CACHE"
    exec 9>>"$CACHE/build.lock" || die "cannot open $CACHE/build.lock"
    if ! flock -n 9; then
        log "waiting for another build to finish (lock: $CACHE/build.lock)"
        flock 9 || die "cannot lock $CACHE/build.lock"
    fi
    packages || exit 1
    extensions || exit 1
    if [[ -n "${FERRETDB_BIN:-}" ]]; then
        "$FERRETDB_BIN" --version >/dev/null 2>&1 || die "FERRETDB_BIN=$FERRETDB_BIN does not run"
        echo "$FERRETDB_BIN"
    else
        ferretdb || exit 1
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
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        sys.exit(1)
    sys.exit(0)
try:
    client = pymongo.MongoClient("127.0.0.1", port, serverSelectionTimeoutMS=1000,
                                 connectTimeoutMS=1000, directConnection=True)
    try:
        client.admin.command("ping")
    finally:
        client.close()
except pymongo.errors.PyMongoError:
    sys.exit(1)
EOF
}

is_ours() {  # is_ours PID NAME: a live process called NAME, not a recycled pid
    [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null \
        && [[ "$(basename -- "$(ps -o comm= -p "$1" 2>/dev/null)")" == "$2" ]]
}

has_arg() {  # has_arg PID PREFIX PATH: an argument of PID is PREFIX then a name of PATH
    local a
    [[ -r /proc/$1/cmdline ]] || return 1
    while IFS= read -r -d '' a; do
        [[ $a == "$2"?* && -e ${a#"$2"} && ${a#"$2"} -ef $3 ]] && return 0
    done 2>/dev/null <"/proc/$1/cmdline"
    return 1
}

has_word() {  # has_word PID WORD: WORD is one of PID's arguments
    local a
    [[ -r /proc/$1/cmdline ]] || return 1
    while IFS= read -r -d '' a; do
        [[ $a == "$2" ]] && return 0
    done 2>/dev/null <"/proc/$1/cmdline"
    return 1
}

proc_start() {  # proc_start PID: the start time of a live (not zombie) PID; nothing if none
    local s f
    { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 0
    read -r -a f <<<"${s##*) }"   # the fields after the command name: state ... starttime
    [[ ${f[0]} == Z ]] || echo "${f[19]}"
}

stop() {
    local dir=${1:-${FERRETDB_DIR:-}} data pid wpid pmpid pmdata owner out i me
    [[ -n "$dir" ]] || die "stop: which one? give its directory or set FERRETDB_DIR"
    if [[ ! -e "$dir" && ! -L "$dir" ]]; then
        log "nothing to stop at $dir"
        return 0
    fi
    [[ "$dir" == /* ]] || dir="$PWD/$dir"
    [[ ! -L "$dir" ]] || die "stop: $dir is a symbolic link; left alone"
    [[ -d "$dir" && -f "$dir/$MARKER" ]] \
        || die "stop: $dir was not made by ferretdb.sh start; left alone"
    me=$(id -u)
    [[ $me -eq 0 || "$(stat -c %u -- "$dir")" == "$me" ]] \
        || die "stop: $dir belongs to $(stat -c %U -- "$dir"), not to $(id -un); left alone" \
            "(stop it as that user or as root)"
    data="$dir/pg/data"
    [[ ! -L "$dir/pg" && ! -L "$data" ]] \
        || die "stop: $dir/pg or $data is a symbolic link; left alone"

    if [[ -z "${FERRETDB_WATCHDOG:-}" && -f "$dir/watchdog.pid" ]]; then
        wpid=$(<"$dir/watchdog.pid")
        if is_ours "$wpid" bash && has_arg "$wpid" "" "$dir" && has_word "$wpid" watchdog; then
            # it leads its own session and process group (setsid): end it and its sleep
            if [[ "$(ps -o pgid= -p "$wpid" | tr -d ' ')" == "$wpid" ]]; then
                kill -TERM -- "-$wpid" 2>/dev/null || true
            else
                kill -TERM "$wpid" 2>/dev/null || true
            fi
        fi
    fi

    pid=$(cat "$dir/pid" 2>/dev/null || true)
    if is_ours "$pid" ferretdb; then
        if has_arg "$pid" --state-dir= "$dir"; then
            kill -TERM "$pid" 2>/dev/null || true
            for ((i = 0; i < 100; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            if kill -0 "$pid" 2>/dev/null; then
                log "FerretDB (pid $pid) ignored SIGTERM for 10s; killing it"
                kill -KILL "$pid" 2>/dev/null || true
                for ((i = 0; i < 50; i++)); do
                    kill -0 "$pid" 2>/dev/null || break
                    sleep 0.1
                done
            fi
            ! kill -0 "$pid" 2>/dev/null \
                || die "stop: FerretDB (pid $pid) of $dir would not stop; $dir left in place"
        else
            log "pid $pid (in $dir/pid) is a ferretdb that does not serve $dir; left alone"
        fi
    fi

    if [[ -f "$data/postmaster.pid" ]]; then
        pmpid=$(sed -n 1p "$data/postmaster.pid")
        pmdata=$(sed -n 2p "$data/postmaster.pid")
        if is_ours "$pmpid" postgres; then
            [[ -n "$pmdata" && "$pmdata" -ef "$data" && "/proc/$pmpid/cwd" -ef "$data" ]] \
                || die "stop: PostgreSQL pid $pmpid (from $data/postmaster.pid) does not run on" \
                    "$data; $dir left in place"
            owner=$(stat -c %U -- "$data")
            # pg_ctl as the cluster's owner: it signals the postmaster, which nobody else may
            out=$(as_user "$owner" "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 30 stop 2>&1) \
                || out+=$'\n'$(as_user "$owner" "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 30 \
                    stop 2>&1) || true
            for ((i = 0; i < 50; i++)); do
                is_ours "$pmpid" postgres || break
                sleep 0.1
            done
            if is_ours "$pmpid" postgres; then
                [[ -z "$out" ]] || printf '%s\n' "$out" >&2
                die "stop: could not stop PostgreSQL (pid $pmpid, user $owner) of $data;" \
                    "$dir left in place"
            fi
        fi
    fi
    rm -rf -- "$dir" || die "stop: could not delete $dir"
    log "stopped and deleted $dir"
}

postgres() {  # postgres DIR: initdb and start a private cluster on the socket directory DIR/pg
    local dir=$1 sock=$1/pg
    mkdir -m 700 "$sock" || die "mkdir $sock failed"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres:postgres "$sock" || die "chown postgres $sock failed"
    fi
    as_pg "$PGBIN/initdb" -D "$sock/data" -U postgres --auth-local=trust --auth-host=reject \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # pg_cron and DocumentDB (create_index, background jobs) connect back to the server with
    # libpq, by default to localhost over TCP: they are sent to the socket directory too
    as_pg tee "$sock/data/tgshop.conf" >/dev/null <<EOF || die "cannot write $sock/data/tgshop.conf"
listen_addresses = ''
port = $PGPORT
unix_socket_directories = '$sock'
unix_socket_permissions = 0700
shared_preload_libraries = 'pg_cron,pg_documentdb_core,pg_documentdb'
cron.database_name = 'postgres'
cron.host = '$sock'
documentdb.localhost_connection_string = 'host=''$sock'''
synchronous_commit = off
documentdb.indexBuildScheduleInSec = 60
documentdb.enableCompact = true
documentdb.enableLetAndCollationForQueryMatch = true
documentdb.enableNowSystemVariable = true
documentdb.enableSortbyIdPushDownToPrimaryKey = true
documentdb.enableSchemaValidation = true
documentdb.enableBypassDocumentValidation = true
EOF
    echo "include = 'tgshop.conf'" | as_pg tee -a "$sock/data/postgresql.conf" >/dev/null \
        || die "cannot write $sock/data/postgresql.conf"
    as_pg "$PGBIN/pg_ctl" -D "$sock/data" -l "$sock/postgres.log" -w -t 60 start >/dev/null 2>&1 \
        || { tail -n 20 "$sock/postgres.log" >&2; die "PostgreSQL would not start (its log is above)"; }
    "$PGBIN/psql" -qX -h "$sock" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c 'CREATE EXTENSION documentdb CASCADE' >"$dir/extension.log" 2>&1 \
        || { cat "$dir/extension.log" >&2; die "CREATE EXTENSION documentdb failed"; }
}

watchdog() {  # watchdog OWNER STARTTIME DIR: stop DIR's pair when OWNER is gone (internal)
    local owner=$1 since=$2 dir=$3
    trap 'exit 0' TERM
    while [[ -d "$dir" && "$(proc_start "$owner")" == "$since" ]]; do
        sleep 2 &
        wait $! || true
    done
    [[ -d "$dir" ]] || exit 0
    log "process $owner is gone: stopping the pair in $dir"
    FERRETDB_WATCHDOG=1 stop "$dir"
}

start() {
    local owner="" since="" bin port pid="" attempt i url sock
    dir=""  # global: the traps below need it
    while (($#)); do
        case $1 in
            --owner)
                owner=${2:-}
                [[ $owner =~ ^[1-9][0-9]*$ ]] || die "start: --owner needs a process id, not '$owner'"
                since=$(proc_start "$owner")
                [[ -n "$since" ]] || die "start: --owner $owner: no such process"
                shift 2 ;;
            *) die "start: unknown argument $1" ;;
        esac
    done
    bin=$("$SELF" build) || exit 1   # its own process: nothing there runs without errexit
    [[ -x "$bin" ]] || die "build printed '$bin', not a program"
    dir=$(mktemp -d "${TMPDIR:-/tmp}/tgshop-ferretdb.XXXXXX") || die "mktemp failed"
    sock="$dir/pg"
    chmod 711 "$dir"   # the postgres user keeps its cluster below it
    touch "$dir/$MARKER"
    # anything going wrong from here on (also Ctrl-C) leaves nothing behind
    trap 'stop "$dir"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    ((${#sock} + 20 < 108)) || die "$sock is too long for a unix socket path; set a shorter TMPDIR"
    [[ "$sock" != *[\'\\]* ]] || die "$sock: quotes and backslashes are not supported; set TMPDIR"
    started=$SECONDS
    postgres "$dir"
    # pgx takes a socket directory as the host parameter (a host starting with /)
    url="postgres://postgres@/postgres?host=$("$PYTHON" -c 'import sys, urllib.parse
print(urllib.parse.quote(sys.argv[1], safe="/"))' "$sock")&port=$PGPORT"
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        "$bin" --postgresql-url="$url" \
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
        # in its own session, so that a SIGKILL of the caller's process group spares it; no
        # stdout of ours may stay open there, or `$(... start)` would wait for it
        setsid "$SELF" watchdog "$owner" "$since" "$dir" </dev/null >>"$dir/watchdog.log" 2>&1 &
        echo "$!" > "$dir/watchdog.pid"
    fi
    trap - EXIT INT TERM
    log "FerretDB $VERSION (pid $pid) on PostgreSQL $PG (socket in $sock) answers on" \
        "127.0.0.1:$port after $((SECONDS - started))s"
    printf 'export MONGO_URI=%q\nexport FERRETDB_DIR=%q\n' "mongodb://127.0.0.1:$port/$DB" "$dir"
}

forward_int() {  # pass a SIGINT on to CMD, unless it came from the terminal (CMD has it too)
    local fg pg
    fg=$(ps -o tpgid= -p $$ | tr -d ' ')
    pg=$(ps -o pgid= -p $$ | tr -d ' ')
    [[ "$fg" == "$pg" ]] || kill -INT "$1" 2>/dev/null || true
}

run() {
    (($#)) || die "run: which command?"
    local env cpid rc
    FERRETDB_DIR=""
    trap '[[ -z "$FERRETDB_DIR" ]] || stop "$FERRETDB_DIR"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    env=$(start --owner $$)
    eval "$env"
    # CMD runs in the background so that our traps run while it does: they pass SIGTERM and
    # SIGINT on, then we wait for it to finish before stopping the pair. `trap -` undoes the
    # SIGINT/SIGQUIT ignoring of background jobs; <&0 keeps our stdin (not /dev/null).
    (trap - INT QUIT; exec "$@") <&0 &
    cpid=$!
    trap 'kill -TERM "$cpid" 2>/dev/null || true' TERM
    trap 'forward_int "$cpid"' INT
    while :; do
        rc=0
        wait "$cpid" || rc=$?
        kill -0 "$cpid" 2>/dev/null || break   # else a trap interrupted the wait: CMD still runs
    done
    trap 'exit 130' INT
    trap 'exit 143' TERM
    exit "$rc"
}

case ${1:-} in
    build) build ;;
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    run) shift; run "$@" ;;
    watchdog) shift; watchdog "$@" ;;
    *) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
esac
