#!/usr/bin/env bash
# Builds Sluice's libFuzzer targets (with AddressSanitizer) and runs each for a while, starting
# from the committed seed corpus in Fuzz/Corpus/<target>. New inputs the fuzzer finds go to a scratch
# corpus, never into the committed one; a crash leaves its input in Fuzz/.build/crashes.
#
#     bash Fuzz/run.sh                       # every target, 60 s each
#     bash Fuzz/run.sh --seconds 600 FuzzSyslog FuzzFormats
#     bash Fuzz/run.sh --seconds 10          # what CI runs
#
# To replay a crash: Fuzz/.build/debug/<Target> <crash-file>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds=60
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    targets=(FuzzFormats FuzzSyslog FuzzHTTPBodies FuzzArchiveNames FuzzLogLevel FuzzLabelFileNames FuzzRedaction FuzzRecords FuzzPostgresCopy)
fi

swift build --package-path "$here" --sanitize=fuzzer --sanitize=address >&2
scratch="$here/.build/corpus"
crashes="$here/.build/crashes"
mkdir -p "$crashes"
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target"
    echo "== $target: ${seconds}s from $(ls "$here/Corpus/$target" | wc -l) seeds"
    # The scratch corpus first: libFuzzer writes what it finds into the first directory.
    log="$here/.build/$target.log"
    set +e
    LSAN_OPTIONS="suppressions=$here/lsan-suppressions.txt" "$here/.build/debug/$target" "$scratch/$target" "$here/Corpus/$target" \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$crashes/$target-" -print_final_stats=1 > "$log" 2>&1
    status=$?
    set -e
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || true
    if [ "$status" -ne 0 ]; then
        grep -E "invariant broken|Fatal error|ERROR|SUMMARY|Test unit written" "$log" | head -20 >&2 || tail -40 "$log" >&2
        echo "fuzz target $target failed (status $status); its input is in $crashes, the log in $log" >&2
        exit 1
    fi
done
echo "fuzzing passed: ${targets[*]} (${seconds}s each)"
