# prometheus.sh - Debian's Prometheus, Alertmanager and node exporter, as a monitoring stack runs.
# Prometheus (ADDR:9090) scrapes itself, the node exporter (ADDR:9100) and Alertmanager
# (ADDR:9093) every 10-15 s, evaluates rules and pushes alerts to Alertmanager, which posts
# notifications to a chat-ops webhook receiver (ADDR:9095). The server-side requests leave from
# 127.0.0.1 (Go programs cannot be given a source address), so roles for them are by dest port.
# Clients: 10 dashboard (query/query_range with long PromQL, GET and POST), 11 Alertmanager API
# (silences POST/DELETE, alerts, external pushers), 12 federation + health probes; browsers run
# prometheus/browse.mjs in the UI.
site_name=prometheus
site_port=9090
site_ports="9090 9093 9100 9095"
site_packages="prometheus prometheus-alertmanager prometheus-node-exporter python3-requests curl"
site_roles="10:dashboard 11:alertmanager-api 12:federate 127.0.0.1>9090:prometheus-server 127.0.0.1>9100:prometheus-server 127.0.0.1>9093:prometheus-server 127.0.0.1>9095:notify"
svc_prom_dir="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/prometheus"
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/_svc/common.sh"

site_start() {
    local work=$1 addr=$2
    mkdir -p "$work/tsdb" "$work/am"
    cat > "$work/prometheus.yml" <<YML
global:
  scrape_interval: 15s
  evaluation_interval: 15s
  external_labels: { lab: apps }
rule_files: [ "$work/rules.yml" ]
alerting:
  alertmanagers: [ { static_configs: [ { targets: [ "$addr:9093" ] } ] } ]
scrape_configs:
  - job_name: prometheus
    static_configs: [ { targets: [ "$addr:9090" ] } ]
  - job_name: node
    scrape_interval: 10s
    static_configs: [ { targets: [ "$addr:9100" ], labels: { env: lab } } ]
  - job_name: alertmanager
    static_configs: [ { targets: [ "$addr:9093" ] } ]
YML
    cat > "$work/rules.yml" <<YML
groups:
  - name: lab
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - record: instance:node_cpu:rate1m
        expr: sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[1m]))
      - alert: Watchdog
        expr: vector(1)
        labels: { severity: none }
        annotations: { summary: "always firing, proves the alerting pipeline works" }
      - alert: HighLoad
        expr: node_load1 > 0.5
        for: 30s
        labels: { severity: warning }
        annotations: { summary: "load {{ \$value }} on {{ \$labels.instance }}" }
      - alert: ScrapeSlow
        expr: scrape_duration_seconds > 0.05
        labels: { severity: info }
YML
    cat > "$work/alertmanager.yml" <<YML
route:
  receiver: chatops
  group_by: [ alertname ]
  group_wait: 10s
  group_interval: 30s
  repeat_interval: 2m
receivers:
  - name: chatops
    webhook_configs: [ { url: "http://$addr:9095/hooks/alertmanager", send_resolved: true } ]
YML
    chown -R nobody:nogroup "$work/tsdb" "$work/am"
    local as=(setpriv --reuid nobody --regid nogroup --clear-groups)
    "${as[@]}" /usr/bin/python3 "$svc_prom_dir/hookrecv.py" "$addr" 9095 > "$work/hook.log" 2>&1 &
    echo $! >> "$work/pids"
    "${as[@]}" prometheus-node-exporter --web.listen-address="$addr:9100" --no-collector.hwmon --no-collector.thermal_zone > "$work/node.log" 2>&1 &
    echo $! >> "$work/pids"
    "${as[@]}" prometheus-alertmanager --config.file="$work/alertmanager.yml" --storage.path="$work/am" \
        --web.listen-address="$addr:9093" --cluster.listen-address= --web.external-url="http://$addr:9093/" > "$work/am.log" 2>&1 &
    echo $! >> "$work/pids"
    "${as[@]}" prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
        --web.listen-address="$addr:9090" --web.console.templates=/etc/prometheus/consoles \
        --web.console.libraries=/etc/prometheus/console_libraries > "$work/prometheus.log" 2>&1 &
    echo $! >> "$work/pids"
    svc_wait_http "http://$addr:9100/metrics" && svc_wait_http "http://$addr:9093/-/ready" && svc_wait_http "http://$addr:9090/-/ready"
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5
    /usr/bin/python3 "$svc_prom_dir/poller.py" dash "$addr" "$cb.10" "$seed" "$seconds" &
    /usr/bin/python3 "$svc_prom_dir/poller.py" am "$addr" "$cb.11" "$seed" "$seconds" &
    /usr/bin/python3 "$svc_prom_dir/poller.py" fed "$addr" "$cb.12" "$seed" "$seconds" &
    wait
}

site_browse() { echo "$svc_prom_dir/browse.mjs"; }
