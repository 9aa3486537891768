#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for tests/e2e/test_browser.py; idempotent.
#
# Installs it with apt (as root, or through passwordless sudo) only when it is missing: apt-get update,
# then apt-get install -y chromium. Never downloads a browser build of its own (no `playwright install`):
# the `playwright` Python package from the dev extra drives this system Chromium.
#
# When Chromium cannot be had, this exits non-zero under CI (CI set), so `make test` stops with the reason;
# elsewhere it warns and exits 0, and the browser test skips with the same reason.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_PYTHON="${VENV_PYTHON:-$REPO/.venv/bin/python}"

say() { echo "ensure_browser: $*"; }

unavailable() {
    if [ -n "${CI:-}" ]; then
        say "ERROR: $*" >&2
        exit 1
    fi
    say "WARNING: $*; tests/e2e/test_browser.py will be skipped" >&2
    exit 0
}

check_playwright() {
    if [ -x "$VENV_PYTHON" ] && ! "$VENV_PYTHON" -c 'import playwright.sync_api' 2>/dev/null; then
        say "WARNING: the Python package playwright is missing from $VENV_PYTHON (it comes with '.[dev]')" >&2
    fi
}

if [ -x "$CHROMIUM" ]; then
    # Debian's launcher script prints a harmless shell error on some /dev/shm setups: keep stderr quiet.
    say "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM present")"
    check_playwright
    exit 0
fi

command -v apt-get >/dev/null || unavailable "no $CHROMIUM and no apt-get to install Debian's chromium"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    unavailable "no $CHROMIUM, and installing it needs root: run 'apt-get install chromium' as root"
fi

LOG="$(mktemp -t ensure-browser.XXXXXX.log)"
apt() {
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -q -o DPkg::Lock::Timeout=300 "$@" >>"$LOG" 2>&1
}

say "installing Debian's chromium with apt (log: $LOG)"
installed=""
for attempt in 1 2; do
    if apt update && apt install -y chromium; then
        installed=yes
        break
    fi
    say "apt attempt $attempt failed" >&2
    sleep 5
done
if [ -z "$installed" ] || [ ! -x "$CHROMIUM" ]; then
    tail -n 20 "$LOG" >&2 || true
    unavailable "apt-get could not install chromium (see $LOG)"
fi
say "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM installed")"
rm -f "$LOG"
check_playwright
