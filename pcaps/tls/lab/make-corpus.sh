#!/usr/bin/env bash
# make-corpus.sh - a larger HTTPS corpus for evaluation (not committed): every web-shell family and
# tool variant, several sessions each, and the extended benign mix, over each TLS configuration the
# lab offers (versions, cipher suites, HTTP/1.1 and HTTP/2), one capture per configuration with its
# key log, labels and tshark expectation (as root).
#
#   pcaps/tls/lab/make-corpus.sh [--minutes M] [--sessions K] [--users N] [--out DIR]
#
# Defaults: 10 minutes per configuration, 2 sessions of 30 commands per family and variant, 12
# benign people, DIR = pcaps/lab/out/tls (ignored by git). Six configurations, about an hour in all;
# each capture is a few tens of MB. Check a run with
#   TRAFFICSENSOR_TLS_LAB_CAPTURES=DIR dotnet test --filter FullyQualifiedName~TlsLabCaptureTests
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
run="$here/../../lab/run.sh"
minutes=10 sessions=2 users=12 out="$here/../../lab/out/tls"
while (($#)); do
    case "$1" in
        --minutes) minutes=$2; shift 2 ;;
        --sessions) sessions=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "make-corpus.sh: unknown option $1" >&2; exit 1 ;;
    esac
done
mkdir -p "$out"
export LAB_NETNS_PREFIX="${LAB_NETNS_PREFIX:-tl}"

# name | TLS options | session shape (alternated so every configuration is not the same traffic)
configs=(
    "https-tls13-default|--tls-versions 1.2,1.3|"
    "https-tls13-chacha-h2|--tls-versions 1.3 --tls-suite chacha --h2|--mid-session"
    "https-tls12-gcm|--tls-versions 1.2 --tls-suite gcm|--connection-close"
    "https-tls12-aes256-h2|--tls-versions 1.2 --tls-suite aes256 --h2|"
    "https-tls12-cbc|--tls-versions 1.2 --tls-suite cbc|--mid-session"
    "https-tls12-cbc-sha1|--tls-versions 1.2 --tls-suite cbc-sha1|--connection-close"
)
seed=100
for config in "${configs[@]}"; do
    IFS='|' read -r name tls_options shape <<< "$config"
    seed=$((seed + 1))
    # shellcheck disable=SC2086 # the options are words
    "$run" --tls $tls_options $shape --minutes "$minutes" --families all --variants all --benign extended \
        --sessions "$sessions" --session-requests 30 --users "$users" --seed "$seed" --out "$out" --name "$name"
done
