#!/usr/bin/env bash
# train-tls.sh - rebuild models/tls-default.zip, the TLS metadata model (connections judged without keys),
# from lab HTTPS captures (as root).
#
#   models/train-tls.sh [WORKDIR]
#
# 1. the traffic lab over HTTPS (pcaps/lab/run.sh --tls): every web-shell family and variant, the extended
#    benign mix, seven runs of 3 minutes across TLS 1.2/1.3, suites, HTTP/1.1 and HTTP/2, keep-alive,
#    a connection per request and mid-session starts (the key logs it writes are not read);
# 2. trafficsensor tls-model --data WORKDIR --leave-one-family-out: each family held out in turn (the
#    figures in models/README.md), then the model on everything -> models/tls-default.zip.
# Captures already in WORKDIR are reused. About 40 minutes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
work="${1:-/tmp/trafficsensor-tls-model}"
mkdir -p "$work"
export LAB_NETNS_PREFIX="${LAB_NETNS_PREFIX:-tm}"
lab() { [ -s "$work/$1.pcap" ] || "$repo/pcaps/lab/run.sh" --tls --name "$1" --out "$work" --minutes 3 --families all --variants all --benign extended "${@:2}"; }

lab tm-a-tls13            --tls-versions 1.2,1.3                                        --sessions 2 --session-requests 20 --users 12 --seed 11
lab tm-b-tls12gcm-close   --tls-versions 1.2 --tls-suite gcm --connection-close         --sessions 2 --session-requests 20 --users 12 --seed 12
lab tm-c-tls13-h2-mid     --tls-versions 1.3 --h2 --mid-session                         --sessions 2 --session-requests 20 --users 12 --seed 13
lab tm-d-tls12chacha      --tls-versions 1.2 --tls-suite chacha                         --sessions 2 --session-requests 20 --users 12 --seed 14
lab tm-e-tls13-close      --tls-versions 1.3 --connection-close                         --sessions 2 --session-requests 20 --users 12 --seed 15
lab tm-f-tls13-users      --tls-versions 1.2,1.3                                        --sessions 1 --session-requests 20 --users 36 --seed 21
lab tm-g-tls12-users-close --tls-versions 1.2 --tls-suite aes256 --connection-close     --sessions 1 --session-requests 20 --users 36 --seed 22

dotnet build "$repo/src/TrafficSensor.Cli/TrafficSensor.Cli.csproj" -c Release -o "$work/bin" --nologo -v quiet
dotnet "$work/bin/trafficsensor.dll" tls-model --data "$work" --leave-one-family-out --json "$work/tls-holdout.json" | tee "$work/tls-holdout.txt"
dotnet "$work/bin/trafficsensor.dll" tls-model --data "$work" -o "$repo/models/tls-default.zip" --name tls-default
