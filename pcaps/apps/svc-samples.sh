#!/usr/bin/env bash
# svc-samples.sh RUN_DIR RUN_NAME OUT_DIR [BUDGET_BYTES] - cuts one small sample per apps-svc site
# out of a runner capture: TCP connections of every client address in turn while they fit in
# BUDGET_BYTES (default 190000; long connections cut after a response within a quarter of it), written as OUT_DIR/svc-<site>.pcap and relabelled with the runner's
# lib/label.sh (LABEL_SH overrides its path; SVC_SITES="a b" limits the sites).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir=$1 name=$2 out=$3 budget=${4:-190000}
label_sh=${LABEL_SH:-$here/lib/label.sh}
sites=$(awk -F'\t' '$1 == "server" { print $4 }' "$dir/$name.sites.tsv" | sort -u)
tmp=$(mktemp -d -t tssvc-samples.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for s in ${SVC_SITES:-$sites}; do
    [ -f "$here/sites/$s.sh" ] && grep -q 'apps-svc\|_svc/common.sh' "$here/sites/$s.sh" || continue
    addr=$(awk -F'\t' -v s="$s" '$1 == "server" && $4 == s { print $2; exit }' "$dir/$name.sites.tsv")
    tshark -r "$dir/$name.pcap" -Y "ip.addr == $addr" -F pcap -w "$tmp/all.pcap" 2>/dev/null
    # TCP connections taken in turn from each client address (every role gets a share) while they
    # fit; a connection larger than a quarter of the budget (a download, a poller's keep-alive
    # connection) keeps its first exchanges, up to the last complete response within that quarter
    decode=$(awk -F'\t' -v s="$s" '$1 == "server" && $4 == s { printf "-d tcp.port==%s,http ", $3 }' "$dir/$name.sites.tsv")
    tshark -r "$tmp/all.pcap" $decode -Y http.response -T fields -e frame.number 2>/dev/null > "$tmp/responses"
    tshark -r "$tmp/all.pcap" -T fields -e frame.number -e tcp.stream -e frame.len -e ip.src -e ip.dst 2>/dev/null | python3 -c '
import sys, collections
budget = int(sys.argv[1]); cap = budget // 4; server = sys.argv[3]
responses = {int(l) for l in open(sys.argv[4]) if l.strip()}
frames, client = collections.OrderedDict(), {}
for line in sys.stdin:
    no, st, n, src, dst = line.split()
    frames.setdefault(st, []).append((int(no), int(n) + 16))
    client.setdefault(st, dst if src == server else src)
def take(fl):
    size = sum(n for _, n in fl)
    if size <= cap: return [no for no, _ in fl], size
    taken, size, last_end = [], 0, 0
    for no, n in fl:
        if size + n > cap: break
        taken.append(no); size += n
        if no in responses: last_end = len(taken)
    taken = taken[:last_end]
    return taken, sum(n for no, n in fl if no in set(taken))
queues = collections.OrderedDict()
for st in frames: queues.setdefault(client[st], collections.deque()).append(st)
keep, total, streams, full = [], 24, 0, False
while queues and not full:
    for c in list(queues):
        if not queues[c]: del queues[c]; continue
        taken, size = take(frames[queues[c].popleft()])
        if not taken: continue
        if total + size > budget: full = True; break
        keep += taken; total += size; streams += 1
keep.sort(); ranges = []
for no in keep:
    if ranges and ranges[-1][1] == no - 1: ranges[-1][1] = no
    else: ranges.append([no, no])
open(sys.argv[2], "w").write(str(streams))
print(",".join(f"{a}..{b}" if a != b else str(a) for a, b in ranges))' "$budget" "$tmp/nstreams" "$addr" "$tmp/responses" > "$tmp/frames"
    tshark -r "$tmp/all.pcap" -Y "frame.number in {$(cat "$tmp/frames")}" -F pcap -w "$tmp/cut.pcap" 2>/dev/null
    mv "$tmp/cut.pcap" "$out/svc-$s.pcap"
    awk -F'\t' -v s="$s" '$3 == s || $4 == s' "$dir/$name.sites.tsv" > "$tmp/sitemap"
    "$label_sh" "$out/svc-$s.pcap" "$tmp/sitemap" "$out/svc-$s.labels.jsonl" "$tmp/mix" > /dev/null
    echo "svc-$s: $(stat -c %s "$out/svc-$s.pcap") bytes, $(wc -l < "$out/svc-$s.labels.jsonl") requests, $(cat "$tmp/nstreams") connections"
done
