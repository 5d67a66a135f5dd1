#!/usr/bin/env bash
# setup.sh: installs what retort needs from Debian's archive (only what is
# missing) and configures and builds a build directory.  Sourced by
# scripts/shell and scripts/test.

RETORT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

RETORT_PACKAGES=(gcc make cmake pkg-config lua5.4 liblua5.4-dev libsqlite3-dev libpq-dev
                 libreadline-dev libcriterion-dev postgresql)

# retort_install_deps [PACKAGE...]: installs the packages retort needs, and
# those named, that are not installed yet.
retort_install_deps() {
    local missing=() p
    for p in "${RETORT_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "retort: installing ${missing[*]}" >&2
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "retort: missing packages ${missing[*]} and no sudo to install them" >&2
            return 1
        }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >/dev/null &&
        "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# retort_build DIR [cmake options...]: configures (once) and builds DIR.
retort_build() {
    local dir=$1
    shift
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        cmake -S "$RETORT_ROOT" -B "$dir" "$@" >/dev/null || return 1
    fi
    local log status=0
    log=$(mktemp)
    cmake --build "$dir" -j "$(nproc)" >"$log" 2>&1 || status=$?
    if [ $status -ne 0 ]; then
        cat "$log" >&2
    else
        grep -E "warning:" "$log" >&2 || true   # the build must stay warning-free
    fi
    rm -f "$log"
    return $status
}
