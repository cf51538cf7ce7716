# shopapi.sh - an ASP.NET Core (Kestrel, .NET 10) JSON shop API: src/TrafficSensor.Lab.Apps.
# JWT bearer auth (Microsoft.AspNetCore.Authentication.JwtBearer, HS256), products with
# GET/POST/PUT/PATCH/DELETE, ETag/304, cart and orders with Idempotency-Key, raw image PUTs and
# multipart uploads, CORS preflights, SignalR order updates over long polling, remote config and
# telemetry batches, health. Clients (the same program): 10 mobile app with SDK headers
# (X-App-Version, X-Device-Id, X-Request-Id, X-Platform), 11 web front end from another origin
# (OPTIONS preflights), 12 ERP sync job (admin writes, binary uploads), 13 SignalR long polling,
# 14 a load balancer's health checks (curl).
site_name=shopapi
site_port=5000
site_ports="5000"
site_packages="curl"
site_roles="10:mobile 11:spa 12:admin-sync 13:signalr 14:health"
svc_shop_repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../../.." && pwd)"
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/_svc/common.sh"

site_start() {
    local work=$1 addr=$2
    mkdir -p "$work/home"; chmod 777 "$work/home"
    dotnet build "$svc_shop_repo/src/TrafficSensor.Lab.Apps/TrafficSensor.Lab.Apps.csproj" -c Release \
        -o "$svc_shop_repo/.build/lab-apps" --nologo -v quiet > "$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; return 1; }
    env HOME="$work/home" DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 setpriv --reuid nobody --regid nogroup --clear-groups \
        dotnet "$svc_shop_repo/.build/lab-apps/trafficsensor-lab-apps.dll" serve-shopapi --address "$addr" --port 5000 > "$work/shopapi.log" 2>&1 &
    echo $! >> "$work/pids"
    svc_wait_http "http://$addr:5000/health/live" 120
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5 end i=10
    end=$(($(date +%s) + seconds))
    for role in mobile spa admin hub; do
        env HOME="$work/home" DOTNET_NOLOGO=1 dotnet "$svc_shop_repo/.build/lab-apps/trafficsensor-lab-apps.dll" client --role "$role" \
            --base "http://$addr:5000" --source "$cb.$i" --seed "$((seed * 100 + i))" --seconds "$seconds" &
        i=$((i + 1))
    done
    (   # 14: load balancer health checks
        while svc_until "$end"; do
            curl -s -o /dev/null -m 5 --interface "$cb.14" -A "ELB-HealthChecker/2.0" "http://$addr:5000/health/live"
            ((RANDOM % 4)) || curl -s -o /dev/null -m 5 --interface "$cb.14" -A "ELB-HealthChecker/2.0" "http://$addr:5000/health"
            svc_sleep "$end" 5
        done
    ) &
    wait
}
