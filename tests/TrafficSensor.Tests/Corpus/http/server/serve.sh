#!/usr/bin/env bash
# Starts the corpus's judge: nginx 1.22 + php-fpm 8.2 (Debian's nginx, php8.2-fpm) on 127.0.88.1:8080,
# everything under /tmp/tshttp-srv. Stop with: kill $(cat /tmp/tshttp-srv/nginx.pid) $(cat /tmp/tshttp-srv/fpm.pid)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
srv=/tmp/tshttp-srv
mkdir -p "$srv/www" "$srv/logs"
cp "$here/nginx.conf" "$here/fpm.conf" "$srv/"
cp "$here/shell.php" "$srv/www/"
chmod 755 "$srv" "$srv/www"; chmod 777 "$srv/logs"; chmod 644 "$srv/www/shell.php"
php-fpm8.2 -y "$srv/fpm.conf"
nginx -c "$srv/nginx.conf"
