#!/usr/bin/env bash
# Install Debian's Chromium for kusari-ui's real-browser tests (Playwright drives
# /usr/bin/chromium; `playwright install` cannot download browsers here). Does nothing when it is
# already installed or when apt-get is not available (the browser tests then skip and say why).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if ! command -v apt-get > /dev/null; then
    echo "install-chromium: apt-get not found; kusari-ui's browser tests will skip" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" != "0" ]; then
    if ! sudo -n true 2> /dev/null; then
        echo "install-chromium: not root and no password-less sudo; run" \
            "'sudo apt-get install chromium' for kusari-ui's browser tests" >&2
        exit 0
    fi
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends chromium
