# dokuwiki.sh - DokuWiki (Debian's package, a private copy) on nginx + php-fpm, with its XML-RPC
# remote API used by a bot that reads and edits pages, and a monitoring probe.
site_name=dokuwiki
site_port=80
site_ports="80"
site_packages="nginx php-fpm php-xml php-mbstring dokuwiki python3"
site_roles="10:xmlrpc 11:monitor"
dokuwiki_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/dokuwiki

site_start() {
    local work=$1 addr=$2
    source "$TSAPPS_LIB/php-sites.sh"
    local dw=$work/dokuwiki
    cp -rL /usr/share/dokuwiki "$dw"
    rm -f "$dw/.htaccess"
    cp -rL /etc/dokuwiki "$work/conf"
    cp -rL /var/lib/dokuwiki/data "$work/data"
    printf "<?php\nif (!defined('DOKU_CONF')) define('DOKU_CONF', '%s/conf/');\n" "$work" > "$dw/inc/preload.php"
    cat > "$work/conf/local.protected.php" <<PHP
<?php
\$conf['savedir'] = '$work/data';
\$conf['title'] = 'Team Wiki';
\$conf['useacl'] = 1;
\$conf['superuser'] = '@admin';
\$conf['userewrite'] = 0;
\$conf['remote'] = 1;
\$conf['remoteuser'] = '@admin,@bot';
\$conf['youarehere'] = 1;
\$conf['breadcrumbs'] = 10;
PHP
    : > "$work/conf/users.auth.php"
    local u hash
    for u in alice bob carol dave erin frank grace heidi; do
        hash=$(php -r 'echo password_hash($argv[1], PASSWORD_BCRYPT);' "pw-$u-2024")
        printf '%s:%s:%s:%s@team.example:admin,user\n' "$u" "$hash" "${u^}" "$u" >> "$work/conf/users.auth.php"
    done
    hash=$(php -r 'echo password_hash($argv[1], PASSWORD_BCRYPT);' "bot-secret-7731")
    printf 'syncbot:%s:Sync Bot:bot@team.example:bot,user\n' "$hash" >> "$work/conf/users.auth.php"
    printf '*\t@ALL\t1\n*\t@user\t16\n' > "$work/conf/acl.auth.php"
    mkdir -p "$work/data/pages/"{ops,dev,team,howto}
    printf '====== Team Wiki ======\n\nStart here: [[ops:runbook]], [[ops:backups]], [[dev:api]], [[dev:release-notes]], [[team:contacts]], [[howto:vpn]].\n' > "$work/data/pages/start.txt"
    local p i
    for p in ops/runbook ops/backups ops/oncall dev/api dev/release-notes dev/coding-style team/contacts team/meetings howto/vpn howto/printer; do
        { printf '====== %s ======\n\n' "${p#*/}"; for i in $(seq 1 12); do printf '===== Section %d =====\nNotes on %s, step %d. See [[start]] and [[%s]].\n  * item one\n  * item two\n\n' "$i" "$p" "$i" "${p%%/*}:${p#*/}"; done; } > "$work/data/pages/$p.txt"
    done
    chown -R www-data:www-data "$dw" "$work/conf" "$work/data"
    printf '        location / { try_files $uri $uri/ =404; }\n        location ~ /(conf|data|inc|bin)/ { deny all; }\n' > "$work/server.conf"
    fpm_nginx_start "$work" "$addr" 80 "$dw" "$work/server.conf"
    wait_http "http://$addr/doku.php"
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5
    source "$TSAPPS_LIB/php-sites.sh"
    client_py "$dokuwiki_here/xmlrpc_bot.py" "$addr" 80 "$cb.10" "$seed" "$seconds" &
    client_py "$TSAPPS_LIB/monitor.py" "$addr" 80 "$cb.11" "$((seed + 1))" "$seconds" /doku.php /lib/exe/css.php "/doku.php?id=start&do=export_raw" /robots.txt &
    wait
}

site_browse() { echo "$dokuwiki_here/browse.mjs"; }
