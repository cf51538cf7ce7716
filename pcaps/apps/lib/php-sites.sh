# php-sites.sh - what the PHP sites of pcaps/apps share: a private Apache httpd (prefork + mod_php,
# optionally mod_dav) or a private nginx + php-fpm pair, each bound to the site's address only and
# configured from the site's work directory; and waiting until a URL answers.
# Sourced by pcaps/apps/sites/*.sh inside the lab's namespace; every server's PID goes to WORK/pids.

phpver=$(php -r 'echo PHP_MAJOR_VERSION.".".PHP_MINOR_VERSION;')

# wait_http URL [TRIES]: until the URL answers 2xx/3xx/401 (0.5 s apart)
wait_http() {
    local url=$1 tries=${2:-120}
    for _ in $(seq "$tries"); do
        curl -s -o /dev/null -m 3 -w '%{http_code}' "$url" | grep -qE '^(2|3|401)' && return 0
        sleep 0.5
    done
    echo "wait_http: $url did not answer" >&2
    return 1
}

# apache_start WORK ADDR PORT SITECONF: SITECONF is the site's own directives (DocumentRoot, ...)
apache_start() {
    local work=$1 addr=$2 port=$3 siteconf=$4 m=/usr/lib/apache2/modules
    mkdir -p "$work/apache/logs" "$work/apache/run"
    local mods="mpm_prefork authz_core authz_host authz_user authn_core authn_file auth_basic dir mime alias rewrite
        setenvif headers deflate filter env expires autoindex access_compat negotiation"
    {
        for mod in $mods; do echo "LoadModule ${mod}_module $m/mod_$mod.so"; done
        echo "LoadModule php_module $m/libphp$phpver.so"
        [[ " ${APACHE_EXTRA_MODS:-} " == *" dav "* ]] && printf 'LoadModule dav_module %s/mod_dav.so\nLoadModule dav_fs_module %s/mod_dav_fs.so\nLoadModule dav_lock_module %s/mod_dav_lock.so\n' "$m" "$m" "$m"
        cat <<CONF
ServerRoot $work/apache
ServerName $addr
Listen $addr:$port
PidFile $work/apache/run/httpd.pid
DefaultRuntimeDir $work/apache/run
Mutex file:$work/apache/run default
User www-data
Group www-data
ErrorLog $work/apache/logs/error.log
LogLevel warn
LogFormat "%h %l %u %t \"%r\" %>s %b" common
CustomLog $work/apache/logs/access.log common
StartServers 3
MinSpareServers 2
MaxSpareServers 6
MaxRequestWorkers 24
KeepAlive On
KeepAliveTimeout 5
MaxKeepAliveRequests 100
TypesConfig /etc/mime.types
AddDefaultCharset UTF-8
DirectoryIndex index.php index.html
AddOutputFilterByType DEFLATE text/html text/plain text/css application/javascript text/javascript application/json application/xml text/xml image/svg+xml
<FilesMatch "\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Files ".ht*">
    Require all denied
</Files>
php_admin_value upload_max_filesize 16M
php_admin_value post_max_size 20M
php_admin_value session.save_path $work/sessions
php_admin_value sys_temp_dir $work/tmp
php_admin_value upload_tmp_dir $work/tmp
CONF
        cat "$siteconf"
    } > "$work/apache/httpd.conf"
    mkdir -p "$work/sessions" "$work/tmp"
    chown www-data:www-data "$work/sessions" "$work/tmp"
    apache2 -d "$work/apache" -f "$work/apache/httpd.conf" -t > /dev/null 2>&1 || apache2 -d "$work/apache" -f "$work/apache/httpd.conf" -t
    # its own session: on stop, Apache signals its whole process group
    APACHE_LOG_DIR=$work/apache/logs setsid apache2 -d "$work/apache" -f "$work/apache/httpd.conf" -DFOREGROUND > "$work/apache/logs/stdout.log" 2>&1 &
    echo $! >> "$work/pids"
}

# fpm_nginx_start WORK ADDR PORT ROOT SERVERCONF [FPMENV]: nginx serving ROOT, PHP via a private
# php-fpm pool on a unix socket; SERVERCONF holds the site's location blocks.
fpm_nginx_start() {
    local work=$1 addr=$2 port=$3 root=$4 serverconf=$5
    mkdir -p "$work/nginx/tmp" "$work/sessions" "$work/tmp"
    chown www-data:www-data "$work/sessions" "$work/tmp"
    cat > "$work/php-fpm.conf" <<CONF
[global]
pid = $work/php-fpm.pid
error_log = $work/php-fpm.log
daemonize = no
[site]
user = www-data
group = www-data
listen = $work/php.sock
listen.owner = www-data
listen.group = www-data
pm = static
pm.max_children = 6
php_admin_value[session.save_path] = $work/sessions
php_admin_value[upload_tmp_dir] = $work/tmp
php_admin_value[sys_temp_dir] = $work/tmp
php_admin_value[upload_max_filesize] = 16M
php_admin_value[post_max_size] = 20M
${FPM_EXTRA:-}
CONF
    cat > "$work/nginx/nginx.conf" <<CONF
user www-data;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log $work/nginx/access.log;
    client_body_temp_path $work/nginx/tmp/body;
    fastcgi_temp_path $work/nginx/tmp/fcgi;
    proxy_temp_path $work/nginx/tmp/proxy;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    client_max_body_size 20m;
    gzip on;
    gzip_types text/css application/javascript text/plain application/json application/xml text/xml image/svg+xml;
    server {
        listen $addr:$port;
        server_name $addr;
        root $root;
        index index.php doku.php index.html;
$(cat "$serverconf")
        location ~ \.php(/|\$) {
            fastcgi_split_path_info ^(.+?\.php)(/.*)\$;
            try_files \$fastcgi_script_name =404;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_param PATH_INFO \$fastcgi_path_info;
            fastcgi_pass unix:$work/php.sock;
        }
    }
}
CONF
    local fpm
    fpm=$(ls /usr/sbin/php-fpm* | sort -V | tail -n 1)
    "$fpm" -F -y "$work/php-fpm.conf" > "$work/php-fpm.out" 2>&1 &
    echo $! >> "$work/pids"
    nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' > "$work/nginx/stdout.log" 2>&1 &
    echo $! >> "$work/pids"
}

# mysql_db NAME USER PASSWORD: a database and its user on the runner's private MariaDB
mysql_db() {
    mariadb -S "$TSAPPS_MYSQL_SOCK" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$1\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$2'@'localhost' IDENTIFIED BY '$3';
GRANT ALL ON \`$1\`.* TO '$2'@'localhost';
SQL
}

# client_py SCRIPT ARGS...: a machine client (python, standard library + lib/webclient.py)
client_py() { PYTHONPATH="$TSAPPS_LIB" python3 "$@"; }
