#!/usr/bin/env bash
# Builds the capture fuzz targets with libFuzzer and AddressSanitizer and runs each for SECONDS
# (default 10), starting from the seeds in Corpus/ (new inputs go to a temporary directory, so the
# committed corpus stays as it is). A crash or a failed check stops the script with its input saved
# in the current directory.
#
#   bash Fuzz/Capture/run.sh        # 10 s each (CI)
#   bash Fuzz/Capture/run.sh 600    # 10 minutes each
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-10}"
build=(swift build --package-path "$here" --sanitize=fuzzer --sanitize=address)
"${build[@]}" 2>&1 | grep -v "Cannot export local symbol" >&2
bin="$("${build[@]}" --show-bin-path)"
for target in FuzzLineSplitter FuzzLineParsers FuzzRawLineDecoding FuzzCommandLine; do
    work="$(mktemp -d)"
    "$bin/$target" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$work" "$here/Corpus/$target" \
        2> "$work/log" || { tail -40 "$work/log"; echo "$target failed" >&2; exit 1; }
    echo "$target: $(grep -E '^stat::number_of_executed_units' "$work/log" | awk '{print $2}') runs in ${seconds} s, no failure"
    rm -rf "$work"
done
