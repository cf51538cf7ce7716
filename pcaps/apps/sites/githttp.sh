# githttp.sh - Git smart HTTP: Apache 2.4 running git-http-backend (CGI) over bare repositories,
# anonymous fetch and authenticated push (basic auth on git-receive-pack).
# The wire: GET info/refs?service=..., POST git-upload-pack / git-receive-pack with binary
# pkt-line and pack bodies (sometimes gzip-encoded), protocol v2 and v0, 401 challenges.
# Clients (real git through the source-address shim): 10 developers (clone, fetch, commit, push),
# 11 a CI poller (ls-remote every half minute, shallow clones), 12 a dependency bot (info/refs
# with curl, archive-less raw look-ups that 404).
site_name=githttp
site_port=80
site_ports="80"
site_packages="apache2 git curl gcc libc6-dev"
site_roles="10:developer 11:ci 12:bot"
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/_svc/common.sh"

_git_env() { echo "GIT_AUTHOR_NAME=$1 GIT_AUTHOR_EMAIL=$1@lab.example GIT_COMMITTER_NAME=$1 GIT_COMMITTER_EMAIL=$1@lab.example HOME=$2"; }

site_start() {
    local work=$1 addr=$2 a=$1/apache
    mkdir -p "$a/logs" "$work/git/lab" "$work/seed" "$work/home"
    for r in desk infra docs; do
        git init -q --bare -b main "$work/git/lab/$r.git"
        git -C "$work/git/lab/$r.git" config http.receivepack true
        git -C "$work/git/lab/$r.git" config receive.denyNonFastForwards false
        git init -q -b main "$work/seed/$r"
        for i in $(seq 1 12); do
            mkdir -p "$work/seed/$r/src/mod$((i % 4))"
            { echo "# $r module $i"; head -c 3000 /dev/urandom | base64; } > "$work/seed/$r/src/mod$((i % 4))/file$i.txt"
            git -C "$work/seed/$r" add -A
            env $(_git_env alice "$work/home") git -C "$work/seed/$r" commit -q -m "$r: change $i"
        done
        git -C "$work/seed/$r" push -q "$work/git/lab/$r.git" main
    done
    chown -R www-data:www-data "$work/git"
    printf 'alice:%s\nbob:%s\nci-bot:%s\n' "$(openssl passwd -apr1 alice-git-pw)" "$(openssl passwd -apr1 bob-git-pw)" "$(openssl passwd -apr1 ci-token-9)" > "$a/htpasswd"
    local m=/usr/lib/apache2/modules
    cat > "$a/httpd.conf" <<CONF
ServerRoot $a
ServerName git.lab.example
Listen $addr:80
PidFile $a/httpd.pid
Mutex file:$a
User www-data
Group www-data
ErrorLog $a/logs/error.log
LogLevel warn
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule authz_user_module $m/mod_authz_user.so
LoadModule authn_core_module $m/mod_authn_core.so
LoadModule authn_file_module $m/mod_authn_file.so
LoadModule auth_basic_module $m/mod_auth_basic.so
LoadModule alias_module $m/mod_alias.so
LoadModule env_module $m/mod_env.so
LoadModule cgi_module $m/mod_cgi.so
LoadModule mime_module $m/mod_mime.so
LoadModule dir_module $m/mod_dir.so
TypesConfig /etc/mime.types
StartServers 2
MinSpareServers 2
MaxSpareServers 6
DocumentRoot $work/git
SetEnv GIT_PROJECT_ROOT $work/git
SetEnv GIT_HTTP_EXPORT_ALL 1
SetEnv GIT_HTTP_MAX_REQUEST_BUFFER 50M
ScriptAlias /git/ /usr/lib/git-core/git-http-backend/
<Directory /usr/lib/git-core>
    Options +ExecCGI
    Require all granted
</Directory>
<Directory $work/git>
    Require all granted
</Directory>
<LocationMatch "^/git/.*/git-receive-pack\$">
    AuthType Basic
    AuthName "Lab Git"
    AuthUserFile $a/htpasswd
    Require valid-user
</LocationMatch>
<LocationMatch "^/git/.*/info/refs\$">
    <If "%{QUERY_STRING} =~ /service=git-receive-pack/">
        AuthType Basic
        AuthName "Lab Git"
        AuthUserFile $a/htpasswd
        Require valid-user
    </If>
</LocationMatch>
CONF
    apache2 -d "$a" -f "$a/httpd.conf" -DFOREGROUND > "$a/logs/out.log" 2>&1 &
    echo $! >> "$work/pids"
    svc_wait_http "http://$addr/git/lab/desk.git/info/refs?service=git-upload-pack"
}

# _git_dev WORK ADDR SRC SEED END USER PASSWORD: a developer's day: clone, pull, commit, push.
_git_dev() {
    local work=$1 addr=$2 src=$3 end=$5 user=$6 pw=$7 shim h
    RANDOM=$4
    shim=$(svc_shim "$work")
    h=$work/dev-$user; mkdir -p "$h"
    printf 'http://%s:%s@%s\n' "$user" "$pw" "$addr" > "$h/.git-credentials"
    local g=(env HOME="$h" LD_PRELOAD="$shim" TSSVC_SRC="$src" GIT_TERMINAL_PROMPT=0 $(_git_env "$user" "$h")
             timeout 120 git -c credential.helper="store --file=$h/.git-credentials" -c init.defaultBranch=main)
    local repos=(desk infra docs)
    while svc_until "$end"; do
        local r=${repos[RANDOM % 3]} v=2
        ((RANDOM % 4)) || v=0
        if [ ! -d "$h/$r" ] || ((RANDOM % 8 == 0)); then
            rm -rf "$h/$r"
            "${g[@]}" -c protocol.version=$v clone -q "http://$addr/git/lab/$r.git" "$h/$r" || { svc_sleep "$end" 10; continue; }
        else
            "${g[@]}" -C "$h/$r" -c protocol.version=$v pull -q --rebase origin main || "${g[@]}" -C "$h/$r" reset -q --hard origin/main
        fi
        if ((RANDOM % 2)); then
            for _ in $(seq $((1 + RANDOM % 3))); do
                local f="$h/$r/src/mod$((RANDOM % 4))/file$((RANDOM % 20)).txt"
                mkdir -p "$(dirname "$f")"
                { date -u; head -c $((200 + RANDOM % 4000)) /dev/urandom | base64; } >> "$f"
                ((RANDOM % 5)) || head -c $((2000 + RANDOM % 30000)) /dev/urandom > "$h/$r/assets-$RANDOM.bin"
                "${g[@]}" -C "$h/$r" add -A
                "${g[@]}" -C "$h/$r" commit -q -m "$(shuf -n 1 -e 'Fix typo in docs' 'Refactor module loader' 'Add retry to client' 'Update dependencies' 'WIP: new report')"
            done
            "${g[@]}" -C "$h/$r" push -q origin main || { "${g[@]}" -C "$h/$r" pull -q --rebase origin main && "${g[@]}" -C "$h/$r" push -q origin main; } || true
        fi
        svc_sleep "$end" $((15 + RANDOM % 45))
    done
}

_git_ci() {
    local work=$1 addr=$2 src=$3 end=$5 shim
    RANDOM=$4
    shim=$(svc_shim "$work")
    mkdir -p "$work/ci"
    local g=(env HOME="$work/ci" LD_PRELOAD="$shim" TSSVC_SRC="$src" GIT_TERMINAL_PROMPT=0 timeout 120 git)
    local repos=(desk infra docs)
    while svc_until "$end"; do
        for r in "${repos[@]}"; do "${g[@]}" ls-remote --heads "http://$addr/git/lab/$r.git" > /dev/null 2>&1; done
        if ((RANDOM % 5 == 0)); then   # a build: shallow checkout
            rm -rf "$work/ci/build"
            "${g[@]}" -c protocol.version=2 clone -q --depth 1 --single-branch "http://$addr/git/lab/${repos[RANDOM % 3]}.git" "$work/ci/build" > /dev/null 2>&1
        fi
        svc_sleep "$end" $((20 + RANDOM % 20))
    done
}

_git_bot() {
    local addr=$1 src=$2 end=$4
    RANDOM=$3
    local c=(curl -s -o /dev/null -m 20 --interface "$src" -A "renovate/37.100.0 (git)")
    while svc_until "$end"; do
        local r=$(shuf -n 1 -e desk infra docs)
        "${c[@]}" -H "Git-Protocol: version=2" "http://$addr/git/lab/$r.git/info/refs?service=git-upload-pack"
        "${c[@]}" "http://$addr/git/lab/$r.git/HEAD"
        ((RANDOM % 3)) || "${c[@]}" "http://$addr/git/lab/$r.git/raw/main/package.json"   # a forge URL this server does not have: 404
        ((RANDOM % 4)) || "${c[@]}" "http://$addr/git/lab/$r.git/info/refs?service=git-receive-pack"   # 401
        svc_sleep "$end" $((30 + RANDOM % 60))
    done
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5 end
    end=$(($(date +%s) + seconds))
    _git_dev "$work" "$addr" "$cb.10" "$seed" "$end" alice alice-git-pw &
    _git_dev "$work" "$addr" "$cb.10" "$((seed + 7))" "$end" bob bob-git-pw &
    _git_ci "$work" "$addr" "$cb.11" "$((seed + 1))" "$end" &
    _git_bot "$addr" "$cb.12" "$((seed + 2))" "$end" &
    wait
}
