# webdav.sh - WebDAV file shares on Apache httpd (mod_dav + mod_dav_fs, Basic auth): a sync agent
# (PROPFIND/PUT/GET/MOVE/COPY/DELETE/MKCOL/LOCK/UNLOCK/PROPPATCH, binary bodies) and the cadaver
# command-line client. The server also runs mod_php (a PHP status page the agent polls).
site_name=webdav
site_port=80
site_ports="80"
site_packages="apache2 libapache2-mod-php cadaver python3"
site_roles="10:webdav 11:cadaver 12:webdav"
webdav_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/webdav

site_start() {
    local work=$1 addr=$2
    source "$TSAPPS_LIB/php-sites.sh"
    mkdir -p "$work/www" "$work/dav/shared/projects" "$work/dav/shared/photos" "$work/dav/home/alice" "$work/dav/home/bob" "$work/locks"
    printf '<?php header("Content-Type: application/json"); echo json_encode(["status" => "ok", "time" => time(), "free" => disk_free_space(__DIR__)]);\n' > "$work/www/status.php"
    local i
    for i in 1 2 3 4 5; do
        head -c $((2000 * i)) /dev/urandom | base64 > "$work/dav/shared/projects/notes-$i.txt"
        printf 'id,name,value\n%d,item,%d\n' "$i" "$((i * 37))" > "$work/dav/home/alice/data-$i.csv"
    done
    head -c 60000 /dev/urandom > "$work/dav/shared/photos/IMG_0001.jpg"
    htpasswd -cbB "$work/dav.passwd" alice 'alice-dav-pw' 2> /dev/null
    htpasswd -bB "$work/dav.passwd" bob 'bob-dav-pw' 2> /dev/null
    chown -R www-data:www-data "$work/dav" "$work/locks" "$work/www"
    cat > "$work/site.conf" <<CONF
DocumentRoot $work/www
<Directory $work/www>
    Require all granted
</Directory>
DavLockDB $work/locks/DavLock
Alias /dav $work/dav
<Directory $work/dav>
    DAV On
    Options +Indexes
    AuthType Basic
    AuthName "Files"
    AuthUserFile $work/dav.passwd
    Require valid-user
    php_admin_flag engine off
</Directory>
CONF
    APACHE_EXTRA_MODS=dav apache_start "$work" "$addr" 80 "$work/site.conf"
    wait_http "http://$addr/status.php"
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5
    source "$TSAPPS_LIB/php-sites.sh"
    RANDOM=$seed
    client_py "$webdav_here/sync_agent.py" "$addr" 80 "$cb.10" "$seed" "$seconds" alice alice-dav-pw &
    client_py "$webdav_here/sync_agent.py" "$addr" 80 "$cb.12" "$((seed + 2))" "$seconds" bob bob-dav-pw &
    # cadaver cannot choose a source address: the runner's bind shim gives it one
    mkdir -p "$work/cadaver"
    printf 'machine %s login alice password alice-dav-pw\n' "$addr" > "$work/cadaver/.netrc"
    chmod 600 "$work/cadaver/.netrc"
    (
        end=$((SECONDS + seconds)); n=0
        while ((SECONDS < end - 5)); do
            n=$((n + 1))
            head -c $((RANDOM % 40000 + 500)) /dev/urandom > "$work/cadaver/upload-$n.bin"
            printf 'ls\ncd projects\nls\nput %s report-%d.bin\nget notes-%d.txt %s/got.txt\npropget report-%d.bin\nmkcol tmp-%d\nmove report-%d.bin tmp-%d/report.bin\nls tmp-%d\nrmcol tmp-%d\nquit\n' \
                "$work/cadaver/upload-$n.bin" "$n" "$((n % 5 + 1))" "$work/cadaver" "$n" "$n" "$n" "$n" "$n" "$n" \
                | HOME="$work/cadaver" TSAPPS_BIND_ADDR="$cb.11" LD_PRELOAD="$TSAPPS_BIND_SO" timeout 60 cadaver "http://$addr/dav/shared/" > "$work/cadaver/out-$n.log" 2>&1 \
                || echo "ERROR cadaver round $n: $(tail -n 2 "$work/cadaver/out-$n.log" | tr '\n' ' ')"
            rm -f "$work/cadaver/upload-$n.bin" "$work/cadaver/got.txt"
            sleep $((RANDOM % 40 + 20))
        done
    ) &
    wait
}
