#!/usr/bin/env bash
# live-load.sh - bounded live-capture load test: tcpreplay sends a capture at fixed rates over a
# veth pair in a private network namespace while `trafficsensor live` captures on the other end.
# For each rate it reports what was sent, what libpcap received, what the sensor processed, what
# the kernel dropped, and the transactions it reconstructed; and checks that the books balance
# (libpcap's ps_recv == packets processed + kernel drops; sent == ps_recv).
#
# Usage (root): bench/live-load.sh [PCAP] [SECONDS] [RATES...]
#   PCAP     default: the benchmark corpus bench/out/corpus.pcap when it exists (see
#            replay-vs-tshark.sh); "samples" or a missing file: pcaps/lab/samples merged
#   SECONDS  per rate, default 20
#   RATES    Mbit/s, or "top" for tcpreplay's top speed; default 100 200 400 800 top
# LIVE_LOAD_MODEL=1 scores every transaction with the bundled model (as `live` does by default);
# otherwise --no-model measures capture and reconstruction alone.
# LIVE_LOAD_DLL=PATH runs another build's trafficsensor.dll (to alternate old and new builds);
# LIVE_LOAD_ARGS="..." passes extra `live` options (e.g. "--buffer-mb 128").
# LIVE_LOAD_PREFIX names the namespace and veth pair (default tslive), so runs do not collide.
# Output: a table on stdout, and one JSON object per rate in bench/out/live-load.jsonl (or $LIVE_LOAD_RESULTS).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "live-load.sh needs root (network namespace, capture)" >&2; exit 3; }
for tool in tcpreplay ip python3; do command -v $tool >/dev/null || { echo "missing $tool (apt-get install tcpreplay iproute2 python3)" >&2; exit 3; }; done

pcap="${1:-$here/bench/out/corpus.pcap}"
seconds="${2:-20}"
shift $(( $# >= 2 ? 2 : $# )) || true
rates=("$@")
((${#rates[@]})) || rates=(100 200 400 800 top)
if [ "$pcap" = samples ] || [ ! -s "$pcap" ]; then
    pcap="$here/bench/out/lab-samples.pcap"
    mkdir -p "$here/bench/out"
    mergecap -F pcap -w "$pcap" "$here"/pcaps/lab/samples/*.pcap
fi
dll="${LIVE_LOAD_DLL:-}"
if [ -z "$dll" ]; then
    "$here/trafficsensor" --help >/dev/null 2>&1 # build outside the measurement
    dll="$here/.build/cli/trafficsensor.dll"
fi
read -r -a extra <<< "${LIVE_LOAD_ARGS:-}"

model_flag=--no-model
[ "${LIVE_LOAD_MODEL:-0}" = 1 ] && model_flag=
prefix="${LIVE_LOAD_PREFIX:-tslive}"
ns="$prefix-$$"
tx="${prefix}0" rx="${prefix}1"
tmp=$(mktemp -d -t "$prefix.XXXXXX")
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add "$tx" type veth peer name "$rx"
ip -n "$ns" link set lo up # the sensor's metrics endpoint, private to the namespace
for dev in "$tx" "$rx"; do
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
    ip -n "$ns" link set "$dev" mtu 65000 up
done

mkdir -p "$here/bench/out"
results="${LIVE_LOAD_RESULTS:-$here/bench/out/live-load.jsonl}"
: > "$results"
printf '%-8s %12s %12s %12s %12s %9s %12s %-6s %6s %11s %s\n' "Mbit/s" "sent" "pcap_recv" "processed" "kernel_drop" "drop_%" "transactions" "load" "cpu_s" "lat_mean/p99" "books"
unbalanced=0
for rate in "${rates[@]}"; do
    ip netns exec "$ns" dotnet "$dll" live -i "$rx" --bpf tcp --metrics 127.0.0.1:9464 $model_flag -t /dev/null -a /dev/null \
        --stats "$tmp/stats.json" --status-interval 0 -q "${extra[@]}" 2> "$tmp/sensor.err" &
    sensor=$!
    sleep 3 # JIT and capture start-up
    speed=(--mbps="$rate"); [ "$rate" = top ] && speed=(--topspeed)
    ip netns exec "$ns" tcpreplay -i "$tx" "${speed[@]}" --loop=0 --duration="$seconds" -K "$pcap" > "$tmp/replay.out" 2>&1 || true
    sleep 2 # let the ring buffer drain
    load=$(cut -d' ' -f1 /proc/loadavg)
    # verdict latency (packet that completed a transaction -> its verdict), observed with the model only
    ip netns exec "$ns" python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9464/metrics", timeout=10).read().decode())' \
        > "$tmp/metrics.txt" 2>/dev/null || : > "$tmp/metrics.txt"
    # the sensor's CPU seconds (user+sys, all threads): dotnet is the child of `ip netns exec`
    pid=$(pgrep -P "$sensor" -n dotnet 2>/dev/null || echo "$sensor")
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14+$15)/hz}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    # CPU seconds per thread name (capture, the decoding thread "dotnet", flow-worker-N, analysis, GC ...)
    for task in /proc/"$pid"/task/*; do
        printf '%s\t%s\n' "$(cat "$task/comm" 2>/dev/null)" "$(awk '{print $14+$15}' "$task/stat" 2>/dev/null)"
    done > "$tmp/threads.tsv" 2>/dev/null || true
    kill -TERM "$sensor"
    wait "$sensor" || { cat "$tmp/sensor.err" >&2; exit 1; }
    sent=$(sed -nE 's/.*Actual: ([0-9]+) packets.*/\1/p' "$tmp/replay.out" | tail -n1)
    achieved=$(sed -nE 's/.*Rated: [0-9.]+ Bps, ([0-9.]+) Mbps.*/\1/p' "$tmp/replay.out" | tail -n1)
    if python3 - "$rate" "${sent:-0}" "${achieved:-0}" "$tmp/stats.json" "$results" "$load" "$cpu" "${model_flag:-model}" "$tmp/metrics.txt" "$tmp/threads.tsv" "$(getconf CLK_TCK)" <<'PY'
import json, re, sys
rate, sent, achieved, stats_path, results = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
load, cpu, model = float(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
buckets, total, count = [], 0.0, 0
for line in open(sys.argv[9]):
    m = re.match(r'trafficsensor_processing_latency_seconds_(bucket\{le="([^"]+)"\}|sum|count) (\S+)', line)
    if not m: continue
    if m.group(2): buckets.append((float(m.group(2)), float(m.group(3))))
    elif m.group(1) == "sum": total = float(m.group(3))
    else: count = int(float(m.group(3)))
def quantile(q):  # upper bound of the bucket holding the q-quantile
    return next((le for le, c in buckets if c >= q * count), None) if count else None
threads = {}
for line in open(sys.argv[10]):
    name, _, ticks = line.rstrip("\n").partition("\t")
    if ticks: threads[name] = round(threads.get(name, 0) + int(ticks) / int(sys.argv[11]), 2)
threads = dict(sorted(((k, v) for k, v in threads.items() if v >= 0.1), key=lambda kv: -kv[1]))
latency = dict(latency_mean_s=round(total / count, 3) if count else None, latency_p99_le_s=quantile(0.99), latency_max_le_s=quantile(1.0))
s = json.load(open(stats_path))
recv, processed, drops = s["capture_received"], s["packets"], s["kernel_drops"]
books = "ok" if recv == processed + drops and sent == recv else f"MISMATCH (recv-processed-drops={recv-processed-drops}, sent-recv={sent-recv})"
row = dict(requested_mbps=rate, achieved_mbps=achieved, sent=sent, pcap_received=recv, processed=processed,
           kernel_drops=drops, interface_drops=s["interface_drops"], transactions=s["http_transactions"],
           drop_percent=round(100.0 * drops / recv, 3) if recv else 0.0, books=books,
           load_average=load, sensor_cpu_seconds=cpu, model=model, thread_cpu_seconds=threads,
           allocated_bytes=s.get("allocated_bytes"), **latency)
open(results, "a").write(json.dumps(row) + "\n")
print(f"{rate + ' (' + str(round(achieved)) + ')':<8} {sent:>12,} {recv:>12,} {processed:>12,} {drops:>12,} {row['drop_percent']:>9} {row['transactions']:>12,} {load:<6} {cpu:>6} {str(latency['latency_mean_s']) + '/' + str(latency['latency_p99_le_s']):>11} {books}")
sys.exit(0 if books == "ok" else 1)
PY
    then :; else unbalanced=$((unbalanced + 1)); fi
done
echo "results: $results" >&2
# The books must balance at any rate (drops are counted, never silent); drop rates are only reported.
[ "$unbalanced" = 0 ] || { echo "live-load.sh: the books did not balance in $unbalanced run(s)" >&2; exit 1; }
