#!/usr/bin/env bash
# make-protocol-zoo.sh - capture real HTTP/1.x edge cases from a real nginx + php-fpm on loopback.
#
# Usage (as root):  pcaps/zoo/make-protocol-zoo.sh [OUTDIR]     (default: the script's folder)
#
# Writes two captures of the same kinds of traffic, one per link type the sensor must read:
#   zoo-ethernet.pcap   tcpdump -i lo          (DLT_EN10MB, IPv4 and IPv6 on loopback)
#   zoo-sll2.pcap       tcpdump -i any         (DLT_LINUX_SLL2)
# The traffic: keep-alive with several requests per connection, pipelining, HTTP/1.0, HEAD,
# conditional GET (304), 404, redirects, gzip-encoded responses, urlencoded and multipart POSTs,
# a chunked request body, Expect: 100-continue, IPv6, and a connection closed by the server.
# Everything binds to 127.0.0.1/::1 only and is stopped by PID on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "${1:-$here}")"
port=18090
[ "$(id -u)" = 0 ] || { echo "must run as root (tcpdump, packages)" >&2; exit 1; }

pkgs=(nginx php-fpm tcpdump curl netcat-openbsd)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
    created=0
    # keep apt from starting nginx/php-fpm system services on public ports
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created=1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    ((created)) && rm -f /usr/sbin/policy-rc.d
fi
phpfpm=$(ls /usr/sbin/php-fpm* | sort -V | tail -n 1)

work=$(mktemp -d -t zoo.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www/static" "$work/tmp" "$work/logs"
printf '<!doctype html><html><head><title>zoo</title><link rel="stylesheet" href="/static/site.css"></head><body><h1>Protocol zoo</h1><a href="/api.php?page=2">next</a></body></html>\n' > "$work/www/index.html"
for i in $(seq 1 400); do echo ".rule$i { margin: ${i}px; padding: 0; color: #333; }"; done > "$work/www/static/site.css"
head -c 3000 /dev/urandom > "$work/www/static/logo.png"
cat > "$work/www/api.php" <<'PHP'
<?php
header('Content-Type: application/json');
if (isset($_GET['go'])) { header('Location: /index.html', true, 302); exit; }
echo json_encode(['method' => $_SERVER['REQUEST_METHOD'], 'get' => $_GET, 'post' => $_POST,
    'files' => array_keys($_FILES), 'raw' => strlen(file_get_contents('php://input'))]), "\n";
PHP
chmod -R a+rX "$work/www"

cat > "$work/php-fpm.conf" <<EOF2
[global]
pid = $work/php-fpm.pid
error_log = $work/logs/php-fpm.log
daemonize = no
[zoo]
user = www-data
group = www-data
listen = $work/php.sock
listen.owner = www-data
listen.group = www-data
pm = static
pm.max_children = 2
EOF2
cat > "$work/nginx.conf" <<EOF2
user www-data;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $work/tmp/body;
    fastcgi_temp_path $work/tmp/fcgi;
    proxy_temp_path $work/tmp/proxy;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    gzip on;
    gzip_types text/css application/json;
    gzip_min_length 256;
    keepalive_requests 5;
    server {
        listen 127.0.0.1:$port;
        listen [::1]:$port;
        root $work/www;
        location / { try_files \$uri \$uri/ =404; }
        location ~ \.php\$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_pass unix:$work/php.sock;
        }
    }
}
EOF2
"$phpfpm" -F -y "$work/php-fpm.conf" > "$work/logs/php.out" 2>&1 & pids+=($!)
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' > "$work/logs/nginx.out" 2>&1 & pids+=($!)
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/index.html" && break; sleep 0.1; done

traffic() {
    local b="http://127.0.0.1:$port"
    local ua='Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
    curl -s -o /dev/null -A "$ua" --compressed "$b/index.html" "$b/static/site.css" "$b/static/logo.png" "$b/favicon.ico"
    curl -s -o /dev/null -I "$b/index.html"
    curl -s -o /dev/null -H 'If-Modified-Since: Wed, 01 Jan 2031 00:00:00 GMT' "$b/static/site.css"
    curl -s -o /dev/null -0 "$b/api.php?q=http10&lang=en"
    curl -s -o /dev/null -L "$b/api.php?go=1"
    curl -s -o /dev/null -d 'user=alice&comment=hello+world&token=abc123' "$b/api.php?action=save"
    curl -s -o /dev/null -F 'note=report' -F "upload=@$work/www/static/logo.png;filename=logo.png" "$b/api.php?action=upload"
    curl -s -o /dev/null -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'chunked=yes&n=1' "$b/api.php?action=chunked"
    head -c 4000 /dev/zero | tr '\0' 'a' | sed 's/^/data=/' | curl -s -o /dev/null -H 'Expect: 100-continue' --data-binary @- "$b/api.php?action=big"
    curl -s -o /dev/null -H 'Cookie: sid=42; theme=dark' "http://[::1]:$port/api.php?ipv6=1"
    # pipelining: three requests in one write, answered in order
    { printf 'GET /index.html HTTP/1.1\r\nHost: zoo\r\n\r\nGET /api.php?pipelined=2 HTTP/1.1\r\nHost: zoo\r\n\r\nGET /missing HTTP/1.1\r\nHost: zoo\r\nConnection: close\r\n\r\n'; sleep 1; } \
        | nc -q 2 127.0.0.1 $port || true
    # a client that half-closes right after its pipelined requests: nginx answers only the first
    printf 'GET /index.html?halfclose=1 HTTP/1.1\r\nHost: zoo\r\n\r\nGET /api.php?halfclose=2 HTTP/1.1\r\nHost: zoo\r\n\r\n' \
        | nc -q 2 127.0.0.1 $port || true
    # keepalive_requests 5: the server closes the connection after the fifth request
    curl -s -o /dev/null "$b/api.php?k=1" "$b/api.php?k=2" "$b/api.php?k=3" "$b/api.php?k=4" "$b/api.php?k=5" "$b/api.php?k=6"
}

capture() { # name, tcpdump interface args...
    local name=$1; shift
    tcpdump -n -s 0 -U -w "$out/$name" "$@" "tcp port $port" 2> "$work/logs/tcpdump.$name.log" & local tp=$!
    for _ in $(seq 50); do grep -q listening "$work/logs/tcpdump.$name.log" && break; sleep 0.1; done
    traffic > /dev/null 2>&1
    sleep 1
    kill -INT $tp; wait $tp || true
    echo "wrote $out/$name: $(grep -E 'captured|dropped by kernel' "$work/logs/tcpdump.$name.log" | tr '\n' ' ')"
}
capture zoo-ethernet.pcap -i lo
capture zoo-sll2.pcap -i any
