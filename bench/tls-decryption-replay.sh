#!/usr/bin/env bash
# tls-decryption-replay.sh - replay cost of decrypting HTTPS with a key log, against the same capture without it.
#
# Usage: bench/tls-decryption-replay.sh [RUNS]      (root: network namespace, tcpdump)
# Environment: SENSOR="command to run the sensor" (default: dotnet src/TrafficSensor.Cli/bin/Release/net10.0/trafficsensor.dll)
#
# Builds (once, in bench/out/tls/) two captures of ten HTTPS downloads of a 10 MB file from
# `openssl s_server -WWW` in the network namespace tdec-srv over the veth pair tdec0/tdec1
# (offloads off: 1500-byte frames as on a SPAN port), with curl's key log: TLS 1.3
# TLS_AES_128_GCM_SHA256 and TLS 1.2 ECDHE-RSA-AES128-SHA (CBC, HMAC-SHA1). Then replays each RUNS times
# with and without --tls-keylog (--no-model, records to /dev/null) and prints the best wall time,
# CPU seconds and MB/s. A benchmark, not a test: it asserts nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-3}"
sensor="${SENSOR:-dotnet $here/src/TrafficSensor.Cli/bin/Release/net10.0/trafficsensor.dll}"
out="$here/bench/out/tls"
mkdir -p "$out/www"
cd "$out"

capture() {
    local name=$1; shift
    [[ -s $name.pcap && -s $name.keys ]] && return
    if ! ip netns list | grep -q '^tdec-srv'; then
        ip netns add tdec-srv
        ip link add tdec0 type veth peer name tdec1
        ip link set tdec1 netns tdec-srv
        ip addr add 10.72.0.1/24 dev tdec0
        ip link set tdec0 up
        ip netns exec tdec-srv ip addr add 10.72.0.2/24 dev tdec1
        ip netns exec tdec-srv ip link set tdec1 up
        ethtool -K tdec0 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
        ip netns exec tdec-srv ethtool -K tdec1 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    fi
    [[ -s cert.pem ]] || openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 -subj /CN=tdec.bench 2>/dev/null
    [[ -s www/big.txt ]] || head -c 8000000 /dev/urandom | base64 -w 100 >www/big.txt
    rm -f "$name.keys"
    (cd www && exec ip netns exec tdec-srv openssl s_server -quiet -accept 10.72.0.2:443 -cert ../cert.pem -key ../key.pem -WWW) >server.log 2>&1 &
    local server=$!
    sleep 1
    tcpdump -i tdec0 --immediate-mode -U -s 0 -w "$name.pcap" "tcp port 443" 2>"$name.err" &
    local dump=$!
    until grep -q listening "$name.err" 2>/dev/null; do sleep 0.1; done
    sleep 1
    for _ in $(seq 10); do SSLKEYLOGFILE="$name.keys" curl -sk --http1.1 "$@" https://10.72.0.2/big.txt -o /dev/null; done
    sleep 1
    kill -INT "$dump"; wait "$dump" || true
    kill "$server"; wait "$server" 2>/dev/null || true
}

capture tls13-aes128-gcm --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
capture tls12-aes128-cbc-sha1 --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-SHA
if ip netns list | grep -q '^tdec-srv'; then ip netns del tdec-srv; fi   # removes the veth pair too

for name in tls13-aes128-gcm tls12-aes128-cbc-sha1; do
    size=$(stat -c %s "$name.pcap")
    for mode in without-keys with-keys; do
        args=(replay -q --no-model -t /dev/null)
        [[ $mode == with-keys ]] && args+=(--tls-keylog "$name.keys")
        best=""
        for _ in $(seq "$runs"); do
            line=$( { /usr/bin/time -f "%e %U %S" $sensor "${args[@]}" "$name.pcap" >/dev/null; } 2>&1 | tail -1)
            read -r wall user sys <<<"$line"
            if [[ -z $best ]] || awk "BEGIN{exit !($wall < ${best%% *})}"; then best="$wall $(awk "BEGIN{print $user + $sys}")"; fi
        done
        read -r wall cpu <<<"$best"
        printf '%-22s %-13s %6.1f MB  best wall %5.2f s  cpu %5.2f s  %6.1f MB/s\n' "$name" "$mode" \
            "$(awk "BEGIN{print $size / 1e6}")" "$wall" "$cpu" "$(awk "BEGIN{print $size / 1e6 / $wall}")"
    done
done
