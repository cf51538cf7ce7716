#!/usr/bin/env bash
# run.sh - the TrafficSensor traffic lab: real servers, benign users and web-shell operators,
# captured on the wire and labelled by the clients that sent each request.
#
# Usage (as root):
#   pcaps/lab/run.sh [--minutes N] [--families all|none|LIST] [--benign all|extended|none|LIST]
#                    [--variants all|none|LIST] [--sessions K] [--session-requests N]
#                    [--connection-close] [--mid-session]
#                    [--users N] [--speed X] [--seed S] [--out DIR] [--name NAME]
#                    [--tls] [--tls-versions 1.2|1.3|1.2,1.3] [--tls-suite default|gcm|aes256|chacha|cbc|cbc-sha1] [--h2]
#
#   --minutes   lab time to run (default 1); operators start within the first half
#   --families  web-shell families (default all): cmd, chopper, antsword, behinder, godzilla,
#               weevely, wso, regeorg, iis-module
#   --benign    benign traffic (default all = wiki, tomcat, shop, machines; extended adds
#               apache-php, iis, weblogic; mono-aspx only by name: a held-out server)
#   --variants  further tool variants (default none; all, or a list of tags or families), e.g.
#               godzilla/PHP_XOR_RAW, godzilla/JAVA_AES_BASE64, behinder/aspx, antsword/multipart,
#               cmd/stager, cmd/image-upload, suo5, scanner (see the README's lab section);
#               the real ASPX shells on Mono only by name (not in all): mono-aspx, or one of
#               godzilla/CSHARP_AES_BASE64@mono-aspx, godzilla/CSHARP_AES_RAW@mono-aspx,
#               behinder/aspx@mono-aspx, antsword/aspxcsharp@mono-aspx
#   --sessions  sessions per family and per variant, each from its own address (default 1)
#   --session-requests  commands per operator session (default 0: each tool's own short session);
#               long sessions mix in tiny heartbeat requests
#   --connection-close  operators open one connection per request
#   --mid-session  operators' uploads and first contacts happen before the capture starts
#   --users     benign people, each with its own address and browser (default 24)
#   --speed     divides think times (default 1)
#   --seed      makes the benign mix and the operators' choices reproducible (default 1)
#   --out/--name  writes DIR/NAME.pcap and DIR/NAME.labels.jsonl (default: pcaps/lab/out, lab-SEED)
#   --tls       every server is reached over HTTPS only (see "TLS" below); also writes DIR/NAME.keys
#               (NSS key log) and DIR/NAME.expect.jsonl (what tshark decrypts, pcaps/tls/lab/expect.py)
#   --tls-versions  the versions the servers accept (default 1.2,1.3: clients and servers pick 1.3)
#   --tls-suite the cipher suites the servers accept, in OpenSSL names (default: OpenSSL's own list):
#               gcm (AES-128-GCM), aes256 (AES-256-GCM/SHA-384), chacha (ChaCha20-Poly1305),
#               cbc (TLS 1.2 AES-CBC with HMAC-SHA256/SHA384, encrypt-then-MAC as OpenSSL negotiates it),
#               cbc-sha1 (TLS 1.2 AES-CBC with HMAC-SHA1, RSA and ECDHE key exchange, encrypt-then-MAC
#               refused by the servers: MAC-then-encrypt); cbc* need --tls-versions 1.2
#   --h2        clients speak HTTP/2 (ALPN h2; the servers offer h2 and http/1.1 in every --tls run)
#
# What runs, all inside a network namespace created for the run (loopback MTU 1500, offloads off,
# so frames look like a real wire; nothing listens outside it):
#   127.0.10.1:80    nginx + php-fpm serving DokuWiki (Debian's package, a private copy)
#   127.0.20.1:8080  Tomcat 10 serving its JSP/servlet examples
#   127.0.30.1:80    Kestrel (ASP.NET Core) shop, with an IIS-module-style backdoor middleware
#   127.0.40.1:80    Apache httpd + mod_php serving the gallery (only when a variant or --benign needs it)
#   127.0.50.1:80    the IIS-like ASP.NET portal with the .NET shell emulators (likewise)
#   127.0.60.1:7001  the WebLogic-like ERP, a second Tomcat service (likewise)
#   127.0.90.1:80    nginx + fastcgi-mono-server4: an intranet portal in real ASP.NET WebForms on Mono,
#                    where the lab's own ASPX shells run for real (likewise; mono-aspx)
#   127.0.100.x      benign browsers, 127.0.101.x machine clients, 127.0.66.x operators
# TLS (--tls): throwaway self-signed certificates made by openssl for the run (RSA 2048; the shop's
# ECDSA P-256), deleted with the work directory. Three TLS stacks: nginx terminates TLS for DokuWiki
# itself (127.0.10.1:443); an Apache httpd front (event MPM, mod_ssl, mod_http2, mod_proxy_http)
# terminates it for Tomcat (127.0.20.1:8443), the shop (127.0.30.1:443) and the gallery
# (127.0.40.1:443) and proxies to the same backends; the IIS-like portal's Kestrel (127.0.50.1:443,
# OpenSSL through .NET) and the WebLogic-like ERP's Tomcat JSSE connector (127.0.60.1:7002, Java's
# TLS) terminate their own. Key logs: the lab's .NET clients write $SSLKEYLOGFILE (the
# System.Net.EnableSslKeyLogging switch is on in trafficsensor-lab's runtimeconfig), so do the
# Apache front (mod_ssl honours SSLKEYLOGFILE) and the portal; NAME.keys is their union. Only the
# TLS ports are captured.
# The web shells are the project's emulators (pcaps/lab/www): they answer each family's real
# request format but run only allow-listed harmless commands in a sandbox directory. On mono-aspx
# the shells are real pages (pcaps/lab/www/mono/shells) loading payload assemblies compiled here
# with Mono's mcs (pcaps/lab/www/mono/payloads); their commands go through the same allow-list. Every process
# is stopped by PID, the namespace deleted and the work directory (shells included) removed on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

minutes=1 families=all benign=all users=24 speed=1 seed=1 out="$here/out" name=""
variants=none sessions=1 session_requests=0 session_flags=()
tls=0 tls_versions=1.2,1.3 tls_suite=default h2=0
while (($#)); do
    case "$1" in
        --minutes) minutes=$2; shift 2 ;;
        --families) families=$2; shift 2 ;;
        --benign) benign=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --speed) speed=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --name) name=$2; shift 2 ;;
        --variants) variants=$2; shift 2 ;;
        --sessions) sessions=$2; shift 2 ;;
        --session-requests) session_requests=$2; shift 2 ;;
        --connection-close) session_flags+=(--connection-close); shift ;;
        --mid-session) session_flags+=(--mid-session); shift ;;
        --tls) tls=1; shift ;;
        --tls-versions) tls_versions=$2; shift 2 ;;
        --tls-suite) tls_suite=$2; shift 2 ;;
        --h2) h2=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 1 ;;
    esac
done
name=${name:-lab-$seed}
((h2 == 0 || tls == 1)) || { echo "run.sh: --h2 needs --tls" >&2; exit 1; }
# OpenSSL names: the TLS 1.2 cipher list and the TLS 1.3 suites the servers accept (empty: OpenSSL's defaults).
# client_extra: what the lab's .NET clients must offer beyond .NET's default list (no TLS 1.2
# ChaCha20, no SHA-1 or RSA-key-exchange suite) for the servers' choice to exist.
no_etm=0 client_extra=""
case "$tls_suite" in
    default) ciphers12="" ciphers13="" suites_iana="" ;;
    gcm) ciphers12="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256" ciphers13="TLS_AES_128_GCM_SHA256"
        suites_iana="TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" ;;
    aes256) ciphers12="ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384" ciphers13="TLS_AES_256_GCM_SHA384"
        suites_iana="TLS_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" ;;
    chacha) ciphers12="ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305" ciphers13="TLS_CHACHA20_POLY1305_SHA256"
        client_extra="TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        suites_iana="TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" ;;
    cbc) ciphers12="ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384" ciphers13=""
        suites_iana="TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" ;;
    cbc-sha1) ciphers12="AES128-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES256-SHA" ciphers13="" no_etm=1
        client_extra="TLS_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,TLS_RSA_WITH_AES_256_CBC_SHA"
        suites_iana="TLS_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,TLS_RSA_WITH_AES_256_CBC_SHA" ;;
    *) echo "run.sh: unknown --tls-suite $tls_suite" >&2; exit 1 ;;
esac
[[ "$tls_suite" != cbc* || "$tls_versions" == 1.2 ]] || { echo "run.sh: --tls-suite $tls_suite needs --tls-versions 1.2" >&2; exit 1; }
case "$tls_versions" in
    1.2) nginx_protocols="TLSv1.2" apache_protocols="-all +TLSv1.2" tomcat_protocols="TLSv1.2" ;;
    1.3) nginx_protocols="TLSv1.3" apache_protocols="-all +TLSv1.3" tomcat_protocols="TLSv1.3" ;;
    1.2,1.3|1.3,1.2) nginx_protocols="TLSv1.2 TLSv1.3" apache_protocols="-all +TLSv1.2 +TLSv1.3" tomcat_protocols="TLSv1.2,TLSv1.3" ;;
    *) echo "run.sh: unknown --tls-versions $tls_versions" >&2; exit 1 ;;
esac
[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root (network namespace, tcpdump, packages)" >&2; exit 1; }
log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# ------------------------------------------------------------------ packages
# Packages are installed when missing; those of the further servers only when a run needs them.
install_missing() {
    local missing=() p created=0
    for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
    ((${#missing[@]})) || return 0
    log "installing ${missing[*]}"
    # keep apt from starting the packages' own services on public ports
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created=1; }
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || { ((created)) && rm -f /usr/sbin/policy-rc.d; exit 1; }
    ((created)) && rm -f /usr/sbin/policy-rc.d
    return 0
}
install_missing nginx php-fpm php-xml php-mbstring dokuwiki tomcat10 tomcat10-examples tcpdump iproute2 ethtool curl
phpfpm=$(ls /usr/sbin/php-fpm* | sort -V | tail -n 1)

log "building the lab driver"
dotnet build "$repo/src/TrafficSensor.Lab/TrafficSensor.Lab.csproj" -c Release -o "$repo/.build/lab" --nologo -v quiet > /dev/null
lab=(dotnet "$repo/.build/lab/trafficsensor-lab.dll")
apps=" $(DOTNET_NOLOGO=1 "${lab[@]}" apps --variants "$variants" --benign "$benign") "
needs() { [[ "$apps" == *" $1 "* ]]; }
needs apache-php && install_missing apache2 libapache2-mod-php
needs mono-aspx && install_missing mono-fastcgi-server4 mono-mcs
((tls)) && install_missing apache2 openssl tshark
((tls)) && { command -v python3 > /dev/null || install_missing python3; }
[[ "$variants" == *scanner* || "$variants" == all ]] && install_missing dirb   # its word list

# ------------------------------------------------------------------ work dir and cleanup
work=$(mktemp -d -t tslab.XXXXXX)
chmod 755 "$work"
ns="${LAB_NETNS_PREFIX:-tslab}$$"   # LAB_NETNS_PREFIX: a prefix of your own when several people share the machine
pids=()
cleanup() {
    local rc=$?
    set +e
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null
        for _ in $(seq 50); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${pids[i]}" 2>/dev/null
        wait "${pids[i]}" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
in_ns=(ip netns exec "$ns")   # an array, not a function: "${in_ns[@]}" cmd & makes $! the command itself
"${in_ns[@]}" ip link set lo up mtu 1500
"${in_ns[@]}" ethtool -K lo tso off gso off gro off > /dev/null 2>&1 || true
"${in_ns[@]}" sysctl -q -w net.ipv4.ip_unprivileged_port_start=0   # per namespace: lets the servers' own users bind :80

# ------------------------------------------------------------------ sandbox and emulators
sandbox=$work/sandbox
mkdir -p "$sandbox/uploads" "$sandbox/backup"
printf 'Lab notes: this host is part of the TrafficSensor traffic lab.\nNothing here is secret.\n' > "$sandbox/lab-notes.txt"
printf 'config_version=3\nmode=lab\n' > "$sandbox/app.conf"
emulators=$work/emulators
mkdir -p "$emulators"
cp "$here"/www/php/*.php "$here"/www/jsp/*.jsp "$emulators"/
mkdir -p "$work/sync"
chmod 777 "$work/sync"
mkdir -p "$work/home"
chmod -R a+rX "$sandbox" "$emulators"

# ------------------------------------------------------------------ DokuWiki on nginx + php-fpm
dw=$work/dokuwiki
cp -rL /usr/share/dokuwiki "$dw"          # -L: lib/plugins and lib/tpl are links into /var/lib
rm -f "$dw/.htaccess"
cp -rL /etc/dokuwiki "$work/dwconf"
cp -rL /var/lib/dokuwiki/data "$work/dwdata"
cat > "$dw/inc/preload.php" <<PHP
<?php
// TrafficSensor lab: a private configuration and data directory for this run.
if (!defined('DOKU_CONF')) define('DOKU_CONF', '$work/dwconf/');
PHP
cat > "$work/dwconf/local.protected.php" <<PHP
<?php
\$conf['savedir'] = '$work/dwdata';
\$conf['title'] = 'Lab Wiki';
\$conf['useacl'] = 1;
\$conf['superuser'] = '@admin';
\$conf['userewrite'] = 0;
\$conf['gzip_output'] = 1;
PHP
hash=$(php -r 'echo password_hash("lab-alice-pw", PASSWORD_BCRYPT);')
printf 'alice:%s:Alice Lab:alice@lab.example:admin,user\n' "$hash" > "$work/dwconf/users.auth.php"
printf '*\t@ALL\t1\n*\t@user\t8\n' > "$work/dwconf/acl.auth.php"
mkdir -p "$work/dwdata/pages/"{ops,dev,team,playground,wiki}
printf '====== Lab Wiki ======\n\nWelcome. See [[ops:runbook]], [[ops:backups]], [[dev:api]], [[dev:release-notes]] and [[team:contacts]].\n' > "$work/dwdata/pages/start.txt"
for p in ops/runbook ops/backups dev/api dev/release-notes team/contacts playground/playground wiki/syntax; do
    { printf '====== %s ======\n\n' "$p"; for i in $(seq 1 30); do printf 'Paragraph %d of %s: the lab keeps this page so browsers have something to read. [[start]]\n\n' "$i" "$p"; done; } > "$work/dwdata/pages/$p.txt"
done
mkdir -p "$dw/lib/plugins/labupload"
cp "$here/www/php/upload.php" "$dw/lib/plugins/labupload/upload.php"
chown -R www-data:www-data "$dw" "$work/dwconf" "$work/dwdata"

cat > "$work/php-fpm.conf" <<CONF
[global]
pid = $work/php-fpm.pid
error_log = $work/php-fpm.log
daemonize = no
[lab]
user = www-data
group = www-data
listen = $work/php.sock
listen.owner = www-data
listen.group = www-data
pm = static
pm.max_children = 6
env[LAB_SANDBOX] = $sandbox
env[LAB_SHELL_LIB] = $emulators/lab_shell.php
env[LAB_EMULATORS] = $emulators
CONF
# ------------------------------------------------------------------ TLS: throwaway certificates
# A lab CA-less self-signed certificate per site, made fresh for every run; the private keys live
# in the work directory and are deleted with it (never committed).
certs=$work/certs
wiki_tls=""
if ((tls)); then
    mkdir -p "$certs"
    for site in wiki.lab.example apps.lab.example shop.lab.example gallery.lab.example portal.lab.example erp.lab.example intranet.lab.example; do
        if [ "$site" = shop.lab.example ]; then keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); else keyopt=(-newkey rsa:2048); fi
        openssl req -x509 "${keyopt[@]}" -nodes -days 30 -sha256 -keyout "$certs/$site.key" -out "$certs/$site.crt" \
            -subj "/C=XX/O=TrafficSensor lab (throwaway)/CN=$site" -addext "subjectAltName=DNS:$site" 2> /dev/null
    done
    chmod 755 "$certs"; chmod 644 "$certs"/*.crt; chmod 640 "$certs"/*.key; chgrp www-data "$certs"/*.key
    # the servers that terminate TLS themselves read their own key: Kestrel as nobody, Tomcat as tomcat
    chown nobody "$certs/portal.lab.example.key"; chown tomcat "$certs/erp.lab.example.key"
    tls_directives() {   # $1: nginx or apache
        if [ "$1" = nginx ]; then
            printf '        ssl_protocols %s;\n        ssl_prefer_server_ciphers on;\n' "$nginx_protocols"
            [ -n "$ciphers12" ] && printf '        ssl_ciphers %s;\n' "$ciphers12"
            [ -n "$ciphers13" ] && printf '        ssl_conf_command Ciphersuites %s;\n' "$ciphers13"
            ((no_etm)) && printf '        ssl_conf_command Options -EncryptThenMac;\n'
        else
            printf 'SSLProtocol %s\nSSLHonorCipherOrder on\n' "$apache_protocols"
            [ -n "$ciphers12" ] && printf 'SSLCipherSuite %s\n' "$ciphers12"
            [ -n "$ciphers13" ] && printf 'SSLCipherSuite TLSv1.3 %s\n' "$ciphers13"
            ((no_etm)) && printf 'SSLOpenSSLConfCmd Options -EncryptThenMac\n'
        fi
        return 0
    }
    wiki_tls="        listen 127.0.10.1:443 ssl http2;
        ssl_certificate $certs/wiki.lab.example.crt;
        ssl_certificate_key $certs/wiki.lab.example.key;
        keepalive_timeout 30s;
$(tls_directives nginx)"
fi

# ------------------------------------------------------------------ the intranet portal on Mono (nginx + fastcgi-mono-server4)
# Real System.Web: WebForms pages, session, forms authentication, an .ashx handler, and the upload
# page's bug that lets the operators drop the lab's ASPX shells. Their payload assemblies are
# compiled now with mcs; their commands run through lab-command (the lab's allow-list, in the sandbox).
mono_server=""
if needs mono-aspx; then
    msite=$work/mono-site kit=$work/mono-kit
    mkdir -p "$kit/payloads" "$kit/shells" "$work/mono-home" "$work/mono-tmp" "$work/mono-run"
    cp -r "$here/www/mono/site" "$msite"
    mkdir -p "$msite/images"
    { printf 'GIF89a\x01\x00\x01\x00\x80\x00\x00'; head -c 3000 /dev/urandom; } > "$msite/images/banner.gif"
    cp "$here"/www/mono/shells/*.aspx "$kit/shells/"
    p=$here/www/mono/payloads
    mcs -nologo -target:library -r:System.Web.dll -out:"$kit/payloads/godzilla.dll" "$p/godzilla.cs" "$p/LabRunner.cs"
    for f in ECHO BASICINFO FILEOPERATION CMD; do mcs -nologo -target:library -r:System.Web.dll -define:$f -out:"$kit/payloads/behinder-$f.dll" "$p/behinder.cs" "$p/LabRunner.cs"; done
    for f in INFO CMD ECHO; do mcs -nologo -target:library -r:System.Web.dll -define:$f -out:"$kit/payloads/antsword-$f.dll" "$p/antsword.cs" "$p/LabRunner.cs"; done
    cat > "$work/lab-command" <<SH
#!/bin/sh
exec env HOME="$work/home" DOTNET_NOLOGO=1 dotnet "$repo/.build/lab/trafficsensor-lab.dll" run-command --sandbox "$sandbox" -- "\$1"
SH
    chmod 755 "$work/lab-command"
    chown -R www-data:www-data "$msite" "$work/mono-home" "$work/mono-tmp" "$work/mono-run"
    chmod -R a+rX "$kit"
    mono_server="    server {
        listen 127.0.90.1:80;
        server_name intranet.lab.example;
        root $msite;
        index default.aspx;
        # What ASP.NET itself never serves.
        location ~* ^/(bin|App_Code|App_Data)/|\\.(config|master|cs)\$ { return 404; }
        location ~* \\.(aspx|ashx|asmx|axd)\$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param PATH_INFO \"\";
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_pass unix:$work/mono-run/mono.sock;
        }
        location / { try_files \$uri \$uri/ =404; }
    }"
fi

mkdir -p "$work/nginx-tmp"
cat > "$work/nginx.conf" <<CONF
user www-data;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $work/nginx-tmp/body;
    fastcgi_temp_path $work/nginx-tmp/fcgi;
    proxy_temp_path $work/nginx-tmp/proxy;
    uwsgi_temp_path $work/nginx-tmp/uwsgi;
    scgi_temp_path $work/nginx-tmp/scgi;
    client_max_body_size 20m;
    if_modified_since before;
    gzip on;
    gzip_types text/css application/javascript text/plain application/json;
    server {
        listen 127.0.10.1:80;
$wiki_tls
        server_name wiki.lab.example;
        root $dw;
        index doku.php;
        location / { try_files \$uri \$uri/ =404; }
        location ~ \.php\$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_pass unix:$work/php.sock;
        }
    }
$mono_server
}
CONF

# ------------------------------------------------------------------ Tomcat 10 with its examples
tc=$work/tomcat
mkdir -p "$tc"/{conf,logs,work,temp,webapps}
cp -rL /etc/tomcat10/. "$tc/conf/"
rm -rf "$tc/conf/Catalina"   # Debian's context points at /usr/share; the lab serves its private copy
cp -rL /usr/share/tomcat10-examples/examples "$tc/webapps/examples"
mkdir -p "$tc/webapps/examples/WEB-INF/lab"
cp "$here/www/jsp/LabShell.jspf" "$tc/webapps/examples/WEB-INF/lab/"
cp "$here/www/jsp/upload.jsp" "$tc/webapps/examples/jsp/upload.jsp"
erp_service=""
erp_tls=""
# WebLogic terminates TLS itself on 7002: Tomcat's JSSE connector (Java's TLS stack), h2 by ALPN.
((tls)) && erp_tls="
    <Connector port=\"7002\" address=\"127.0.60.1\" protocol=\"org.apache.coyote.http11.Http11NioProtocol\" SSLEnabled=\"true\" scheme=\"https\" secure=\"true\" connectionTimeout=\"20000\" keepAliveTimeout=\"30000\">
      <UpgradeProtocol className=\"org.apache.coyote.http2.Http2Protocol\" />
      <SSLHostConfig protocols=\"$tomcat_protocols\" honorCipherOrder=\"true\"${suites_iana:+ ciphers=\"$suites_iana\"}>
        <Certificate certificateFile=\"$certs/erp.lab.example.crt\" certificateKeyFile=\"$certs/erp.lab.example.key\" type=\"RSA\" />
      </SSLHostConfig>
    </Connector>"
needs weblogic && erp_service='  <Service name="Erp">
    <Connector port="7001" address="127.0.60.1" protocol="HTTP/1.1" connectionTimeout="20000" keepAliveTimeout="30000" />'"$erp_tls"'
    <Engine name="Erp" defaultHost="localhost">
      <Host name="localhost" appBase="webapps-erp" unpackWARs="false" autoDeploy="false" />
    </Engine>
  </Service>'
cat > "$tc/conf/server.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="8080" address="127.0.20.1" protocol="HTTP/1.1" connectionTimeout="20000" keepAliveTimeout="30000" />
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false" />
    </Engine>
  </Service>
$erp_service
</Server>
XML
if needs weblogic; then
    mkdir -p "$tc/webapps-erp/erp/WEB-INF/lab"
    cp "$here"/www/erp/*.jsp "$tc/webapps-erp/erp/"
    cp "$here/www/jsp/LabShell.jspf" "$tc/webapps-erp/erp/WEB-INF/lab/"
    cp "$here/www/jsp/upload.jsp" "$tc/webapps-erp/erp/upload.jsp"
fi
chown -R tomcat:tomcat "$tc"

# ------------------------------------------------------------------ the gallery on Apache httpd + mod_php
if needs apache-php; then
    gallery=$work/gallery
    mkdir -p "$gallery/uploads" "$gallery/images" "$gallery/admin"
    cp "$here"/www/gallery/* "$gallery/"
    cp "$here/www/php/upload.php" "$gallery/admin/plugin-install.php"
    for i in $(seq 0 7); do { printf 'GIF89a\x01\x00\x01\x00\x80\x00\x00'; head -c $((600 + i * 150)) /dev/urandom; } > "$gallery/images/$i.gif"; done
    chown -R www-data:www-data "$gallery"
    mkdir -p "$work/apache-run"
    cat > "$work/apache.conf" <<CONF
ServerRoot /etc/apache2
ServerName gallery.lab.example
Listen 127.0.40.1:80
PidFile $work/apache.pid
DefaultRuntimeDir $work/apache-run
Mutex file:$work/apache-run default
ErrorLog $work/apache-error.log
User www-data
Group www-data
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule env_module /usr/lib/apache2/modules/mod_env.so
LoadModule php_module /usr/lib/apache2/modules/libphp8.2.so
# A fixed pool: prefork wakes a child it retires with an "OPTIONS *" request of its own, unlabelled.
# Each keep-alive connection holds a child, hence the size.
StartServers 40
MinSpareServers 1
MaxSpareServers 40
ServerLimit 40
MaxRequestWorkers 40
KeepAlive On
# Longer than the lab clients keep an idle connection (20 s): Apache's 5 s default races a client's
# next request against the server's close, leaving an unanswered request on the wire.
KeepAliveTimeout 30
TypesConfig /etc/mime.types
DocumentRoot $gallery
DirectoryIndex index.php index.html
# The classic misconfiguration: AddHandler runs any name with ".php." in it (photo.php.gif) as PHP.
AddHandler application/x-httpd-php .php .phtml
SetEnv LAB_SANDBOX $sandbox
SetEnv LAB_SHELL_LIB $emulators/lab_shell.php
SetEnv LAB_EMULATORS $emulators
SetEnv LAB_UPLOAD_DIRS "#^(uploads|images|admin)(/[A-Za-z0-9_.-]+)*\$#"
<Directory />
    Require all denied
</Directory>
<Directory $gallery>
    Require all granted
</Directory>
CONF
fi

# ------------------------------------------------------------------ TLS: the Apache httpd front
# Terminates TLS (HTTP/1.1 and h2) for Tomcat, the shop and the gallery and proxies to the same backends.
if ((tls)); then
    mkdir -p "$work/front-run"
    touch "$work/front.keys"; chown www-data "$work/front.keys"; chmod 600 "$work/front.keys"
    {
        cat <<CONF
ServerRoot /etc/apache2
ServerName front.lab.example
PidFile $work/front.pid
DefaultRuntimeDir $work/front-run
Mutex file:$work/front-run default
ErrorLog $work/front-error.log
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
LoadModule http2_module /usr/lib/apache2/modules/mod_http2.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
SSLSessionCache shmcb:$work/front-run/ssl_scache(512000)
Protocols h2 http/1.1
# mod_http2 refuses h2 on the TLS 1.2 suites RFC 7540 lists as weak (CBC): allowed, so that the
# lab's CBC runs can still speak (and capture) h2.
H2ModernTLSOnly off
KeepAlive On
# Longer than the lab clients keep an idle connection (20 s), as for the backends.
KeepAliveTimeout 30
ProxyPreserveHost On
ProxyTimeout 60
CONF
        tls_directives apache
        # name address:port backend certificate
        while read -r app addr port backend site; do
            [[ "$app" == tomcat || "$app" == shop ]] || needs "$app" || continue   # the default three always run
            cat <<CONF
Listen $addr:$port
<VirtualHost $addr:$port>
    ServerName $site
    SSLEngine on
    SSLCertificateFile $certs/$site.crt
    SSLCertificateKeyFile $certs/$site.key
    ProxyPass / $backend/
    ProxyPassReverse / $backend/
</VirtualHost>
CONF
        done <<SITES
tomcat 127.0.20.1 8443 http://127.0.20.1:8080 apps.lab.example
shop 127.0.30.1 443 http://127.0.30.1:80 shop.lab.example
apache-php 127.0.40.1 443 http://127.0.40.1:80 gallery.lab.example
mono-aspx 127.0.90.1 443 http://127.0.90.1:80 intranet.lab.example
SITES
    } > "$work/front.conf"
fi

# ------------------------------------------------------------------ start the servers
log "starting nginx + php-fpm (DokuWiki), Tomcat (examples) and Kestrel (shop) in namespace $ns"
"${in_ns[@]}" "$phpfpm" -F -y "$work/php-fpm.conf" > "$work/php-fpm.out" 2>&1 & pids+=($!)
"${in_ns[@]}" nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' > "$work/nginx.out" 2>&1 & pids+=($!)
"${in_ns[@]}" env CATALINA_HOME=/usr/share/tomcat10 CATALINA_BASE="$tc" CATALINA_TMPDIR="$tc/temp" \
    JAVA_OPTS="-Djava.awt.headless=true -Dlab.sandbox=$sandbox -Dlab.emulators=$emulators" \
    setpriv --reuid tomcat --regid tomcat --init-groups /usr/share/tomcat10/bin/catalina.sh run > "$work/tomcat.out" 2>&1 & pids+=($!)
"${in_ns[@]}" env HOME="$work/home" DOTNET_NOLOGO=1 setpriv --reuid nobody --regid nogroup --clear-groups \
    dotnet "$repo/.build/lab/trafficsensor-lab.dll" serve-shop --address 127.0.30.1 --port 80 --sandbox "$sandbox" --backdoor-cookie RGSESSION \
    > "$work/shop.out" 2>&1 & pids+=($!)
ready_urls=(http://127.0.10.1/doku.php http://127.0.20.1:8080/examples/ http://127.0.30.1/health)
if needs apache-php; then
    # its own session: prefork signals its whole process group when it stops
    "${in_ns[@]}" setsid apache2 -f "$work/apache.conf" -DFOREGROUND > "$work/apache.out" 2>&1 & pids+=($!)
    ready_urls+=(http://127.0.40.1/)
fi
if needs iis; then
    # IIS terminates TLS itself: over HTTPS the portal's Kestrel does (OpenSSL through .NET), writing its own key log.
    iis_tls=() iis_env=()
    if ((tls)); then
        iis_env=(SSLKEYLOGFILE="$work/portal.keys")
        iis_tls=(--https-port 443 --cert "$certs/portal.lab.example.crt" --key "$certs/portal.lab.example.key" --tls-versions "$tls_versions")
        [ -n "$suites_iana" ] && iis_tls+=(--tls-suites "$suites_iana")
        touch "$work/portal.keys"; chown nobody "$work/portal.keys"; chmod 600 "$work/portal.keys"
    fi
    "${in_ns[@]}" env HOME="$work/home" DOTNET_NOLOGO=1 "${iis_env[@]}" setpriv --reuid nobody --regid nogroup --clear-groups \
        "${lab[@]}" serve-iis --address 127.0.50.1 --port 80 --sandbox "$sandbox" "${iis_tls[@]}" > "$work/iis.out" 2>&1 & pids+=($!)
    ready_urls+=(http://127.0.50.1/default.aspx)
fi
needs weblogic && ready_urls+=(http://127.0.60.1:7001/erp/)
driver_kit=()
if needs mono-aspx; then
    # Mono's ASP.NET compiles each page at its first request, into TMPDIR (removed with the work directory).
    "${in_ns[@]}" env HOME="$work/mono-home" TMPDIR="$work/mono-tmp" LAB_COMMAND_RUNNER="$work/lab-command" \
        setpriv --reuid www-data --regid www-data --clear-groups \
        fastcgi-mono-server4 /applications=/:"$msite" /socket=unix:"$work/mono-run/mono.sock" > "$work/mono.out" 2>&1 & pids+=($!)
    ready_urls+=(http://127.0.90.1/default.aspx)
    driver_kit=(--mono-kit "$kit")
fi
if ((tls)); then
    "${in_ns[@]}" env SSLKEYLOGFILE="$work/front.keys" setsid apache2 -f "$work/front.conf" -DFOREGROUND > "$work/front.out" 2>&1 & pids+=($!)
    ready_urls+=(https://127.0.10.1/doku.php https://127.0.20.1:8443/examples/ https://127.0.30.1/health)
    needs apache-php && ready_urls+=(https://127.0.40.1/)
    needs iis && ready_urls+=(https://127.0.50.1/default.aspx)
    needs weblogic && ready_urls+=(https://127.0.60.1:7002/erp/)
    needs mono-aspx && ready_urls+=(https://127.0.90.1/default.aspx)
fi

ready() { "${in_ns[@]}" curl -s -k -o /dev/null -m 2 -w '%{http_code}' "$1" | grep -q '^[23]'; }
for url in "${ready_urls[@]}"; do
    for _ in $(seq 120); do ready "$url" && break; sleep 0.5; done
    ready "$url" || { tail -n 30 "$work"/*.out "$work"/*.log >&2 2>/dev/null; echo "run.sh: $url did not come up" >&2; exit 1; }
done

# ------------------------------------------------------------------ capture and drive
mkdir -p "$out"
pcap=$out/$name.pcap
labels=$out/$name.labels.jsonl
ports="port 80 or port 8080 or port 7001" tls_flags=() driver_env=()
if ((tls)); then
    ports="port 443 or port 8443 or port 7002"
    tls_flags+=(--tls); ((h2)) && tls_flags+=(--h2)
    [ -n "$client_extra" ] && tls_flags+=(--tls-extra-suites "$client_extra")
    driver_env+=(SSLKEYLOGFILE="$work/client.keys")
fi
# The driver sends mid-session openings first (unlabelled, connections closed), says "ready", and
# starts its labelled traffic once the capture runs ("capturing").
log "driving: families=$families variants=$variants benign=$benign users=$users sessions=$sessions session-requests=$session_requests ${session_flags[*]} seed=$seed${tls_flags[*]:+ tls=$tls_versions/$tls_suite ${tls_flags[*]}}"
"${in_ns[@]}" env HOME="$work/home" DOTNET_NOLOGO=1 "${driver_env[@]}" "${lab[@]}" drive "${tls_flags[@]}" \
    --minutes "$minutes" --families "$families" --benign "$benign" --users "$users" --speed "$speed" --seed "$seed" --labels "$labels" \
    --variants "$variants" --sessions "$sessions" --session-requests "$session_requests" "${session_flags[@]}" "${driver_kit[@]}" --sync-dir "$work/sync" & drive_pid=$!
pids+=($drive_pid)
while [ ! -e "$work/sync/ready" ]; do kill -0 "$drive_pid" 2>/dev/null || { echo "run.sh: the driver stopped before the capture" >&2; exit 1; }; sleep 0.2; done
"${in_ns[@]}" tcpdump -i lo -n -s 0 -U -Z root -w "$pcap" "tcp and ($ports)" 2> "$work/tcpdump.log" & tcpdump_pid=$!
pids+=($tcpdump_pid)
for _ in $(seq 50); do grep -q listening "$work/tcpdump.log" && break; sleep 0.1; done
log "capturing to $pcap for $minutes minute(s)"
touch "$work/sync/capturing"
wait "$drive_pid"
sleep 1
kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
grep -E 'captured|dropped' "$work/tcpdump.log" >&2 || true

log "labels by family: $(grep -o '"family":"[^"]*"' "$labels" | sort | uniq -c | awk '{printf "%s=%s ", substr($2,11,length($2)-11), $1}')"
if ((tls)); then
    # The key log: the clients' lines first, then the front's that the clients did not write, of the
    # connections in the capture only (readiness probes and mid-session openings are not in it).
    keys=$out/$name.keys
    tshark -n -r "$pcap" -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.random > "$work/randoms"
    for f in client front portal; do if [ -e "$work/$f.keys" ]; then cat "$work/$f.keys"; fi; done \
        | awk 'NR == FNR { want[$1] = 1; next } NF == 3 && ($2 in want) && !seen[$0]++' "$work/randoms" - > "$keys"
    python3 "$repo/pcaps/tls/lab/expect.py" "$pcap" "$keys" > "$out/$name.expect.jsonl"
    log "$(grep -c '"type":"tls"' "$out/$name.expect.jsonl") TLS connections, $(grep -c '"type":"http"' "$out/$name.expect.jsonl") decrypted transactions; wrote $keys and $out/$name.expect.jsonl"
fi
log "wrote $pcap and $labels"
