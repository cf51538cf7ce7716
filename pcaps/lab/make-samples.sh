#!/usr/bin/env bash
# make-samples.sh - regenerate the small labelled captures committed in pcaps/lab/samples/:
# one benign capture per server stack, one capture per web-shell family and one per further variant
# (as root). Usage: make-samples.sh [OUT_DIR] [all|mono] (mono: only the mono-aspx samples).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/samples}"
only="${2:-all}"
mkdir -p "$out"
# The real ASPX shells on Mono's ASP.NET (mono-aspx, a held-out server: not in --variants all) and its users.
mono_samples() {
    "$here/run.sh" --minutes 0.3 --families none --benign mono-aspx --users 2 --speed 2 --seed 11 --out "$out" --name benign-mono
    "$here/run.sh" --minutes 0.05 --families none --variants godzilla/CSHARP_AES_BASE64@mono-aspx,godzilla/CSHARP_AES_RAW@mono-aspx --benign none --seed 21 --out "$out" --name webshell-godzilla-csharp-mono
    "$here/run.sh" --minutes 0.05 --families none --variants behinder/aspx@mono-aspx --benign none --seed 21 --out "$out" --name webshell-behinder-mono
    "$here/run.sh" --minutes 0.05 --families none --variants antsword/aspxcsharp@mono-aspx --benign none --seed 21 --out "$out" --name webshell-antsword-mono
}
if [ "$only" = mono ]; then mono_samples; exit 0; fi
for stack in wiki tomcat shop; do
    "$here/run.sh" --minutes 0.5 --families none --benign "$stack" --users 4 --speed 2 --seed 11 --out "$out" --name "benign-$stack"
done
for family in cmd chopper antsword behinder godzilla weevely wso regeorg iis-module; do
    "$here/run.sh" --minutes 0.05 --families "$family" --benign none --seed 21 --out "$out" --name "webshell-$family"
done
for stack in apache-php iis weblogic; do
    "$here/run.sh" --minutes 0.3 --families none --benign "$stack" --users 2 --speed 2 --seed 11 --out "$out" --name "benign-$stack"
done
for variant in godzilla/PHP_XOR_RAW godzilla/JAVA_AES_BASE64 godzilla/JAVA_AES_RAW godzilla/CSHARP_AES_BASE64 godzilla/CSHARP_AES_RAW \
    behinder/php behinder/aspx antsword/multipart antsword/aspx cmd/stager cmd/image-upload suo5/full suo5/half; do
    "$here/run.sh" --minutes 0.05 --families none --variants "$variant" --benign none --seed 21 --out "$out" --name "webshell-${variant//\//-}"
done
for scanner in scanner/dirb scanner/gobuster; do
    "$here/run.sh" --minutes 0.05 --families none --variants "$scanner" --session-requests 60 --benign none --seed 21 --out "$out" --name "${scanner//\//-}"
done
mono_samples
