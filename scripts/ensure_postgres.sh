#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server binaries are installed for tests/e2e/test_postgres.py; idempotent.
#
# Installs the `postgresql` package with apt (as root, or through passwordless sudo) only when no initdb is
# found. The test starts its own server (initdb in a temporary folder, a loopback port) and stops it: this
# script never starts or configures one, and the cluster Debian's package may create is left alone.
#
# When PostgreSQL cannot be had, this exits non-zero under CI (CI set), so `make test` stops with the reason;
# elsewhere it warns and exits 0, and the PostgreSQL test skips with the same reason.
set -euo pipefail

say() { echo "ensure_postgres: $*"; }

unavailable() {
    if [ -n "${CI:-}" ]; then
        say "ERROR: $*" >&2
        exit 1
    fi
    say "WARNING: $*; tests/e2e/test_postgres.py will be skipped" >&2
    exit 0
}

# Debian keeps the server programs off PATH, under /usr/lib/postgresql/<major>/bin (the test looks there too).
find_initdb() {
    local found
    found="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
    [ -n "$found" ] || found="$(command -v initdb || true)"
    echo "$found"
}

check_user() {
    # As root the test runs the server as the `postgres` user (initdb refuses root); Debian's package makes it.
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        unavailable "running as root but there is no 'postgres' user to run the server as"
    fi
}

INITDB="$(find_initdb)"
if [ -n "$INITDB" ]; then
    say "$("$INITDB" --version)"
    check_user
    exit 0
fi

command -v apt-get >/dev/null || unavailable "no initdb and no apt-get to install Debian's postgresql"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    unavailable "no initdb, and installing it needs root: run 'apt-get install postgresql' as root"
fi

LOG="$(mktemp -t ensure-postgres.XXXXXX.log)"
apt() {
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -q -o DPkg::Lock::Timeout=300 "$@" >>"$LOG" 2>&1
}

say "installing Debian's postgresql with apt (log: $LOG)"
installed=""
for attempt in 1 2; do
    if apt update && apt install -y --no-install-recommends postgresql; then
        installed=yes
        break
    fi
    say "apt attempt $attempt failed" >&2
    sleep 5
done
INITDB="$(find_initdb)"
if [ -z "$installed" ] || [ -z "$INITDB" ]; then
    tail -n 20 "$LOG" >&2 || true
    unavailable "apt-get could not install postgresql (see $LOG)"
fi
say "$("$INITDB" --version)"
rm -f "$LOG"
check_user
