#!/usr/bin/env bash
# Before/after in one session: builds sluice-bench at another commit (in a temporary worktree) and at
# the working tree, then runs the two alternately, one run each per round, and prints the medians
# side by side. Only Sluice's own rows (S1, S2, with per-call latency) are compared.
#
#   bash Benchmarks/compare.sh BASE_COMMIT [--rounds N] [sluice-bench options, e.g. --records 1000000]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base="${1:?usage: compare.sh BASE_COMMIT [--rounds N] [sluice-bench options]}"
shift
rounds=3
if [ "${1:-}" = "--rounds" ]; then
    rounds="$2"
    shift 2
fi
worktree="$(mktemp -d)/sluice-base"
git -C "$here/.." worktree add --detach "$worktree" "$base" > /dev/null
trap 'git -C "$here/.." worktree remove --force "$worktree" > /dev/null 2>&1 || true' EXIT
swift build -c release --package-path "$worktree/Benchmarks" --product sluice-bench >&2
swift build -c release --package-path "$here" --product sluice-bench >&2
results="$(mktemp -d)"
for round in $(seq 1 "$rounds"); do
    for side in before after; do
        binary="$here/.build/release/sluice-bench"
        [ "$side" = before ] && binary="$worktree/Benchmarks/.build/release/sluice-bench"
        echo "round $round: $side" >&2
        # Only the default mode is compared (a binary from before execution modes has no --modes).
        modes=()
        "$binary" --help | grep -q -- --modes && modes=(--modes dedicated)
        "$binary" --systems sluice --scenario S1,S2 "${modes[@]}" --runs 1 --json "$@" > "$results/$side-$round.json"
    done
done
python3 - "$results" "$rounds" "$base" <<'PY'
import json, statistics, sys
directory, rounds, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(side):
    return [json.load(open(f"{directory}/{side}-{r}.json")) for r in range(1, rounds + 1)]
def median(runs, row, scenario, key):
    values = [run["rows"].get(row, {}).get(scenario, {}).get(key) for run in runs]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None
before, after = load("before"), load("after")
row = next(name for name in after[0]["rows"] if name.startswith("sluice (") and "dropOldest" not in name)
def rate(runs, scenario):
    values = [r["rows"][row][scenario]["records"] / r["rows"][row][scenario]["seconds"] for r in runs if scenario in r["rows"].get(row, {})]
    return statistics.median(values) if values else None
def fmt_rate(v): return "-" if v is None else (f"{v/1e6:.2f} M/s" if v >= 1e6 else f"{v/1e3:.0f} k/s")
def fmt_ns(v): return "-" if v is None else (f"{v/1e3:.1f} µs" if v >= 1e3 else f"{v:.0f} ns")
def fmt_mb(v): return "-" if v is None else f"{v/1048576:.0f} MB"
print(f"Sluice ({row}) before ({base}) and after (working tree), medians of {rounds} alternating rounds\n")
print("| | S1 records/s | S2 records/s | S1 caller p50 / p99 / p99.9 | S2 caller p99 | Peak RSS S1 / S2 |")
print("|---|---|---|---|---|---|")
for name, runs in (("before", before), ("after", after)):
    p50 = median(runs, row, "S1-latency", "p50"); p99 = median(runs, row, "S1-latency", "p99"); p999 = median(runs, row, "S1-latency", "p999")
    s2p99 = median(runs, row, "S2-latency", "p99")
    rss1 = median(runs, row, "S1", "peakResidentBytes"); rss2 = median(runs, row, "S2", "peakResidentBytes")
    print(f"| {name} | {fmt_rate(rate(runs, 'S1'))} | {fmt_rate(rate(runs, 'S2'))} | {fmt_ns(p50)} / {fmt_ns(p99)} / {fmt_ns(p999)} | {fmt_ns(s2p99)} | {fmt_mb(rss1)} / {fmt_mb(rss2)} |")
PY
