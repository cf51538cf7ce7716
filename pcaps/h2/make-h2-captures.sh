#!/usr/bin/env bash
# make-h2-captures.sh - capture real cleartext HTTP/2 (h2c) from real servers and clients on loopback.
#
# Usage (as root):  pcaps/h2/make-h2-captures.sh [OUTDIR]     (default: the script's folder)
#
# Writes:
#   h2-nginx-prior.pcap     nginx (listen ... http2, cleartext) + php-fpm, clients by prior knowledge:
#                           curl --http2-prior-knowledge (GET/HEAD/POST urlencoded and multipart, a
#                           100 KB body, gzip, 404, a redirect, cookies) and nghttp (several streams
#                           multiplexed, padding, a header block split over CONTINUATION frames).
#   h2-apache.pcap          Apache mod_http2 (Protocols h2c http/1.1) + php-fpm: curl --http2 and
#                           nghttp -u (h2c by Upgrade: 101 Switching Protocols, then HTTP/2) and
#                           curl --http2-prior-knowledge (direct h2c) on the same server.
# Every server binds to 127.0.73.x only and is stopped by PID on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "${1:-$here}")"
nginx_addr=127.0.73.1 nginx_port=18273
apache_addr=127.0.73.2 apache_port=18274
[ "$(id -u)" = 0 ] || { echo "must run as root (tcpdump, packages)" >&2; exit 1; }

pkgs=(nginx apache2 php-fpm tcpdump curl nghttp2-client)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
    created=0
    # keep apt from starting nginx/apache/php-fpm system services on public ports
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created=1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    ((created)) && rm -f /usr/sbin/policy-rc.d
fi
mkdir -p "$out"
phpfpm=$(ls /usr/sbin/php-fpm* | sort -V | tail -n 1)

work=$(mktemp -d -t h2cap.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${tcpdumps[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
tcpdumps=()

mkdir -p "$work/www/static" "$work/tmp" "$work/logs" "$work/apache"
printf '<!doctype html><html><head><title>h2</title><link rel="stylesheet" href="/static/site.css"><script src="/static/app.js"></script></head><body><h1>HTTP/2</h1><img src="/static/logo.png"><a href="/api.php?page=2">next</a></body></html>\n' > "$work/www/index.html"
for i in $(seq 1 400); do echo ".rule$i { margin: ${i}px; padding: 0; color: #333; }"; done > "$work/www/static/site.css"
for i in $(seq 1 50); do echo "function f$i(x) { return x * $i; }"; done > "$work/www/static/app.js"
head -c 30000 /dev/urandom > "$work/www/static/logo.png"
cat > "$work/www/api.php" <<'PHP'
<?php
header('Content-Type: application/json');
if (isset($_GET['go'])) { header('Location: /index.html', true, 302); exit; }
echo json_encode(['method' => $_SERVER['REQUEST_METHOD'], 'proto' => $_SERVER['SERVER_PROTOCOL'], 'get' => $_GET,
    'post' => $_POST, 'files' => array_keys($_FILES), 'raw' => strlen(file_get_contents('php://input'))]), "\n";
PHP
# A web-shell look-alike that runs nothing: it echoes the command it was given.
cat > "$work/www/cmd.php" <<'PHP'
<?php
$c = $_REQUEST['cmd'] ?? '';
echo "<pre>", htmlspecialchars("would run: $c"), "\n", str_repeat("uid=33(www-data) gid=33(www-data)\n", 3), "</pre>";
PHP
chmod -R a+rX "$work/www"

cat > "$work/php-fpm.conf" <<EOF2
[global]
pid = $work/php-fpm.pid
error_log = $work/logs/php-fpm.log
daemonize = no
[h2]
user = www-data
group = www-data
listen = $work/php.sock
listen.owner = www-data
listen.group = www-data
pm = static
pm.max_children = 4
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
    gzip_types text/css application/javascript application/json;
    gzip_min_length 256;
    server {
        listen $nginx_addr:$nginx_port http2;
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

mods=/usr/lib/apache2/modules
cat > "$work/apache/httpd.conf" <<EOF2
ServerRoot $work/apache
PidFile $work/apache/httpd.pid
ErrorLog $work/logs/apache-error.log
LogLevel warn
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule mime_module $mods/mod_mime.so
LoadModule dir_module $mods/mod_dir.so
LoadModule filter_module $mods/mod_filter.so
LoadModule deflate_module $mods/mod_deflate.so
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
LoadModule http2_module $mods/mod_http2.so
User www-data
Group www-data
ServerName h2.test
Listen $apache_addr:$apache_port
TypesConfig /etc/mime.types
DocumentRoot $work/www
DirectoryIndex index.html
Protocols h2c http/1.1
H2Direct on
AddOutputFilterByType DEFLATE text/html text/css application/javascript application/json
<Directory $work/www>
    Require all granted
</Directory>
<FilesMatch "\.php\$">
    SetHandler "proxy:unix:$work/php.sock|fcgi://localhost"
</FilesMatch>
EOF2

"$phpfpm" -F -y "$work/php-fpm.conf" > "$work/logs/php.out" 2>&1 & pids+=($!)
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' > "$work/logs/nginx.out" 2>&1 & pids+=($!)
apache2 -f "$work/apache/httpd.conf" -DFOREGROUND > "$work/logs/apache.out" 2>&1 & pids+=($!)
for _ in $(seq 50); do
    curl -sf --http2-prior-knowledge -o /dev/null "http://$nginx_addr:$nginx_port/index.html" \
        && curl -sf -o /dev/null "http://$apache_addr:$apache_port/index.html" && break
    sleep 0.1
done

curl -sf -o /dev/null "http://$apache_addr:$apache_port/index.html" || { cat "$work"/logs/apache* >&2; exit 1; }
ua='Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
# curl 7.88 fails on a second request over a prior-knowledge connection ("Error in the HTTP2
# framing layer"), so each curl makes one request; nghttp multiplexes several streams on one connection.
nginx_traffic() {
    set +e
    local b="http://$nginx_addr:$nginx_port" pk=--http2-prior-knowledge
    curl -sS -o /dev/null $pk -A "$ua" --compressed "$b/index.html"
    curl -sS -o /dev/null $pk -A "$ua" --compressed "$b/static/site.css"
    curl -sS -o /dev/null $pk "$b/favicon.ico"
    curl -sS -o /dev/null $pk -I "$b/index.html"
    curl -sS -o /dev/null $pk "$b/api.php?go=1"
    curl -sS -o /dev/null $pk -H 'Cookie: sid=42; theme=dark' -d 'user=alice&comment=hello+world&token=abc123' "$b/api.php?action=save"
    curl -sS -o /dev/null $pk -F 'note=report' -F "upload=@$work/www/static/logo.png;filename=logo.png" "$b/api.php?action=upload"
    curl -sS -o /dev/null $pk --data-urlencode 'cmd=cat /etc/passwd' "$b/cmd.php"
    head -c 100000 /dev/zero | tr '\0' 'a' | sed 's/^/data=/' | curl -sS -o /dev/null $pk --data-binary @- "$b/api.php?action=big"
    nghttp -n -a -b 16 "$b/index.html"
    nghttp -n "$b/static/site.css?m=1" "$b/static/app.js?m=2" "$b/static/logo.png?m=3" "$b/api.php?m=4" "$b/missing?m=5"
    nghttp -n --continuation "$b/api.php?continuation=1"
    nghttp -n -d "$work/www/static/app.js" "$b/api.php?action=nghttp-post"
}
apache_traffic() {
    set +e
    local b="http://$apache_addr:$apache_port"
    curl -sS -o /dev/null --http2 -A "$ua" --compressed "$b/index.html"
    curl -sS -o /dev/null --http2 "$b/api.php?upgrade=1&lang=en"
    curl -sS -o /dev/null --http2 -d 'cmd=id' "$b/cmd.php?upgrade=post" # a request with a body is not upgraded
    nghttp -n -u "$b/cmd.php?cmd=uname+-a"
    nghttp -n -u -a "$b/index.html"
    curl -sS -o /dev/null --http2-prior-knowledge "$b/api.php?direct=1"
    curl -sS -o /dev/null --http2-prior-knowledge -F 'note=direct' "$b/api.php?action=upload"
    nghttp -n "$b/static/app.js?direct=2" "$b/nothing-here?direct=3"
}

capture() { # name, traffic function, filter
    local name=$1 fn=$2 filter=$3
    tcpdump -n -i lo -s 0 -U -w "$out/$name" "$filter" 2> "$work/logs/tcpdump.$name.log" & local tp=$!; tcpdumps+=($tp)
    for _ in $(seq 50); do grep -q listening "$work/logs/tcpdump.$name.log" && break; sleep 0.1; done
    "$fn" > "$work/logs/clients.$name.log" 2>&1; grep -i "curl: (" "$work/logs/clients.$name.log" >&2 || true
    sleep 1
    kill -INT $tp; wait $tp || true
    echo "wrote $out/$name: $(grep -E 'captured|dropped by kernel' "$work/logs/tcpdump.$name.log" | tr '\n' ' ')"
}
capture h2-nginx-prior.pcap nginx_traffic "host $nginx_addr and tcp port $nginx_port"
capture h2-apache.pcap apache_traffic "host $apache_addr and tcp port $apache_port"
