# aptrepo.sh - a signed Debian package repository served by nginx, used by real apt-get.
# The repository (sites/aptrepo/publish.sh): .deb files built with dpkg-deb, Packages(.gz/.xz)
# and a Release signed into InRelease/Release.gpg by apt-ftparchive + gpg; a new upload every few
# minutes changes the indexes. Clients: 10-12 three "hosts" running apt-get update (conditional
# requests: If-Modified-Since on the indexes, 404 for the translations apt asks for) and apt-get
# download/install --download-only (with resumed partial downloads: Range requests), each with its
# own state and cache directories (no system change); 13 a mirror checker (HEAD, conditional GET,
# byte ranges with curl) and an unattended-upgrades-like reporter.
site_name=aptrepo
site_port=80
site_ports="80"
site_packages="nginx apt apt-utils dpkg-dev gnupg xz-utils curl gcc libc6-dev"
site_roles="10:apt 11:apt 12:apt 13:mirror"
svc_apt_dir="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/aptrepo"
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/_svc/common.sh"

site_start() {
    local work=$1 addr=$2
    mkdir -p "$work/repo" "$work/gnupg" "$work/nginx-tmp"
    chmod 700 "$work/gnupg"
    GNUPGHOME=$work/gnupg gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key \
        "Lab Repository Signing Key <repo@lab.example>" rsa3072 sign never > /dev/null 2>&1
    GNUPGHOME=$work/gnupg gpg --batch --export repo@lab.example > "$work/lab-archive-keyring.gpg"
    bash "$svc_apt_dir/publish.sh" "$work/repo" "$work/gnupg" 0
    cat > "$work/nginx.conf" <<CONF
user www-data;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    types { application/vnd.debian.binary-package deb; application/x-xz xz; }
    access_log $work/access.log;
    client_body_temp_path $work/nginx-tmp/body;
    proxy_temp_path $work/nginx-tmp/proxy;
    fastcgi_temp_path $work/nginx-tmp/fcgi;
    uwsgi_temp_path $work/nginx-tmp/uwsgi;
    scgi_temp_path $work/nginx-tmp/scgi;
    sendfile on;
    server {
        listen $addr:80;
        server_name deb.lab.example;
        root $work/repo;
        location / { autoindex on; }
        location = /lab-archive-keyring.gpg { alias $work/lab-archive-keyring.gpg; }
    }
}
CONF
    nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' > "$work/nginx.out" 2>&1 &
    echo $! >> "$work/pids"
    svc_wait_http "http://$addr/debian/dists/bookworm-lab/Release"
}

# _apt_host WORK ADDR SRC SEED END: one machine's apt, in private directories.
_apt_host() {
    local work=$1 addr=$2 src=$3 end=$5 shim h
    RANDOM=$4
    shim=$(svc_shim "$work")
    h=$work/host-$src
    mkdir -p "$h/etc/sources.list.d" "$h/etc/preferences.d" "$h/etc/apt.conf.d" "$h/state/lists/partial" "$h/cache/archives/partial" "$h/dl"
    # a minimal dpkg status: what the lab packages depend on is "installed"
    printf 'Package: libc6\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 2.36-9+deb12u14\nMulti-Arch: same\nDescription: GNU C Library\n\nPackage: ca-certificates\nStatus: install ok installed\nPriority: optional\nArchitecture: all\nVersion: 20230311+deb12u1\nDescription: Common CA certificates\n\n' > "$h/status"
    cp "$work/lab-archive-keyring.gpg" "$h/keyring.gpg"
    echo "deb [signed-by=$h/keyring.gpg] http://$addr/debian bookworm-lab main" > "$h/etc/sources.list"
    local apt=(env LD_PRELOAD="$shim" TSSVC_SRC="$src" timeout 120 apt-get -q -o Dir::Etc="$h/etc" -o Dir::Etc::sourcelist="$h/etc/sources.list"
        -o Dir::Etc::sourceparts=- -o Dir::Etc::parts="$h/etc/apt.conf.d" -o Dir::Etc::preferencesparts="$h/etc/preferences.d"
        -o Dir::State="$h/state" -o Dir::State::status="$h/status" -o Dir::Cache="$h/cache" -o Debug::NoLocking=1
        -o APT::Sandbox::User=root -o APT::Architecture=amd64 -o APT::Architectures::=amd64
        -o Acquire::http::User-Agent="Debian APT-HTTP/1.3 (2.6.1)")
    local pkgs=(lab-agent lab-tools lab-docs liblabcore1 lab-backup lab-certs)
    while svc_until "$end"; do
        "${apt[@]}" update > "$h/update.log" 2>&1 || true
        if ((RANDOM % 2)); then
            local p=${pkgs[RANDOM % ${#pkgs[@]}]}
            # a download cut short last time: apt resumes it with a Range request
            if ((RANDOM % 3 == 0)); then
                local f; f=$(ls "$work"/repo/debian/pool/main/*/"$p"/*.deb 2>/dev/null | sort -V | tail -n 1)
                [ -n "$f" ] && head -c $(($(stat -c %s "$f") / (2 + RANDOM % 4))) "$f" > "$h/cache/archives/partial/$(basename "$f" | sed 's/:/%3a/')"
            fi
            "${apt[@]}" -y -d install "$p" > "$h/install.log" 2>&1 || true
            ((RANDOM % 3)) && rm -f "$h"/cache/archives/*.deb
        fi
        ((RANDOM % 4)) || (cd "$h/dl" && "${apt[@]}" download "${pkgs[RANDOM % ${#pkgs[@]}]}" > /dev/null 2>&1; rm -f "$h"/dl/*.deb)
        svc_sleep "$end" $((20 + RANDOM % 60))
    done
}

_apt_mirror() {
    local addr=$1 src=$2 end=$4 base=http://$1/debian
    RANDOM=$3
    local c=(curl -s -o /dev/null -m 30 --interface "$src")
    while svc_until "$end"; do
        local lm; lm=$(curl -sI -m 10 --interface "$src" -A "mirror-check/0.6" "$base/dists/bookworm-lab/InRelease" | sed -n 's/^Last-Modified: //ip' | tr -d '\r')
        [ -n "$lm" ] && "${c[@]}" -A "mirror-check/0.6" -H "If-Modified-Since: $lm" "$base/dists/bookworm-lab/Release"
        "${c[@]}" -A "mirror-check/0.6" "$base/dists/bookworm-lab/Release.gpg"
        if ((RANDOM % 2)); then   # a download manager fetching a .deb in two ranges
            local f; f=$(curl -s -m 10 --interface "$src" -A "Wget/1.21.3" "$base/pool/main/l/lab-docs/" | grep -o 'href="[^"]*\.deb"' | head -n 1 | cut -d'"' -f2)
            if [ -n "$f" ]; then
                "${c[@]}" -A "aria2/1.36.0" -r 0-65535 "$base/pool/main/l/lab-docs/$f"
                "${c[@]}" -A "aria2/1.36.0" -r 65536- "$base/pool/main/l/lab-docs/$f"
            fi
        fi
        ((RANDOM % 5)) || "${c[@]}" -A "Wget/1.21.3" "http://$addr/lab-archive-keyring.gpg"
        ((RANDOM % 6)) || "${c[@]}" -A "Wget/1.21.3" "$base/dists/bookworm-lab/main/binary-amd64/Packages.gz"
        svc_sleep "$end" $((30 + RANDOM % 40))
    done
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5 end
    end=$(($(date +%s) + seconds))
    (   # the archive: a new upload every 3-6 minutes
        local round=1; RANDOM=$seed
        while svc_until "$end"; do
            svc_sleep "$end" $((180 + RANDOM % 180)); svc_until "$end" || break
            bash "$svc_apt_dir/publish.sh" "$work/repo" "$work/gnupg" "$round" > /dev/null 2>&1; round=$((round + 1))
        done
    ) &
    local i
    for i in 10 11 12; do sleep $((RANDOM % 10)); _apt_host "$work" "$addr" "$cb.$i" "$((seed + i))" "$end" & done
    _apt_mirror "$addr" "$cb.13" "$((seed + 13))" "$end" &
    wait
}
