"""Clients of the Prometheus/Alertmanager site (Debian python3-requests), one role per process.

usage: poller.py ROLE ADDR SRC SEED SECONDS
roles: dash (a Grafana-like dashboard: instant and range queries with long PromQL, GET and POST,
label and series look-ups), am (an Alertmanager API user: silences POST/GET/DELETE, alerts,
status, and external alert sources pushing alerts), fed (a federating Prometheus and a health
prober: /federate with match[] selectors, /-/healthy, /-/ready, the exporter's /metrics)."""
import json, random, sys, time, uuid, datetime
import requests
from requests.adapters import HTTPAdapter

role, addr, src, seed, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
rnd = random.Random(f"{seed}-{role}")
end = time.time() + seconds
PROM, AM, NODE = f"http://{addr}:9090", f"http://{addr}:9093", f"http://{addr}:9100"


class SourceAdapter(HTTPAdapter):
    def init_poolmanager(self, *a, **k):
        k["source_address"] = (src, 0)
        super().init_poolmanager(*a, **k)


def session(ua):
    s = requests.Session()
    s.mount("http://", SourceAdapter())
    s.headers["User-Agent"] = ua
    return s


def nap(lo, hi):
    time.sleep(min(max(0, end - time.time()), rnd.uniform(lo, hi)))


QUERIES = [
    'sum by (mode) (rate(node_cpu_seconds_total{job="node",mode!="idle"}[1m]))',
    '100 * (1 - node_memory_MemAvailable_bytes{job="node"} / node_memory_MemTotal_bytes{job="node"})',
    'rate(node_network_receive_bytes_total{device!~"lo|veth.*"}[2m]) * 8',
    'histogram_quantile(0.95, sum by (le, handler) (rate(prometheus_http_request_duration_seconds_bucket[5m])))',
    'topk(5, sum by (handler) (rate(prometheus_http_requests_total[1m])))',
    'node_filesystem_avail_bytes{fstype!~"tmpfs|overlay",mountpoint="/"} / node_filesystem_size_bytes * 100',
    'up', 'count by (job) (up == 1)', 'node_load1 / count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})',
    'increase(alertmanager_notifications_total[10m])', 'prometheus_tsdb_head_series',
    'sum(rate(node_disk_io_time_seconds_total[1m])) by (device) > 0',
    'label_replace(up{job=~"node|prometheus"}, "host", "$1", "instance", "([^:]+):.*")',
]


def dash():
    s = session(rnd.choice(["Grafana/10.2.3", "Grafana/11.1.0"]))
    s.headers.update({"Accept": "application/json, text/plain, */*", "X-Grafana-Org-Id": "1",
                      "X-Dashboard-Uid": "rYdddlPWk", "X-Panel-Id": "2"})
    while time.time() < end:
        now = time.time()
        for _ in range(rnd.randint(2, 6)):      # one dashboard refresh = several panels
            q = rnd.choice(QUERIES)
            s.headers["X-Panel-Id"] = str(rnd.randint(1, 24))
            rng = rnd.choice([300, 900, 3600])
            params = {"query": q, "start": f"{now - rng:.3f}", "end": f"{now:.3f}", "step": str(max(5, rng // 240))}
            if rnd.random() < 0.5:
                s.post(PROM + "/api/v1/query_range", data=params)
            else:
                s.get(PROM + "/api/v1/query_range", params=params)
        a = rnd.random()
        if a < 0.3:
            s.get(PROM + "/api/v1/query", params={"query": rnd.choice(QUERIES), "time": f"{now:.3f}"})
        elif a < 0.45:
            s.get(PROM + "/api/v1/labels", params={"start": f"{now - 3600:.0f}", "end": f"{now:.0f}"})
            s.get(PROM + "/api/v1/label/__name__/values")
        elif a < 0.6:
            s.get(PROM + "/api/v1/series", params=[("match[]", '{job="node",__name__=~"node_cpu.*"}'), ("match[]", "up"),
                                                     ("start", f"{now - 600:.0f}"), ("end", f"{now:.0f}")])
        elif a < 0.7:
            s.get(PROM + "/api/v1/metadata", params={"metric": rnd.choice(["up", "node_load1", "prometheus_http_requests_total"])})
        elif a < 0.8:
            s.get(PROM + "/api/v1/rules"); s.get(PROM + "/api/v1/alerts")
        elif a < 0.85:
            s.get(PROM + "/api/v1/query", params={"query": "sum(rate(node_cpu_seconds_total[1m]"})   # a typo: 400
        elif a < 0.9:
            s.get(PROM + "/api/v1/targets", params={"state": "active"})
        nap(8, 20)


def am():
    s = session(rnd.choice(["amtool/0.25.0", "python-requests/2.28.1"]))
    s.headers["Accept"] = "application/json"
    pusher = session("Alertmanager-Pusher/1.0 (cron check_backup)")
    while time.time() < end:
        a = rnd.random()
        now = datetime.datetime.now(datetime.timezone.utc)
        if a < 0.25:
            r = s.post(AM + "/api/v2/silences", json={
                "matchers": [{"name": "alertname", "value": rnd.choice(["HighLoad", "Watchdog", "BackupMissing"]), "isRegex": False, "isEqual": True},
                             {"name": "instance", "value": f"{addr}:9.*", "isRegex": True, "isEqual": True}],
                "startsAt": now.isoformat(), "endsAt": (now + datetime.timedelta(minutes=rnd.choice([15, 60, 240]))).isoformat(),
                "createdBy": rnd.choice(["alice", "bob"]), "comment": rnd.choice(["maintenance window CHG-%d" % rnd.randint(1000, 9999), "known issue, ticket #42"])})
            if r.ok and rnd.random() < 0.6:
                nap(5, 20)
                s.delete(AM + f"/api/v2/silence/{r.json()['silenceID']}")
        elif a < 0.45:
            s.get(AM + "/api/v2/alerts", params=[("active", "true"), ("silenced", "false"), ("filter", 'severity=~"warning|critical"')])
        elif a < 0.6:
            s.get(AM + "/api/v2/silences", params={"filter": "createdBy=alice"} if rnd.random() < 0.5 else None)
        elif a < 0.7:
            s.get(AM + "/api/v2/status"); s.get(AM + "/api/v2/receivers")
        elif a < 0.8:
            s.get(AM + "/api/v2/alerts/groups", params={"receiver": "chatops"})
        elif a < 0.85:
            s.get(AM + f"/api/v2/silence/{uuid.uuid4()}")   # 404: an old silence link
        else:
            pusher.post(AM + "/api/v2/alerts", json=[{"labels": {"alertname": "BackupMissing", "severity": "warning", "job": "backup",
                                                                  "instance": f"fileserver-{rnd.randint(1, 3)}"},
                                                       "annotations": {"summary": "no backup for 26h"},
                                                       "startsAt": now.isoformat(), "endsAt": (now + datetime.timedelta(minutes=10)).isoformat(),
                                                       "generatorURL": "http://backup.lab.example/jobs/nightly"}])
        nap(6, 25)


def fed():
    s = session("Prometheus/2.45.0")
    s.headers["Accept"] = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1"
    probe = session("Blackbox Exporter/0.24.0")
    while time.time() < end:
        s.get(PROM + "/federate", params=[("match[]", '{job="node"}'), ("match[]", '{__name__=~"job:.*"}'), ("match[]", 'up')],
              headers={"X-Prometheus-Scrape-Timeout-Seconds": "10", "Accept-Encoding": "gzip"})
        probe.get(PROM + "/-/healthy"); probe.get(PROM + "/-/ready")
        probe.get(AM + "/-/healthy")
        if rnd.random() < 0.3:
            probe.get(NODE + "/metrics", headers={"Accept-Encoding": "gzip"})
        nap(13, 17)


fn = {"dash": dash, "am": am, "fed": fed}[role]
while time.time() < end:
    try:
        fn()
    except Exception as e:
        print(role, "error:", repr(e), file=sys.stderr)
        time.sleep(2)
