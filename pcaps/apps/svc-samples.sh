#!/usr/bin/env bash
# svc-samples.sh RUN_DIR RUN_NAME OUT_DIR [BUDGET_BYTES] - cuts one small sample per apps-svc site
# out of a runner capture: the site's packets (server address) from the start of the capture,
# as long as they fit in BUDGET_BYTES (default 190000), written as OUT_DIR/svc-<site>.pcap and
# relabelled with the runner's lib/label.sh (LABEL_SH overrides its path).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir=$1 name=$2 out=$3 budget=${4:-190000}
label_sh=${LABEL_SH:-$here/lib/label.sh}
sites=$(awk -F'\t' '$1 == "server" { print $4 }' "$dir/$name.sites.tsv" | sort -u)
tmp=$(mktemp -d -t tssvc-samples.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for s in $sites; do
    [ -f "$here/sites/$s.sh" ] && grep -q 'apps-svc\|_svc/common.sh' "$here/sites/$s.sh" || continue
    addr=$(awk -F'\t' -v s="$s" '$1 == "server" && $4 == s { print $2; exit }' "$dir/$name.sites.tsv")
    tshark -r "$dir/$name.pcap" -Y "ip.addr == $addr" -w "$tmp/all.pcap" 2>/dev/null
    # the longest start of the capture that fits: bisect on the time (sizes grow in bursts)
    lo=0 hi=$(tshark -r "$tmp/all.pcap" -T fields -e frame.time_relative 2>/dev/null | tail -n 1)
    hi=${hi%.*}; hi=$((hi + 1))
    cut() { tshark -r "$tmp/all.pcap" -Y "frame.time_relative <= $1" -w "$tmp/cut.pcap" 2>/dev/null; stat -c %s "$tmp/cut.pcap"; }
    if (($(cut "$hi") > budget)); then
        while ((hi - lo > 1)); do
            mid=$(((lo + hi) / 2))
            if (($(cut "$mid") <= budget)); then lo=$mid; else hi=$mid; fi
        done
        t=$lo
    else
        t=$hi
    fi
    cut "$t" > /dev/null
    mv "$tmp/cut.pcap" "$out/svc-$s.pcap"
    awk -F'\t' -v s="$s" '$3 == s || $4 == s' "$dir/$name.sites.tsv" > "$tmp/sitemap"
    "$label_sh" "$out/svc-$s.pcap" "$tmp/sitemap" "$out/svc-$s.labels.jsonl" "$tmp/mix" > /dev/null
    echo "svc-$s: $(stat -c %s "$out/svc-$s.pcap") bytes, $(wc -l < "$out/svc-$s.labels.jsonl") requests, ${t%.*} s"
done
