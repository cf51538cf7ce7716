"""A monitoring agent: probes a few URLs of a site every so often, the way uptime checkers and
load-balancer health checks do (HEAD and GET, their own User-Agent, no cookies, some 404s).
Usage: monitor.py HOST PORT SOURCE SEED SECONDS PATH..."""
import sys

from webclient import Session, args, log, run_until

host, port, source, seed, seconds = args()
paths = sys.argv[6:] or ["/"]
agents = ["Zabbix 6.0", "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
          "kube-probe/1.28", "Uptime-Kuma/1.23.11", "check_http/v2.3.3 (monitoring-plugins 2.3.3)"]


def step(rng):
    s = Session(host, port, source, {"User-Agent": rng.choice(agents), "Accept": "*/*", "Connection": "close"})
    path = rng.choice(paths + ["/favicon.ico", "/.well-known/security.txt", "/server-status"])
    method = "HEAD" if rng.random() < 0.4 else "GET"
    status, _, _ = s.request(method, path, keep=False)
    log(method, path, status)


run_until(seconds, seed, step, 5, 25)
