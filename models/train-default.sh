#!/usr/bin/env bash
# train-default.sh - rebuild models/default.zip from traffic-lab captures (as root).
#
#   models/train-default.sh [WORKDIR]
#
# 1. a benign-only lab run (20 minutes, 24 people + 5 machine clients, seed 42) to train on;
# 2. a separate mixed lab run (10 minutes, every web-shell family, seed 77) to evaluate on;
# 3. trafficsensor train on the benign run (only transactions labelled benign), threshold calibrated
#    to a false-positive rate of 1e-3 on held-back benign transactions;
# 4. trafficsensor evaluate on the mixed run, and replay of ../shared/pcaps/real with the new model.
# Existing captures in WORKDIR are reused, so the lab runs once.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
work="${1:-/tmp/trafficsensor-model}"
mkdir -p "$work"
[ -s "$work/train-benign.pcap" ] || "$repo/pcaps/lab/run.sh" --minutes 20 --families none --users 24 --seed 42 --out "$work" --name train-benign
[ -s "$work/eval-mixed.pcap" ] || "$repo/pcaps/lab/run.sh" --minutes 10 --families all --users 24 --seed 77 --out "$work" --name eval-mixed
"$repo/trafficsensor" train --benign "$work/train-benign.pcap" --labels "$work/train-benign.labels.jsonl" --target-fpr 0.001 --name default -o "$here/default.zip"
"$repo/trafficsensor" evaluate --pcap "$work/eval-mixed.pcap" --labels "$work/eval-mixed.labels.jsonl" --model "$here/default.zip"
for f in "$repo"/../shared/pcaps/real/*.pcap*; do
    [ -e "$f" ] || continue
    alerts=$("$repo/trafficsensor" replay -q --model "$here/default.zip" --alerts - "$f" | grep -c '"event_type":"alert"' || true)
    echo "$(basename "$f"): $alerts alert lines"
done
