#!/usr/bin/env bash
# Set up a fresh Debian machine (Python 3.11, root) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Codec libraries (optional at build time, wanted here so every binding is
    # built and tested) and DCMTK / GDCM / OpenJPH tools for interop tests.
    apt-get install -y -qq pkg-config libcharls-dev libopenjp2-7-dev libopenjph-dev \
        dcmtk libgdcm-tools openjph-tools >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -m ruff check dicomcore tests tools benchmarks
python3 -m pytest -q -p no:cacheprovider "$@"
