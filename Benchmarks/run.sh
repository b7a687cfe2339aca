#!/usr/bin/env bash
# Builds the spdlog harness and runs sluice-bench with it, so every number in the table comes from
# one run on one machine. Arguments are passed to sluice-bench (e.g. --quick, --json, --runs 5).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if ! pkg-config --exists spdlog 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq libspdlog-dev pkg-config > /dev/null
    else
        echo "run.sh: spdlog is missing; install it with: sudo apt-get install -y libspdlog-dev pkg-config" >&2
        exit 1
    fi
fi

mkdir -p "$here/.build"
g++ -O2 -std=c++17 -o "$here/.build/spdlog_bench" "$here/spdlog/spdlog_bench.cpp" \
    $(pkg-config --cflags --libs spdlog) -pthread

swift build -c release --package-path "$here" --product sluice-bench >&2
exec "$here/.build/release/sluice-bench" --spdlog "$here/.build/spdlog_bench" "$@"
