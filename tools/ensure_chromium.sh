#!/bin/sh
# Make sure Debian's chromium is there for the browser test (tests/test_browser.py).
# As root (or with password-less sudo) it installs it with apt-get; otherwise it
# says what to run. It never fails the command it is part of: without chromium
# the browser test is skipped with that reason, except in CI (CI or
# ESSGRAPH_REQUIRE_BROWSER set), where it fails.
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure_chromium: Debian's chromium is missing and this user cannot install it;" >&2
        echo "  run 'sudo apt-get install chromium' for the browser test (skipped until then)." >&2
        exit 0
    fi
    echo "ensure_chromium: installing Debian's chromium for the browser test" >&2
    if $SUDO apt-get update -qq >/dev/null 2>&1 &&
       DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null 2>&1; then
        exit 0
    fi
    echo "ensure_chromium: 'apt-get install chromium' failed; the browser test will be skipped" >&2
    exit 0
fi
echo "ensure_chromium: no apt-get here; install chromium (Debian's package, at /usr/bin/chromium)" >&2
echo "  for the browser test (skipped until then)." >&2
exit 0
