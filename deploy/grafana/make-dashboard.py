#!/usr/bin/env python3
"""Writes grafana/dashboards/trafficsensor.json (or the path given). Edit here, run it, commit both.

Every panel filters on the $job and $instance variables and on the datasource variable, so the
dashboard provisions as is against any Prometheus data source that scrapes the sensor."""
import json
import os
import sys

DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job",instance=~"$instance"'
panels = []


def m(name, extra=""):
    return name + "{" + SEL + ("," + extra if extra else "") + "}"


def rate(name, extra="", by=None):
    inner = f"rate({m(name, extra)}[$__rate_interval])"
    return f"sum by ({by}) ({inner})" if by else f"sum({inner})"


def row(title):
    panels.append({"type": "row", "title": title, "collapsed": False, "gridPos": {"w": 24, "h": 1}, "panels": []})


def timeseries(title, targets, unit="short", stack=False, desc=""):
    panels.append({
        "type": "timeseries", "title": title, "description": desc, "datasource": DS,
        "gridPos": {"w": 12, "h": 8},
        "fieldConfig": {"defaults": {"unit": unit, "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                                                               "stacking": {"mode": "normal" if stack else "none", "group": "A"}}},
                        "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "none"}},
        "targets": [{"datasource": DS, "refId": chr(65 + i), "expr": e, "legendFormat": l} for i, (e, l) in enumerate(targets)],
    })


def stat(title, expr, unit="short", legend="", mappings=None, text_mode="auto", desc=""):
    panels.append({
        "type": "stat", "title": title, "description": desc, "datasource": DS, "gridPos": {"w": 4, "h": 4},
        "fieldConfig": {"defaults": {"unit": unit, "mappings": mappings or []}, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value", "graphMode": "none", "textMode": text_mode},
        "targets": [{"datasource": DS, "refId": "A", "expr": expr, "legendFormat": legend}],
    })


row("Health")
stat("Capturing", f"min({m('trafficsensor_capture_running')})",
     mappings=[{"type": "value", "options": {"0": {"text": "STOPPED", "color": "red"}, "1": {"text": "capturing", "color": "green"}}}])
stat("Web-shell alerts (24 h)", f"sum(increase({m('trafficsensor_alerts_total')}[24h]))")
stat("Drop ratio (5 m)",
     f"(sum(rate({m('trafficsensor_capture_kernel_drops_total')}[5m])) + sum(rate({m('trafficsensor_capture_interface_drops_total')}[5m])))"
     f" / sum(rate({m('trafficsensor_capture_received_packets_total')}[5m]))", unit="percentunit")
stat("Active flows", f"sum({m('trafficsensor_flows_active')})")
stat("Resident memory", f"sum({m('trafficsensor_resident_memory_bytes')})", unit="bytes")
stat("Model", m("trafficsensor_model_info"), legend="{{model}} (threshold {{threshold}})", text_mode="name",
     desc="The model in use and its alert threshold.")

row("Traffic")
timeseries("Throughput (packets/s)", [(rate("trafficsensor_packets_total", by="instance"), "{{instance}}")], unit="pps")
timeseries("Throughput (bits/s)", [(rate("trafficsensor_bytes_total", by="instance") + " * 8", "{{instance}}")], unit="bps")
timeseries("Drops (packets/s)", [
    (rate("trafficsensor_capture_kernel_drops_total", by="instance"), "{{instance}} kernel"),
    (rate("trafficsensor_capture_interface_drops_total", by="instance"), "{{instance}} interface")], unit="pps",
    desc="Packets lost before the sensor saw them (libpcap pcap_stats). Any sustained value means blind spots.")
timeseries("Flows", [
    (f"sum by (instance) ({m('trafficsensor_flows_active')})", "{{instance}} active"),
    (rate("trafficsensor_flows_created_total", by="instance"), "{{instance}} created/s"),
    (rate("trafficsensor_flows_ended_total", 'reason="evicted"', by="instance"), "{{instance}} evicted/s")])
timeseries("HTTP transactions/s by status class", [(rate("trafficsensor_http_transactions_total", by="instance, status_class"), "{{instance}} {{status_class}}")],
           unit="reqps", stack=True)
timeseries("Records/s by application protocol", [(rate("trafficsensor_app_records_total", by="instance, app_proto"), "{{instance}} {{app_proto}}")],
           unit="reqps", stack=True,
           desc="HTTP/1 and HTTP/2 transactions (cleartext or decrypted with key logs) and TLS connections, as written to the EVE log.")
timeseries("HTTP transactions/s by method", [(rate("trafficsensor_http_transactions_total", by="instance, method"), "{{instance}} {{method}}")],
           unit="reqps", stack=True)

row("Detection")
timeseries("Alerts by category and severity",
           [(f"sum by (instance, category, severity) (increase({m('trafficsensor_alerts_total')}[$__rate_interval]))", "{{instance}} {{category}} severity {{severity}}")],
           desc="Alerting transactions. One web-shell session is one alert thread in the JSON alerts; every alerting transaction counts here.")
timeseries("TLS metadata alerts (without keys)",
           [(f"sum by (instance, category) (increase({m('trafficsensor_tls_metadata_alerts_total')}[$__rate_interval]))", "{{instance}} {{category}}")],
           desc="Encrypted connections shaped like a web-shell session, judged on record sizes, timing and client fingerprints: weaker evidence than content (a warning, not a page).")
panels.append({
    "type": "heatmap", "title": "Anomaly score distribution", "datasource": DS, "gridPos": {"w": 12, "h": 8},
    "description": "Scores of every scored transaction; the alert threshold is in the Model panel.",
    "options": {"calculate": False, "yAxis": {"unit": "short"}, "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges"}},
    "targets": [{"datasource": DS, "refId": "A", "format": "heatmap", "legendFormat": "{{le}}",
                 "expr": f"sum by (le) (increase({m('trafficsensor_anomaly_score_bucket')}[$__rate_interval]))"}],
})
timeseries("Packet-to-verdict latency", [
    (f"histogram_quantile(0.5, {rate('trafficsensor_processing_latency_seconds_bucket', by='instance, le')})", "{{instance}} p50"),
    (f"histogram_quantile(0.99, {rate('trafficsensor_processing_latency_seconds_bucket', by='instance, le')})", "{{instance}} p99")], unit="s")
timeseries("Protocol anomalies, gaps and decode errors (per second)", [
    (rate("trafficsensor_http_anomalies_total", by="kind"), "http {{kind}}"),
    (rate("trafficsensor_reassembly_gap_bytes_total", by="reason"), "gap bytes {{reason}}"),
    (rate("trafficsensor_reassembly_events_total", by="event"), "reassembly {{event}}"),
    (rate("trafficsensor_decode_errors_total", by="reason"), "decode {{reason}}")])

row("Resources")
timeseries("CPU (cores)", [(rate("process_cpu_seconds_total", by="instance"), "{{instance}}")],
           desc="CPU time of the sensor process per second (prometheus-net's process_cpu_seconds_total): 1 = one core busy.")
timeseries("Memory", [
    (f"sum by (instance) ({m('trafficsensor_resident_memory_bytes')})", "{{instance}} resident"),
    (f"sum by (instance) ({m('trafficsensor_managed_memory_bytes')})", "{{instance}} managed heap"),
    (f"sum by (instance) ({m('trafficsensor_reassembly_memory_bytes')})", "{{instance}} reassembly buffers"),
    (f"sum by (instance) ({m('trafficsensor_reassembly_memory_limit_bytes')})", "{{instance}} reassembly cap"),
    (f"sum by (instance) ({m('trafficsensor_behaviour_state_bytes')})", "{{instance}} behaviour state")], unit="bytes")
timeseries("Worker queue depth", [
    (f"max by (instance, worker) ({m('trafficsensor_queue_depth_batches')})", "{{instance}} worker {{worker}}"),
    (f"max by (instance) ({m('trafficsensor_queue_capacity_batches')})", "{{instance}} capacity")],
    desc="Batches waiting per flow worker. A full queue makes the capture thread wait; the kernel buffer then fills and drops.")

# Lay panels out left to right, rows across the full width.
x = y = row_height = 0
for number, panel in enumerate(panels, start=1):
    panel["id"] = number
    grid = panel["gridPos"]
    if panel["type"] == "row" or x + grid["w"] > 24:
        y, x, row_height = y + row_height, 0, 0
    grid["x"], grid["y"] = x, y
    if panel["type"] == "row":
        y += 1
        continue
    x += grid["w"]
    row_height = max(row_height, grid["h"])

variable = lambda name, query: {
    "name": name, "type": "query", "datasource": DS, "definition": query, "query": {"query": query, "refId": name},
    "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*", "current": {"text": "All", "value": "$__all"}}
dashboard = {
    "uid": "trafficsensor", "title": "TrafficSensor", "tags": ["trafficsensor", "security", "T1505"],
    "timezone": "browser", "schemaVersion": 39, "version": 1, "editable": True, "graphTooltip": 1,
    "refresh": "30s", "time": {"from": "now-6h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus", "current": {},
         "hide": 0, "refresh": 1, "regex": "", "includeAll": False, "multi": False},
        variable("job", "label_values(trafficsensor_build_info, job)"),
        variable("instance", 'label_values(trafficsensor_build_info{job=~"$job"}, instance)'),
    ]},
    "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
                              "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
    "panels": panels,
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards", "trafficsensor.json")
with open(out, "w") as f:
    json.dump(dashboard, f, indent=2)
    f.write("\n")
print(f"wrote {out}: {len(panels)} panels")
