#!/usr/bin/env bash
# replay-throughput.sh - replay throughput against tcpdump's raw read of the same file, in the same run.
#
# Usage: bench/replay-throughput.sh [PCAP] [RUNS] [WORKERS...]
#   PCAP     capture to replay; default bench/out/corpus.pcap, built (as root) by
#            ../shared/bench/make-http-corpus.sh with SIZE (default 640M) when missing
#   RUNS     runs of each configuration (default 1)
#   WORKERS  flow-worker counts to try (default: 1 2 4)
# Environment: SENSOR="command to run the sensor" (default: ./trafficsensor) to measure another build;
#   MODES="no-model model" (default both); STRACE=1 also counts sched_yield calls (a separate,
#   slower run under strace -f -c, not timed).
#
# Prints one line per run: the mode, workers, the sensor's wall time, tcpdump's wall time just before
# (`tcpdump -r PCAP -w /dev/null`: reading the file and nothing else), their ratio (tcpdump / sensor:
# 1.0 = as fast as reading), the same for CPU seconds (user + system: steadier than wall time on a
# shared machine), max RSS, transactions and transactions/s, managed bytes allocated, and
# the seconds from process start to the first record written. A benchmark, not a test: it asserts nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pcap="${1:-$here/bench/out/corpus.pcap}"
runs="${2:-1}"
shift $(( $# > 2 ? 2 : $# ))
workers=("$@")
[ ${#workers[@]} -gt 0 ] || workers=(1 2 4)
read -r -a sensor <<< "${SENSOR:-$here/trafficsensor}"
read -r -a modes <<< "${MODES:-no-model model}"

if [ ! -s "$pcap" ]; then
    mkdir -p "$(dirname "$pcap")"
    bash "$here/../shared/bench/make-http-corpus.sh" "$pcap" "${SIZE:-640M}" >&2
fi
for tool in tcpdump /usr/bin/time python3; do
    command -v "$tool" > /dev/null || { echo "$tool is required (apt-get install tcpdump time python3)" >&2; exit 3; }
done
"${sensor[@]}" --version > /dev/null 2>&1 # build once, outside the timing
cat "$pcap" > /dev/null                      # page cache warm for both
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# $(basename "$pcap") $(( $(stat -c %s "$pcap") / 1000000 )) MB, $(nproc) cores, $(date -u +%FT%TZ)"
for mode in "${modes[@]}"; do
    model_args=()
    [ "$mode" = no-model ] && model_args=(--no-model)
    for w in "${workers[@]}"; do
        for ((run = 1; run <= runs; run++)); do
            /usr/bin/time -f '%e %M %U %S' -o "$tmp/tcpdump.time" tcpdump -r "$pcap" -w /dev/null 2> /dev/null
            /usr/bin/time -f '%e %M %U %S' -o "$tmp/sensor.time" "${sensor[@]}" replay -q --no-progress "${model_args[@]}" \
                --workers "$w" -t "$tmp/tx.json" --stats "$tmp/stats.json" "$pcap" > /dev/null
            yields=""
            if [ "${STRACE:-0}" = 1 ] && command -v strace > /dev/null; then
                strace -f -c -e trace=sched_yield -o "$tmp/strace" "${sensor[@]}" replay -q --no-progress "${model_args[@]}" \
                    --workers "$w" -t /dev/null "$pcap" > /dev/null 2>&1 || true
                yields=" sched_yield=$(awk '$NF == "sched_yield" {print $4}' "$tmp/strace")"
                [ "$yields" = " sched_yield=" ] && yields=" sched_yield=0"
            fi
            python3 - "$mode" "$w" "$tmp/tcpdump.time" "$tmp/sensor.time" "$tmp/stats.json" "$yields" <<'PY'
import json, sys
mode, workers, tcpdump_file, sensor_file, stats_file, yields = sys.argv[1:]
tcpdump, _, tu, ts = map(float, open(tcpdump_file).read().split()[:4])
secs, rss_kb, su, ss = open(sensor_file).read().split()[:4]
secs = float(secs)
tcpdump_cpu, sensor_cpu = tu + ts, float(su) + float(ss)
s = json.load(open(stats_file))
tx = s["http_transactions"]
first = s.get("first_record_seconds")
print(f"mode={mode} workers={workers} sensor={secs:.2f}s tcpdump={tcpdump:.2f}s ratio={tcpdump / secs:.2f}"
      f" cpu={sensor_cpu:.2f}s tcpdump_cpu={tcpdump_cpu:.2f}s cpu_ratio={tcpdump_cpu / max(sensor_cpu, 0.01):.2f}"
      f" rss={int(rss_kb) // 1024}MB tx={tx} tx/s={tx / secs:,.0f} alloc={s.get('allocated_bytes', 0) / 1e6:,.0f}MB"
      f" first_record={first if first is None else round(first, 2)}s{yields}")
PY
        done
    done
done
