#!/usr/bin/env bash
# make-handshakes.sh - capture real TLS handshakes (no keys) from real clients and servers on loopback,
# and write tshark's reading of them (SNI, JA3, JA3S per connection) as the tests' expectation.
#
# Usage (as root):  pcaps/tls/handshakes/make-handshakes.sh [OUTDIR]   (default: the script's folder)
#
# Servers: openssl s_server (TLS 1.0, 1.1, 1.2, 1.3, HelloRetryRequest, client certificate, session
# resumption) and nginx 1.22 (ALPN h2/http/1.1); clients: openssl s_client, curl, Chromium headless.
# Everything binds to 127.0.71.x only (the tls helper's loopback prefix) and is stopped by PID on exit.
# Certificates are made afresh each run, so fingerprints change with every run: the expectation file
# (tshark.tsv) is rewritten with the captures.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "${1:-$here}")"
[ "$(id -u)" = 0 ] || { echo "must run as root (tcpdump)" >&2; exit 1; }
for t in openssl curl nginx tcpdump tshark chromium; do command -v "$t" >/dev/null || { echo "missing $t (apt-get install openssl curl nginx tcpdump tshark chromium)" >&2; exit 1; }; done

work=$(mktemp -d -t tlshs.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"

# A CA and a server certificate for tls.example (and a client certificate), fresh each run.
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/C=DE/O=TrafficSensor Lab/CN=Lab Root CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/C=DE/O=TrafficSensor Lab/CN=tls.example" 2>/dev/null
printf 'subjectAltName=DNS:tls.example,DNS:www.tls.example\n' > san.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 825 -extfile san.ext 2>/dev/null
cat server.crt ca.crt > chain.crt
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr -subj "/CN=lab client" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 825 2>/dev/null

# capture NAME: starts tcpdump on lo for 127.0.71.0/24 into NAME.pcap; stop_capture ends it.
capture() {
    rm -f "$out/$1.pcap"
    tcpdump -i lo -U -s 0 -w "$out/$1.pcap" net 127.0.71.0/24 2>/dev/null &
    cap=$!
    for _ in $(seq 50); do [ -s "$out/$1.pcap" ] && break; sleep 0.1; done
    sleep 1
}
# A busy machine may not have handed the last packets to tcpdump yet: give it time before stopping it.
stop_capture() { sleep 2; kill "$cap"; wait "$cap" 2>/dev/null || true; }

# server PORT ARGS...: an openssl s_server on 127.0.71.1:PORT answering every connection.
server() {
    local port=$1; shift
    openssl s_server -accept 127.0.71.1:"$port" -cert server.crt -key server.key -cert_chain ca.crt -quiet -www "$@" >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.71.1/"$port") 2>/dev/null && break; sleep 0.1; done
}
client() { echo | timeout 10 openssl s_client -connect 127.0.71.1:"$1" -servername tls.example "${@:2}" >/dev/null 2>&1 || true; }
client_no_sni() { echo | timeout 10 openssl s_client -connect 127.0.71.1:"$1" -noservername "${@:2}" >/dev/null 2>&1 || true; }

low="-cipher DEFAULT@SECLEVEL=0"
server 4410 $low -tls1
server 4411 $low -tls1_1
server 4412 -tls1_2
server 4413 -tls1_3
server 4414 -tls1_3 -groups P-384            # a client offering an X25519 key share gets a HelloRetryRequest
server 4415 -tls1_2 -Verify 1 -CAfile ca.crt # asks for a client certificate

capture openssl-versions
client 4410 $low -tls1
client 4411 $low -tls1_1
client 4412 -tls1_2 -alpn http/1.1
client 4412 -tls1_2 -cipher ECDHE-RSA-AES128-SHA        # a CBC suite
client 4413 -tls1_3 -alpn h2,http/1.1
client_no_sni 4413 -tls1_3                             # no SNI
stop_capture

capture openssl-hrr
client 4414 -tls1_3 -groups X25519:P-384
stop_capture

capture openssl-client-cert
client 4415 -tls1_2 -cert client.crt -key client.key
stop_capture

capture openssl-resumption
client 4412 -tls1_2 -sess_out sess12.pem
client 4412 -tls1_2 -sess_in sess12.pem
stop_capture

# nginx with HTTP/2 and HTTP/1.1 on 127.0.71.2:443.
mkdir -p www logs tmp
echo '<!doctype html><title>tls</title><p>hello over TLS' > www/index.html
chmod -R a+rX "$work"
cat > nginx.conf <<NGINX
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp; uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
    server {
        listen 127.0.71.2:443 ssl http2;
        server_name tls.example;
        ssl_certificate $work/chain.crt;
        ssl_certificate_key $work/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $work/www;
    }
}
NGINX
nginx -c "$work/nginx.conf" -e "$work/logs/error.log" &
pids+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.71.2/443) 2>/dev/null && break; sleep 0.1; done

capture curl-nginx
curl -s -o /dev/null --cacert ca.crt --resolve tls.example:443:127.0.71.2 https://tls.example/ || true
curl -s -o /dev/null --http1.1 --tlsv1.2 --tls-max 1.2 --cacert ca.crt --resolve tls.example:443:127.0.71.2 https://tls.example/ || true
stop_capture

capture chromium-nginx
timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run --ignore-certificate-errors \
    --user-data-dir="$work/chromium" --host-resolver-rules="MAP tls.example 127.0.71.2" \
    --dump-dom https://tls.example/ >/dev/null 2>&1 || true
stop_capture

# The certificates' fields as openssl reads them (subject and issuer in certificate order).
: > "$out/certificates.tsv"
for c in server client; do
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" \
        "$(openssl x509 -in $c.crt -noout -subject -nameopt sep_comma_plus_space,sname | sed 's/^subject=//')" \
        "$(openssl x509 -in $c.crt -noout -issuer -nameopt sep_comma_plus_space,sname | sed 's/^issuer=//')" \
        "$(openssl x509 -in $c.crt -noout -serial | sed 's/^serial=//')" \
        "$(openssl x509 -in $c.crt -noout -fingerprint -sha1 | sed 's/^.*Fingerprint=//')" \
        "$(date -u -d "$(openssl x509 -in $c.crt -noout -startdate | sed 's/^notBefore=//')" +%Y-%m-%dT%H:%M:%S)" \
        "$(date -u -d "$(openssl x509 -in $c.crt -noout -enddate | sed 's/^notAfter=//')" +%Y-%m-%dT%H:%M:%S)" >> "$out/certificates.tsv"
done

# tshark's reading: one line per frame holding a ClientHello or ServerHello: capture, tcp.stream, handshake types,
# SNI, JA3 string, JA3 hash, JA3S string, JA3S hash (several messages of a frame are joined by spaces).
: > "$out/tshark.tsv"
for f in "$out"/*.pcap; do
    tshark -n -r "$f" -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' -T fields -E separator=/t -E occurrence=a -E aggregator=/s \
        -e tcp.stream -e tls.handshake.type -e tls.handshake.extensions_server_name -e tls.handshake.ja3_full -e tls.handshake.ja3 \
        -e tls.handshake.ja3s_full -e tls.handshake.ja3s 2>/dev/null | sed "s|^|$(basename "$f")\t|" >> "$out/tshark.tsv"
done
# Every connection made must be in its capture (a busy machine can lose a late one): check, so a bad run fails loudly.
expect() {
    local n
    n=$(awk -F'\t' -v f="$1.pcap" '$1 == f && $3 == "1"' "$out/tshark.tsv" | cut -f2 | sort -u | wc -l)
    [ "$n" -ge "$2" ] || { echo "$1.pcap: $n connections with a ClientHello, expected $2; run again" >&2; exit 1; }
}
expect openssl-versions 6; expect openssl-hrr 1; expect openssl-client-cert 1; expect openssl-resumption 2; expect curl-nginx 2; expect chromium-nginx 1
echo "wrote $(ls "$out"/*.pcap | wc -l) captures and $(wc -l < "$out/tshark.tsv") tshark lines to $out" >&2
