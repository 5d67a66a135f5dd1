#!/usr/bin/env bash
# pg-server.sh: starts and stops a private, throwaway PostgreSQL server for the
# tests.  Source it and call pg_server_start (exports RETORT_PG_URL) and
# pg_server_stop; or run `bash scripts/lib/pg-server.sh selftest`.  The server
# lives in a fresh temporary directory, listens only on a Unix socket there,
# runs with fsync off and trust authentication, and is removed on stop.  When
# run as root, initdb and pg_ctl run as the `postgres` system user.  Every
# failure prints the server log and returns non-zero; nothing is skipped.

PG_SERVER_DIR=${PG_SERVER_DIR:-}   # temp dir of the running server, "" when none
PG_SERVER_BIN=${PG_SERVER_BIN:-}
PG_SERVER_PORT=${PG_SERVER_PORT:-5432}

_pg_err() { printf '*** pg-server: %s\n' "$*" >&2; }

# Runs a command as the server's owner (postgres when we are root).
_pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Finds the newest /usr/lib/postgresql/*/bin with initdb and pg_ctl.
_pg_find_bin() {
    local d best="" bestv=-1 v
    if [ -n "$PG_SERVER_BIN" ] && [ -x "$PG_SERVER_BIN/initdb" ]; then
        return 0
    fi
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] || continue
        v=${d#/usr/lib/postgresql/}
        v=${v%%/*}
        v=${v%%.*}
        case $v in '' | *[!0-9]*) continue ;; esac
        if [ "$v" -gt "$bestv" ]; then
            bestv=$v
            best=$d
        fi
    done
    if [ -z "$best" ]; then
        _pg_err "no PostgreSQL server binaries found under /usr/lib/postgresql/*/bin"
        return 1
    fi
    PG_SERVER_BIN=$best
}

# Prints the server log (and initdb's, when the server never got a log).
_pg_dump_log() {
    local f logs=("$PG_SERVER_DIR/server.log")
    [ -s "$PG_SERVER_DIR/server.log" ] || logs=("$PG_SERVER_DIR/initdb.log" "${logs[@]}")
    for f in "${logs[@]}"; do
        if [ -f "$f" ]; then
            printf '*** pg-server: --- %s ---\n' "$f" >&2
            cat "$f" >&2 || true
        fi
    done
}

# Reports a failure with the logs, tears everything down, returns 1.
_pg_fail() {
    _pg_err "$*"
    _pg_dump_log
    pg_server_stop
    return 1
}

pg_server_start() {
    if [ -n "$PG_SERVER_DIR" ]; then
        _pg_err "a server is already running in $PG_SERVER_DIR"
        return 1
    fi
    _pg_find_bin || return 1
    local bin=$PG_SERVER_BIN
    # As root the server user must reach the directory: use /tmp, not $TMPDIR.
    local parent=${TMPDIR:-/tmp}
    [ "$(id -u)" -ne 0 ] || parent=/tmp
    PG_SERVER_DIR=$(mktemp -d "$parent/retort-pg.XXXXXX") || {
        _pg_err "mktemp failed"
        PG_SERVER_DIR=
        return 1
    }
    local dir=$PG_SERVER_DIR
    chmod 755 "$dir" || { _pg_fail "chmod $dir failed"; return 1; }
    if [ "$(id -u)" -eq 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            _pg_fail "running as root but there is no 'postgres' user to run the server"
            return 1
        fi
        chown postgres: "$dir" || { _pg_fail "chown postgres $dir failed"; return 1; }
        if ! runuser -u postgres -- test -w "$dir"; then
            _pg_fail "user postgres cannot write to $dir (check the parent directories)"
            return 1
        fi
    fi
    if ! _pg_as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
            --no-locale --no-sync >"$dir/initdb.log" 2>&1; then
        _pg_fail "initdb failed"
        return 1
    fi
    # A log file the server user may write, created by it.
    _pg_as_owner touch "$dir/server.log" || { _pg_fail "cannot create server log"; return 1; }
    if ! _pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-k $dir -c listen_addresses='' -p $PG_SERVER_PORT -F -c fsync=off" \
            start >"$dir/pg_ctl.log" 2>&1; then
        cat "$dir/pg_ctl.log" >&2 || true
        _pg_fail "pg_ctl start failed"
        return 1
    fi
    if ! _pg_as_owner "$bin/createdb" -h "$dir" -p "$PG_SERVER_PORT" -U postgres \
            retort_test >"$dir/createdb.log" 2>&1; then
        cat "$dir/createdb.log" >&2 || true
        _pg_fail "createdb retort_test failed"
        return 1
    fi
    RETORT_PG_URL="postgresql://postgres@/retort_test?host=$dir"
    [ "$PG_SERVER_PORT" = 5432 ] || RETORT_PG_URL="$RETORT_PG_URL&port=$PG_SERVER_PORT"
    export RETORT_PG_URL
    return 0
}

# Stops the server and removes its directory.  Safe to call twice.
pg_server_stop() {
    local dir=$PG_SERVER_DIR
    [ -n "$dir" ] || return 0
    PG_SERVER_DIR=
    if [ -f "$dir/data/postmaster.pid" ] && [ -n "$PG_SERVER_BIN" ]; then
        _pg_as_owner "$PG_SERVER_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop \
            >/dev/null 2>&1 || _pg_err "pg_ctl stop failed for $dir"
    fi
    rm -rf -- "$dir"
    unset RETORT_PG_URL
    return 0
}

_pg_selftest() {
    set -euo pipefail
    trap pg_server_stop EXIT
    pg_server_start
    echo "RETORT_PG_URL=$RETORT_PG_URL"
    "$PG_SERVER_BIN/psql" "$RETORT_PG_URL" -X -v ON_ERROR_STOP=1 -c 'select 1'
    pg_server_stop
    pg_server_stop   # twice is harmless
    trap - EXIT
    echo "pg-server selftest: ok"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case ${1:-} in
    selftest) _pg_selftest ;;
    *)
        echo "usage: bash $0 selftest   (or source it and call pg_server_start / pg_server_stop)" >&2
        exit 2
        ;;
    esac
fi
