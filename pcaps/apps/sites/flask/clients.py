"""Machine clients of Lab Desk (python3-requests from Debian), one role per process and address.

usage: clients.py ROLE BASE SRC SEED SECONDS
roles: web (a person's scripted session: login form with CSRF, pages, ajax), api (REST with a bearer
token, CORS preflights, ETags, raw attachment PUTs, 401/404/422 answers), hook (a git server's
webhooks with X-Hub-Signature-256), cron (empty-body POST triggers), poll (a long-polling
notification client), health (an uptime checker: /healthz, /readyz, HEAD /, /metrics)."""
import hashlib, hmac, json, os, random, re, sys, time, uuid
import requests
from requests.adapters import HTTPAdapter

role, base, src, seed, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
rnd = random.Random(f"{seed}-{role}")
end = time.time() + seconds
HOOK_SECRET = os.environ.get("LABDESK_HOOK_SECRET", "hook-secret").encode()


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


def safe(f, *a, **k):
    try:
        return f(*a, **k)
    except requests.RequestException as e:
        print(role, "request failed:", e, file=sys.stderr)
        time.sleep(1)


WORDS = "vpn printer laptop password email quota badge audio license wiki monitor share backup disk wifi".split()


def web():
    ua = rnd.choice(["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
                     "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"])
    while time.time() < end:
        s = session(ua)
        s.headers.update({"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "en-US,en;q=0.9"})
        r = s.get(base + "/login")
        tok = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
        user = rnd.choice(["alice", "bob", "carol", "dave"])
        pw = user + "-pw" if rnd.random() > 0.1 else "wrong-" + str(rnd.randint(1, 99))
        r = s.post(base + "/login", data={"csrf_token": tok, "username": user, "password": pw}, headers={"Referer": base + "/login"})
        if "Sign in" in r.text and r.status_code == 401:
            nap(2, 6); continue
        for _ in range(rnd.randint(3, 12)):
            if time.time() >= end: break
            a = rnd.random()
            if a < 0.3:
                s.get(base + "/tickets", params={"q": rnd.choice(WORDS + [""]), "status": rnd.choice(["", "open", "pending"]),
                                                  "sort": rnd.choice(["updated", "id", "priority"]), "page": 1})
            elif a < 0.55:
                r = s.get(base + f"/tickets/{rnd.randint(1, 30)}")
                if r.status_code == 200 and rnd.random() < 0.4:
                    tok = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
                    tid = re.search(r'data-id="(\d+)"', r.text).group(1)
                    s.post(base + f"/tickets/{tid}/comment", data={"csrf_token": tok, "text": rnd.choice(
                        ["Rebooted, looks fine now.", "Still broken after the update & restart.", "Can you send a screenshot?",
                         "Escalated to network team (ref #%d)." % rnd.randint(1000, 9999), "Fixed; closing tomorrow."])})
                elif r.status_code == 200 and rnd.random() < 0.4:
                    tid = re.search(r'data-id="(\d+)"', r.text).group(1)
                    s.post(base + f"/ajax/tickets/{tid}/status", json={"status": rnd.choice(["open", "pending", "resolved"])},
                           headers={"X-CSRFToken": tok, "X-Requested-With": "XMLHttpRequest", "Accept": "application/json"})
            elif a < 0.7:
                s.get(base + "/ajax/search", params={"term": rnd.choice(WORDS)[:rnd.randint(2, 5)]},
                      headers={"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"})
            elif a < 0.85:
                r = s.get(base + "/tickets/new")
                tok = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
                files = {"attachment": (f"screenshot-{rnd.randint(1, 999)}.png", os.urandom(rnd.randint(2000, 40000)), "image/png")} \
                    if rnd.random() < 0.4 else {"attachment": ("", b"", "application/octet-stream")}
                s.post(base + "/tickets/new", data={"csrf_token": tok, "title": f"{rnd.choice(WORDS).title()} issue in room {rnd.randint(100, 420)}",
                                                    "body": "Since this morning it does not work.\r\nSteps: 1. log in 2. open it", "priority": rnd.choice(["low", "normal", "high"])},
                       files=files)
            else:
                s.get(base + "/collect", params={"v": 2, "tid": "LD-LAB-1", "cid": f"{rnd.getrandbits(31)}.{int(time.time())}", "t": "pageview",
                                                  "dl": base + "/tickets?page=1", "dt": "Tickets - Lab Desk", "sr": "1920x1080", "ul": "en-us",
                                                  "z": rnd.getrandbits(40)})
            nap(1, 6)
        if rnd.random() < 0.7:
            r = s.get(base + "/tickets")
            m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
            if m: s.post(base + "/logout", data={"csrf_token": m.group(1)})
        nap(3, 12)


def api():
    s = session(rnd.choice(["labdesk-cli/1.4.2 python-requests/2.28", "Zapier", "okhttp/4.12.0"]))
    tok = "tok-svc"
    s.headers.update({"Authorization": "Bearer " + tok, "Accept": "application/json"})
    etags = {}
    while time.time() < end:
        a = rnd.random()
        if a < 0.25:
            s.get(base + "/api/v1/tickets", params={"limit": rnd.choice([10, 20, 50]), "offset": rnd.choice([0, 0, 10, 20]),
                                                    **({"status": rnd.choice(["open", "closed"])} if rnd.random() < 0.5 else {})})
        elif a < 0.4:
            tid = rnd.randint(1, 40)
            h = {"If-None-Match": etags[tid]} if tid in etags else {}
            r = s.get(base + f"/api/v1/tickets/{tid}", headers=h)
            if "ETag" in r.headers: etags[tid] = r.headers["ETag"]
        elif a < 0.55:
            r = s.post(base + "/api/v1/tickets", json={"title": f"Alert: {rnd.choice(WORDS)} on host-{rnd.randint(1, 60):02d}",
                                                       "body": json.dumps({"source": "monitoring", "fingerprint": uuid.uuid4().hex}),
                                                       "priority": rnd.choice(["normal", "high"])},
                       headers={"Idempotency-Key": str(uuid.uuid4())})
        elif a < 0.65:
            s.patch(base + f"/api/v1/tickets/{rnd.randint(1, 40)}", json={"status": rnd.choice(["pending", "resolved", "closed"])})
        elif a < 0.72:
            tid = rnd.randint(1, 40)
            s.put(base + f"/api/v1/tickets/{tid}", json={"title": f"Ticket {tid} (edited)", "body": "Updated by sync job",
                                                         "status": "open", "priority": "normal", "owner": "svc"})
        elif a < 0.78:
            s.delete(base + f"/api/v1/tickets/{rnd.randint(13, 60)}")
        elif a < 0.85:
            s.put(base + f"/api/v1/tickets/{rnd.randint(1, 12)}/attachments/log-{rnd.randint(1, 99)}.gz", data=os.urandom(rnd.randint(500, 30000)),
                  headers={"Content-Type": "application/gzip"})
        elif a < 0.92:
            s.options(base + "/api/v1/tickets", headers={"Origin": "https://portal.lab.example", "Access-Control-Request-Method": rnd.choice(["POST", "PATCH", "DELETE"]),
                                                        "Access-Control-Request-Headers": "authorization,content-type"})
        else:
            s.get(base + "/api/v1/tickets", headers={"Authorization": "Bearer expired-" + uuid.uuid4().hex[:12]})   # 401
        nap(0.5, 4)


def hook():
    s = session("GitHub-Hookshot/8f6e0c1")
    while time.time() < end:
        ev = rnd.choice(["push", "push", "push", "pull_request", "issues", "ping"])
        payload = {"ref": "refs/heads/" + rnd.choice(["main", "develop", "feature/login"]), "before": os.urandom(20).hex(), "after": os.urandom(20).hex(),
                   "repository": {"id": 4242, "full_name": "lab/desk", "private": True},
                   "pusher": {"name": rnd.choice(["alice", "bob"]), "email": "dev@lab.example"},
                   "commits": [{"id": os.urandom(20).hex(), "message": rnd.choice(["Fix #12 login redirect", "Bump deps", "Refactor poller"]),
                                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())} for _ in range(rnd.randint(1, 4))]}
        body = json.dumps(payload).encode()
        sig = hmac.new(HOOK_SECRET, body, hashlib.sha256)
        if rnd.random() < 0.05: sig = hmac.new(b"old-secret", body, hashlib.sha256)
        s.post(base + "/hooks/git", data=body, headers={"Content-Type": "application/json", "X-GitHub-Event": ev,
                                                        "X-GitHub-Delivery": str(uuid.uuid4()), "X-GitHub-Hook-ID": "417",
                                                        "X-Hub-Signature": "sha1=" + hmac.new(HOOK_SECRET, body, hashlib.sha1).hexdigest(),
                                                        "X-Hub-Signature-256": "sha256=" + sig.hexdigest(), "Accept": "*/*"})
        nap(5, 30)


def cron():
    s = session("curl/7.88.1")
    s.headers["Accept"] = "*/*"
    while time.time() < end:
        job = rnd.choice(["close-stale", "send-digest", "reindex", "cleanup-sessions"])
        if rnd.random() < 0.5:
            s.post(base + f"/internal/cron/{job}", headers={"X-Cron-Token": "cron-token"})            # Content-Length: 0
        else:
            s.post(base + f"/internal/cron/{job}", params={"key": "cron-token"}, data=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
        if rnd.random() < 0.05:
            s.post(base + "/internal/cron/rotate-logs", headers={"X-Cron-Token": "cron-token"})         # 404: a job removed from the app
        nap(10, 40)


def poll():
    s = session("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
    r = s.get(base + "/login")
    tok = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
    s.post(base + "/login", data={"csrf_token": tok, "username": "carol", "password": "carol-pw"})
    since = 0
    while time.time() < end - 1:
        r = s.get(base + "/ajax/notifications", params={"since": since, "timeout": int(min(25, end - time.time()))}, headers={"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"},
                  timeout=40)
        if r.status_code == 200:
            since = r.json()["cursor"]
        time.sleep(0.3)


def health():
    s = session(rnd.choice(["Blackbox Exporter/0.24.0", "kube-probe/1.29"]))
    while time.time() < end:
        s.get(base + "/healthz")
        if rnd.random() < 0.5: s.get(base + "/readyz")
        if rnd.random() < 0.3: s.head(base + "/")
        if rnd.random() < 0.2: s.get(base + "/metrics", headers={"Accept": "text/plain;version=0.0.4;q=1,*/*;q=0.1"})
        nap(4, 6)


fn = {"web": web, "api": api, "hook": hook, "cron": cron, "poll": poll, "health": health}[role]
while time.time() < end:
    try:
        fn()
    except Exception as e:   # a broken session starts over; the lab keeps running
        print(role, "error:", repr(e), file=sys.stderr)
        time.sleep(2)
