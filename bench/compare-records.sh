#!/usr/bin/env bash
# compare-records.sh - do two builds write the same records? Replays the same captures with both and
# compares the transaction and alert logs byte for byte (records carry no scheduling-dependent field:
# flow_id comes from the Community ID hash and the flow's start, and the order is capture order).
#
# Usage: BASE="dotnet /tmp/base/trafficsensor.dll" bench/compare-records.sh [INPUT...]
#   BASE     command running the reference build (required), e.g. main's build published to a directory
#   SENSOR   command running the build under test (default: ./trafficsensor)
#   INPUT    capture files or directories, each replayed on its own (default: pcaps/lab/samples,
#            pcaps/apps/samples, ../shared/pcaps/real, pcaps/tls (TLS metadata alerts), pcaps/h2, pcaps/zoo,
#            and bench/out/corpus.pcap when it exists)
#   WORKERS  flow workers for the build under test (default 1; the reference always runs with 1, so
#            WORKERS=3 also checks that the worker count changes nothing)
# Each input is replayed with the default model (-t and -a) and, with --http-headers both and the
# body excerpt, with --no-model -t. Prints one line per input and mode; exits 1 when any file differs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -n "${BASE:-}" ] || { echo "BASE=\"command of the reference build\" is required" >&2; exit 2; }
read -r -a base <<< "$BASE"
read -r -a sensor <<< "${SENSOR:-$here/trafficsensor}"
workers="${WORKERS:-1}"
inputs=("$@")
if [ ${#inputs[@]} -eq 0 ]; then
    inputs=("$here/pcaps/lab/samples" "$here/pcaps/apps/samples" "$here/../shared/pcaps/real" "$here/pcaps/tls" "$here/pcaps/h2" "$here/pcaps/zoo")
    for corpus in "$here/bench/out/corpus.pcap" "$here/../wt-pipeline/bench/out/corpus.pcap"; do
        if [ -s "$corpus" ]; then inputs+=("$corpus"); break; fi
    done
fi
"${sensor[@]}" --version > /dev/null 2>&1 # build once
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
for input in "${inputs[@]}"; do
    for mode in model no-model; do
        for side in base new; do
            if [ "$side" = base ]; then cmd=("${base[@]}"); w=1; else cmd=("${sensor[@]}"); w="$workers"; fi
            rm -f "$tmp/$side.tx" "$tmp/$side.alerts"
            if [ "$mode" = model ]; then
                "${cmd[@]}" replay -q --no-progress --workers "$w" --sensor-name compare \
                    -t "$tmp/$side.tx" -a "$tmp/$side.alerts" "$input" > /dev/null
            else
                "${cmd[@]}" replay -q --no-progress --workers "$w" --sensor-name compare --no-model \
                    --http-headers both -t "$tmp/$side.tx" "$input" > /dev/null
                : > "$tmp/$side.alerts"
            fi
        done
        lines=$(wc -l < "$tmp/new.tx")
        alerts=$(wc -l < "$tmp/new.alerts")
        if cmp -s "$tmp/base.tx" "$tmp/new.tx" && cmp -s "$tmp/base.alerts" "$tmp/new.alerts"; then
            echo "same      $mode $(basename "$input"): $lines records, $alerts alerts"
        else
            status=1
            echo "DIFFERENT $mode $(basename "$input"): $lines records, $alerts alerts"
            diff <(head -c 2000000 "$tmp/base.tx") <(head -c 2000000 "$tmp/new.tx") | head -4 || true
            diff "$tmp/base.alerts" "$tmp/new.alerts" | head -4 || true
        fi
    done
done
exit $status
