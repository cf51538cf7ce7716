# flask.sh - "Lab Desk", a helpdesk written with Debian's python3-flask, served by gunicorn.
# Pages with CSRF-protected forms and a signed session cookie, JSON ajax with X-CSRFToken, a
# bearer-token REST API (GET/POST/PUT/PATCH/DELETE, CORS preflight, ETag/304, raw binary PUT),
# long polling, a webhook receiver checking X-Hub-Signature-256, empty-body cron POSTs, an
# analytics beacon with long query strings, health and metrics endpoints.
# Clients (python3-requests, sites/flask/clients.py): 10 web user, 11 REST API, 12 webhooks,
# 13 cron, 14 long polling, 15 health checker; browsers run sites/flask/browse.mjs.
site_name=flask
site_port=8000
site_ports="8000"
site_packages="python3-flask gunicorn python3-requests curl"
site_roles="10:web 11:api 12:webhook 13:cron 14:longpoll 15:health"
svc_flask_dir="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/flask"
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/_svc/common.sh"

site_start() {
    local work=$1 addr=$2
    cp -r "$svc_flask_dir" "$work/app"
    chmod -R a+rX "$work/app"
    # gthread: one process (state in memory), threads so long polls do not block other users
    (cd "$work/app" && exec setpriv --reuid nobody --regid nogroup --clear-groups \
        /usr/bin/python3 /usr/bin/gunicorn --bind "$addr:8000" --worker-class gthread --workers 1 --threads 24 \
        --keep-alive 5 --timeout 60 --access-logfile - app:app) > "$work/gunicorn.log" 2>&1 &
    echo $! >> "$work/pids"
    svc_wait_http "http://$addr:8000/readyz"
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5 i=10
    for role in web api hook cron poll health; do
        /usr/bin/python3 "$work/app/clients.py" "$role" "http://$addr:8000" "$cb.$i" "$seed" "$seconds" &
        i=$((i + 1))
    done
    wait
}

site_browse() { echo "$svc_flask_dir/browse.mjs"; }
