#!/usr/bin/env bash
# Pipes the same input through `sluice pipe`, s6-log (with T, so it timestamps every line as Sluice
# does) and rotatelogs (a raw byte copy, the limit), all rotating by size, in one run on one machine,
# and verifies that every output holds exactly the input's lines, in order.
#
#   bash Benchmarks/capture.sh             # 5,000,000 lines, median of 3 runs
#   bash Benchmarks/capture.sh --quick     # 200,000 lines, 1 run (CI: proves it runs and verifies)
#   bash Benchmarks/capture.sh --lines 1000000 --runs 5 --dir /mnt/fast
#
# Never fails on speed; fails when an output is wrong or a tool is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

lines=5000000
runs=3
rotate_mib=64
work=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) lines=200000; runs=1; rotate_mib=4 ;;
        --lines) lines="$2"; shift ;;
        --runs) runs="$2"; shift ;;
        --dir) work="$2"; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "capture.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if ! command -v s6-log > /dev/null || ! command -v rotatelogs > /dev/null || [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq --no-install-recommends s6 apache2-utils time > /dev/null
    else
        echo "capture.sh: needs s6-log, rotatelogs and GNU time: sudo apt-get install -y s6 apache2-utils time" >&2
        exit 1
    fi
fi

swift build -c release --package-path "$root" --product sluice >&2
sluice="$root/.build/release/sluice"

if [ -z "$work" ]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-capture.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
input="$work/input.txt"
# Lines like an access log's, ~85 bytes, each one distinct.
awk -v n="$lines" 'BEGIN { for (i = 0; i < n; i++)
    printf "GET /api/v1/items/%07d 200 %dms user=u-%d request_id=%016x bytes=%d\n",
        i, i % 97, i % 1000, (i * 2654435761) % 4294967296, i % 65536 }' > "$input"
bytes=$(stat -c %s "$input")
echo "input: $lines lines, $bytes bytes; rotation at $rotate_mib MiB; $runs run(s) each; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

run_one() {  # system, output directory → "seconds peak_kb cpu_seconds"
    local system="$1" out="$2" timing="$work/time.txt"
    rm -rf "$out"
    mkdir -p "$out"
    case "$system" in
        sluice) command=("$sluice" pipe --dir "$out" --name bench --rotate-size "${rotate_mib}M" --quiet) ;;
        s6-log) rmdir "$out"; command=(s6-log -b n1000 "s$((rotate_mib << 20))" T "$out") ;;
        rotatelogs) command=(rotatelogs -n 1000 "$out/bench.log" "${rotate_mib}M") ;;
    esac
    local start end
    start=$(date +%s.%N)
    cat "$input" | /usr/bin/time -o "$timing" -f "%M %U %S" "${command[@]}"
    end=$(date +%s.%N)
    read -r rss user system_time < <(tail -1 "$timing")
    echo "$(awk "BEGIN { print $end - $start }") $rss $(awk "BEGIN { print $user + $system_time }")"
}

verify() {  # system, output directory
    python3 - "$1" "$2" "$input" <<'PY'
import os, re, sys
system, directory, input_path = sys.argv[1:4]
names = sorted(os.listdir(directory))
if system == "sluice":
    archives = sorted(n for n in names if re.fullmatch(r"bench\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{6}Z\.log", n))
    files = archives + ["bench.log"]
    prefix = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z INFO     bench: (.*) stream=stdin\n$")
elif system == "s6-log":
    files = sorted(n for n in names if n.startswith("@")) + ["current"]
    prefix = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}  (.*)\n$")
else:
    numbered = sorted((int(n.rsplit(".", 1)[1]), n) for n in names if re.fullmatch(r"bench\.log\.\d+", n))
    files = ["bench.log"] + [n for _, n in numbered]
    prefix = None
unexpected = set(names) - set(files) - {"lock", "state"}
assert not unexpected, f"{system}: unexpected files {sorted(unexpected)}"
def lines():
    if prefix is None:
        # rotatelogs copies bytes, so a line may straddle two files: join them first.
        rest = b""
        for name in files:
            with open(os.path.join(directory, name), "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    parts = (rest + chunk).split(b"\n")
                    rest = parts.pop()
                    yield from parts
        if rest:
            yield rest
        return
    for name in files:
        with open(os.path.join(directory, name), "rb") as f:
            for line in f:
                match = prefix.match(line)
                assert match, f"{system}: {name}: unexpected line {line[:200]!r}"
                yield match.group(1)
count = 0
with open(input_path, "rb") as expected:
    for got in lines():
        want = expected.readline().rstrip(b"\n")
        assert got == want, f"{system}: line {count + 1} is {got[:120]!r}, expected {want[:120]!r}"
        count += 1
    assert not expected.readline(), f"{system}: only {count} lines written"
print(f"{system}: verified {count} lines in order in {len(files)} files")
PY
}

declare -A seconds_list rss_list cpu_list
for run in $(seq 1 "$runs"); do
    for system in sluice s6-log rotatelogs; do
        out="$work/out-$system"
        read -r seconds rss cpu < <(run_one "$system" "$out")
        verify "$system" "$out" >&2
        rm -rf "$out"
        seconds_list[$system]+="$seconds "
        rss_list[$system]+="$rss "
        cpu_list[$system]+="$cpu "
        printf 'run %d: %-10s %6.2f s, %6.2f s CPU, peak RSS %d KB\n' "$run" "$system" "$seconds" "$cpu" "$rss" >&2
    done
done

python3 - "$lines" \
    "${seconds_list[sluice]}" "${rss_list[sluice]}" "${cpu_list[sluice]}" \
    "${seconds_list[s6-log]}" "${rss_list[s6-log]}" "${cpu_list[s6-log]}" \
    "${seconds_list[rotatelogs]}" "${rss_list[rotatelogs]}" "${cpu_list[rotatelogs]}" <<'PY'
import statistics, sys
lines = int(sys.argv[1])
def median(text): return statistics.median(float(x) for x in text.split())
rows = {}
for index, name in enumerate(["sluice pipe", "s6-log (T)", "rotatelogs (raw copy)"]):
    times, rss, cpu = sys.argv[2 + 3 * index:5 + 3 * index]
    rows[name] = (median(times), max(float(x) for x in rss.split()) / 1024, median(cpu))
s6 = lines / rows["s6-log (T)"][0]
print(f"\n| System | seconds (median) | lines/s | ratio to s6-log | CPU s (user+sys) | ns CPU/line | peak RSS |")
print(f"|---|---|---|---|---|---|---|")
for name, (seconds, rss, cpu) in rows.items():
    rate = lines / seconds
    print(f"| {name} | {seconds:.2f} | {rate / 1e6:.2f} M | {rate / s6:.2f}× | {cpu:.2f} | {cpu / lines * 1e9:.0f} | {rss:.1f} MB |")
sluice_rate = lines / rows["sluice pipe"][0]
print(f"\ngoal: sluice ≥ 1.5× s6-log's lines/s: {sluice_rate / s6:.2f}× ({'met' if sluice_rate >= 1.5 * s6 else 'not met'})")
print(f"goal: sluice peak RSS ≤ 32 MB: {rows['sluice pipe'][1]:.1f} MB ({'met' if rows['sluice pipe'][1] <= 32 else 'not met'})")
PY
