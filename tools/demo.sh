#!/usr/bin/env bash
# Set up a fresh Debian machine (Python 3.11, root) and run dicomcore's main job.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq pkg-config libcharls-dev libopenjp2-7-dev libopenjph-dev >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e .
python3 -m dicomcore demo "$@"
