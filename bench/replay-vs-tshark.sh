#!/usr/bin/env bash
# replay-vs-tshark.sh - whole-process replay throughput of TrafficSensor against tshark on the same pcap.
#
# Usage: bench/replay-vs-tshark.sh [PCAP] [RUNS]
#   PCAP  capture to replay; default bench/out/corpus.pcap, built (as root) by
#         ../shared/bench/make-http-corpus.sh with SIZE (default 512M) when missing
#   RUNS  timed runs of each tool (default 3); the best run counts, after one warm-up read
#
# Prints, per tool: wall seconds, MB/s of capture, max RSS, and the number of HTTP requests found,
# then the throughput ratio. Both tools read the same file from the page cache.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pcap="${1:-$here/bench/out/corpus.pcap}"
runs="${2:-3}"
if [ ! -s "$pcap" ]; then
    mkdir -p "$(dirname "$pcap")"
    bash "$here/../shared/bench/make-http-corpus.sh" "$pcap" "${SIZE:-512M}" >&2
fi
command -v tshark >/dev/null || { echo "tshark is required: apt-get install tshark" >&2; exit 3; }
"$here/trafficsensor" --help > /dev/null 2>&1 # build once, outside the timing
bytes=$(stat -c %s "$pcap")
cat "$pcap" > /dev/null                       # warm the page cache for both tools
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # name, output file for the count, command...
    local name=$1 countfile=$2; shift 2
    local best=""
    for ((i = 1; i <= runs; i++)); do
        /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" > "$countfile" 2> "$tmp/stderr" || { cat "$tmp/stderr" >&2; exit 1; }
        read -r secs rss < "$tmp/time"
        if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$secs; bestrss=$rss; fi
    done
    printf '%-14s %8.2f s %9.1f MB/s  max RSS %6.0f MB  ' "$name" "$best" "$(awk -v b="$bytes" -v s="$best" 'BEGIN{print b/1e6/s}')" "$((bestrss / 1024))"
    echo "$best" > "$tmp/${name// /_}.secs"
}

command -v /usr/bin/time >/dev/null || { echo "GNU time is required: apt-get install time" >&2; exit 3; }
echo "capture: $pcap ($(awk -v b="$bytes" 'BEGIN{printf "%.0f", b/1e6}') MB, $(capinfos -c -M "$pcap" 2>/dev/null | awk -F': *' '/Number of packets/{print $2}') packets), $(nproc) cores, best of $runs"
# Reconstruction only (--no-model), the same job as tshark's; then with the bundled model scoring every transaction.
measure trafficsensor "$tmp/ts.out" "$here/trafficsensor" replay -q --no-progress --no-model "$pcap" --stats "$tmp/stats.json" -t -
echo "requests: $(grep -c '"http_method"' "$tmp/ts.out")"
measure "+ scoring" "$tmp/ts-model.out" "$here/trafficsensor" replay -q --no-progress "$pcap" -t -
echo "requests: $(grep -c '"http_method"' "$tmp/ts-model.out")"
measure tshark "$tmp/tshark.out" tshark -n -r "$pcap" -Y http.request -T fields -e http.request.uri
echo "requests: $(grep -c . "$tmp/tshark.out")"
awk -v a="$(cat "$tmp/tshark.secs")" -v b="$(cat "$tmp/trafficsensor.secs")" 'BEGIN{printf "speed-up over tshark: %.1fx\n", a/b}'
