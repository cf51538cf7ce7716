#!/usr/bin/env bash
# label.sh PCAP SITEMAP LABELS MIX - one label per HTTP request tshark finds in PCAP, with the app
# (server address:port) and the client role (source address), and a benign-mix table per app.
# SITEMAP lines: "server<TAB>addr<TAB>port<TAB>app" and "clients<TAB>127.0.X<TAB>app<TAB>10:role 11:role".
set -euo pipefail
pcap=$1 sitemap=$2 labels=$3 mix=$4
decode=()
while IFS=$'\t' read -r kind _ port _; do [ "$kind" = server ] && decode+=(-d "tcp.port==$port,http"); done < "$sitemap"
tmp=$(mktemp -d -t tsapps-label.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tshark -r "$pcap" -n "${decode[@]}" -o tcp.desegment_tcp_streams:TRUE -o http.desegment_body:TRUE -Y 'http.request' -T fields -E separator='|' -E occurrence=f \
    -e frame.number -e frame.time_epoch -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e http.request.method -e http.request.uri \
    -e http.content_type -e http.content_length > "$tmp/req" 2> "$tmp/err1" || { cat "$tmp/err1" >&2; exit 1; }
tshark -r "$pcap" -n "${decode[@]}" -o tcp.desegment_tcp_streams:TRUE -o http.desegment_body:TRUE -Y 'http.response' -T fields -E separator='|' -E occurrence=f \
    -e http.request_in -e http.response.code -e http.content_type > "$tmp/resp" 2> "$tmp/err2" || { cat "$tmp/err2" >&2; exit 1; }
python3 "$(dirname "$0")/labels.py" "$tmp/req" "$tmp/resp" "$sitemap" "$labels" "$mix"
