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

# A throwaway PostgreSQL server for the PostgresSink row (scenario D), as the tests start one:
# initdb in a temporary directory, 127.0.0.1 at a free port, default settings, stopped at exit.
postgres=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] && command -v psql > /dev/null; then
    as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
    pg_dir=$(mktemp -d /tmp/sluice-bench-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
    pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_postgres "'$pg_bin/initdb' -D '$pg_dir/data' -A trust -U postgres -E UTF8 --locale=C --no-sync" > /dev/null
    as_postgres "'$pg_bin/pg_ctl' -D '$pg_dir/data' -l '$pg_dir/server.log' -w -t 60 \
        -o '-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1' start" > /dev/null
    trap "as_postgres \"'$pg_bin/pg_ctl' -D '$pg_dir/data' -m fast -w stop\" > /dev/null; rm -rf '$pg_dir'" EXIT
    postgres=(--postgres "host=127.0.0.1 port=$pg_port user=postgres dbname=postgres sslmode=disable")
else
    echo "run.sh: no PostgreSQL (apt-get install postgresql), so no PostgresSink row" >&2
fi

swift build -c release --package-path "$here" --product sluice-bench >&2
"$here/.build/release/sluice-bench" --spdlog "$here/.build/spdlog_bench" "${postgres[@]}" "$@"
