#!/usr/bin/env bash
# make-samples.sh - regenerate the small labelled captures committed in pcaps/lab/samples/:
# one benign capture per server stack and one capture per web-shell family (as root).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/samples}"
mkdir -p "$out"
for stack in wiki tomcat shop; do
    "$here/run.sh" --minutes 0.5 --families none --benign "$stack" --users 4 --speed 2 --seed 11 --out "$out" --name "benign-$stack"
done
for family in cmd chopper antsword behinder godzilla weevely wso regeorg iis-module; do
    "$here/run.sh" --minutes 0.05 --families "$family" --benign none --seed 21 --out "$out" --name "webshell-$family"
done
