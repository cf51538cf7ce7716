#!/usr/bin/env bash
# Regenerates the decryption test captures: one TLS connection per cipher suite / version, each on
# its own loopback address 127.0.72.N port 443, with the client's NSS key log (SSLKEYLOGFILE for curl,
# -keylogfile for openssl s_client) and tshark's decryption of it as the independent expectation.
# Needs root (tcpdump, port 443), openssl, curl, tcpdump and tshark. Run from anywhere:
#   pcaps/tls/keylog/make-captures.sh [NAME...]      (no NAME: every capture)
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d /tmp/tdec-captures.XXXXXX)
trap 'rm -rf "$work"' EXIT

# A throwaway server certificate (its key never leaves $work: the key logs are what decrypts).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 3650 \
    -subj /CN=tdec.test 2>/dev/null
mkdir -p "$work/www"
printf 'hello over TLS: the decryptor must read exactly this line.\n' > "$work/www/hello.txt"

# name | address | server options | client (curl options, or "s_client:<openssl options>")
cases=(
  "tls12-ecdhe-rsa-aes128-gcm-sha256|127.0.72.11||--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256"
  "tls12-ecdhe-rsa-aes256-gcm-sha384|127.0.72.12||--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384"
  "tls12-ecdhe-rsa-chacha20-poly1305|127.0.72.13||--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-CHACHA20-POLY1305"
  "tls12-ecdhe-rsa-aes128-sha-etm|127.0.72.14||--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-SHA"
  "tls12-ecdhe-rsa-aes128-sha-noetm|127.0.72.15|-no_etm|--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-SHA"
  "tls12-aes256-sha256-etm|127.0.72.16||--tlsv1.2 --tls-max 1.2 --ciphers AES256-SHA256"
  "tls12-aes256-sha256-noetm|127.0.72.17|-no_etm|--tlsv1.2 --tls-max 1.2 --ciphers AES256-SHA256"
  "tls12-ecdhe-rsa-aes256-sha384-etm|127.0.72.18||--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-SHA384"
  "tls12-ecdhe-rsa-aes256-sha384-noetm|127.0.72.19|-no_etm|--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-SHA384"
  "tls11-ecdhe-rsa-aes128-sha-noetm|127.0.72.20|-no_etm -cipher ALL:@SECLEVEL=0|--tlsv1.1 --tls-max 1.1 --ciphers ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
  "tls10-ecdhe-rsa-aes256-sha-noetm|127.0.72.21|-no_etm -cipher ALL:@SECLEVEL=0|--tlsv1.0 --tls-max 1.0 --ciphers ECDHE-RSA-AES256-SHA:@SECLEVEL=0"
  "tls13-aes128-gcm-sha256|127.0.72.31||--tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256"
  "tls13-aes256-gcm-sha384|127.0.72.32||--tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384"
  "tls13-chacha20-poly1305-sha256|127.0.72.33||--tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256"
  "tls13-keyupdate|127.0.72.34||s_client:-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256"
  "tls13-aes128-ccm-sha256|127.0.72.35|-ciphersuites TLS_AES_128_CCM_SHA256|--tlsv1.3 --tls13-ciphers TLS_AES_128_CCM_SHA256"
  "tls13-aes128-ccm8-sha256|127.0.72.36|-ciphersuites TLS_AES_128_CCM_8_SHA256|--tlsv1.3 --tls13-ciphers TLS_AES_128_CCM_8_SHA256"
)

for entry in "${cases[@]}"; do
  IFS='|' read -r name address server_options client <<<"$entry"
  if (($# > 0)) && [[ " $* " != *" $name "* ]]; then continue; fi
  rm -f "$name.pcap" "$name.keys" "$name.tshark.txt"
  # shellcheck disable=SC2086
  (cd "$work/www" && exec openssl s_server -quiet -accept "$address:443" -cert "$work/cert.pem" -key "$work/key.pem" \
      -WWW $server_options) >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/$address/443") 2>/dev/null && break; sleep 0.1; done  # the server is up
  # Capture only once the server is up, so that the readiness probe above is not in the capture.
  tcpdump -i lo --immediate-mode -U -s 0 -w "$work/$name.pcap" "host $address and tcp port 443" 2>"$work/$name.tcpdump.err" &
  dump=$!
  until grep -q listening "$work/$name.tcpdump.err" 2>/dev/null; do sleep 0.1; done
  sleep 1 # "listening" comes a moment before packets are seen
  if [[ $client == s_client:* ]]; then
    # TLS 1.3 key updates: 'K' asks the peer to update too, 'k' does not (s_client's command letters).
    # shellcheck disable=SC2086
    { sleep 1; echo K; sleep 0.5; echo k; sleep 0.5; printf 'GET /hello.txt HTTP/1.0\r\n\r\n'; sleep 2; } \
      | timeout 20 openssl s_client -connect "$address:443" -keylogfile "$work/$name.keys" ${client#s_client:} >/dev/null 2>&1 || true
  else
    # shellcheck disable=SC2086
    SSLKEYLOGFILE="$work/$name.keys" timeout 20 curl -sk --http1.1 $client "https://$address/hello.txt" >"$work/out.txt"
    cmp -s "$work/out.txt" "$work/www/hello.txt" || { echo "$name: unexpected response" >&2; exit 1; }
  fi
  sleep 0.5
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  sleep 0.5 # let tcpdump read what the kernel holds before it stops
  kill -INT "$dump"
  wait "$dump" || true
  cp "$work/$name.pcap" "$work/$name.keys" .
  # tshark's decryption: the expectation the tests compare with (client lines flush left, server lines indented).
  tshark -r "$name.pcap" -o "tls.keylog_file:$name.keys" -q -z follow,tls,raw,0 >"$name.tshark.txt"
  echo "$name: $(stat -c %s "$name.pcap") bytes, $(wc -l <"$name.keys") key lines"
done
