"""Lab Desk - a small helpdesk written with Flask (Debian's python3-flask) for the benign app lab.

Browser pages with forms protected by per-session CSRF tokens, a signed session cookie, JSON ajax
endpoints (X-CSRFToken header), a token-authenticated REST API (GET/POST/PUT/PATCH/DELETE and CORS
preflight), long polling for notifications, a webhook receiver that checks X-Hub-Signature-256,
a cron endpoint triggered by empty-body POSTs, an analytics beacon, attachments (multipart and raw
PUT) and health/metrics endpoints. State lives in memory (one gunicorn worker, threads)."""
import hashlib, hmac, json, os, secrets, threading, time
from functools import wraps
from flask import (Flask, Response, abort, jsonify, redirect, render_template, request, session,
                   url_for, make_response)

app = Flask(__name__)
app.secret_key = os.environ.get("LABDESK_SECRET", "lab-desk-secret-not-for-production")
app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
API_TOKENS = {t: u for u, t in (x.split(":", 1) for x in os.environ.get("LABDESK_TOKENS", "svc:tok-svc").split(","))}
HOOK_SECRET = os.environ.get("LABDESK_HOOK_SECRET", "hook-secret").encode()
CRON_TOKEN = os.environ.get("LABDESK_CRON_TOKEN", "cron-token")
USERS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw"}

lock = threading.Condition()
tickets = {}
events = []          # (seq, dict) notification log, bounded
counters = {"requests": 0, "hooks": 0, "cron_runs": 0, "beacons": 0}
attachments = {}
STATUSES = ["open", "pending", "resolved", "closed"]


def seed():
    subjects = ["VPN drops every hour", "Printer on floor 3 offline", "Password reset for HR", "New laptop request",
                "Shared drive quota", "Email signature broken", "Badge reader door 2", "Teams audio echo",
                "License for IDE", "Slow wiki search", "Monitor flickers", "Access to finance share"]
    for i, s in enumerate(subjects, 1):
        tickets[i] = {"id": i, "title": s, "body": f"Reported by staff: {s.lower()}.", "status": STATUSES[i % 4],
                      "priority": ["low", "normal", "high"][i % 3], "owner": list(USERS)[i % 4],
                      "comments": [], "updated": time.time()}


seed()


def notify(kind, **data):
    with lock:
        seq = (events[-1][0] + 1) if events else 1
        events.append((seq, dict(kind=kind, seq=seq, at=time.time(), **data)))
        del events[:-500]
        lock.notify_all()


@app.before_request
def count():
    counters["requests"] += 1


def csrf_token():
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


app.jinja_env.globals["csrf_token"] = csrf_token


def check_csrf():
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRFToken", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, "CSRF token missing or wrong")


def login_required(f):
    @wraps(f)
    def inner(*a, **k):
        if "user" not in session:
            if request.path.startswith("/ajax/"):
                return jsonify(error="login required"), 401
            return redirect(url_for("login", next=request.full_path))
        return f(*a, **k)
    return inner


def token_required(f):
    @wraps(f)
    def inner(*a, **k):
        auth = request.headers.get("Authorization", "")
        user = API_TOKENS.get(auth[7:]) if auth.startswith("Bearer ") else None
        if user is None:
            r = jsonify(error="invalid_token")
            r.headers["WWW-Authenticate"] = 'Bearer realm="labdesk", error="invalid_token"'
            return r, 401
        request.api_user = user
        return f(*a, **k)
    return inner


@app.after_request
def cors(resp):
    if request.path.startswith("/api/") and request.headers.get("Origin"):
        resp.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        resp.headers["Access-Control-Allow-Credentials"] = "true"
        resp.headers["Vary"] = "Origin"
    return resp


# ---------------------------------------------------------------- browser pages
@app.route("/")
def index():
    return redirect(url_for("ticket_list")) if "user" in session else render_template("index.html")


@app.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        check_csrf()
        u, p = request.form.get("username", ""), request.form.get("password", "")
        if USERS.get(u) == p:
            session["user"] = u
            session["csrf"] = secrets.token_urlsafe(32)
            nxt = request.args.get("next") or url_for("ticket_list")
            return redirect(nxt if nxt.startswith("/") else url_for("ticket_list"))
        error = "Wrong user name or password"
    return render_template("login.html", error=error), (401 if error else 200)


@app.route("/logout", methods=["POST"])
def logout():
    check_csrf()
    session.clear()
    return redirect(url_for("login"))


@app.route("/tickets")
@login_required
def ticket_list():
    q = request.args.get("q", "").lower()
    status = request.args.get("status", "")
    sort = request.args.get("sort", "updated")
    page = max(1, request.args.get("page", 1, type=int))
    with lock:
        rows = [t for t in tickets.values() if (not q or q in t["title"].lower() or q in t["body"].lower())
                and (not status or t["status"] == status)]
    rows.sort(key=lambda t: t.get(sort, t["updated"]) if sort in ("id", "title", "priority", "status") else -t["updated"])
    return render_template("list.html", rows=rows[(page - 1) * 10: page * 10], q=q, status=status, page=page,
                           pages=max(1, (len(rows) + 9) // 10), statuses=STATUSES)


@app.route("/tickets/new", methods=["GET", "POST"])
@login_required
def ticket_new():
    if request.method == "POST":
        check_csrf()
        title = request.form.get("title", "").strip()[:200]
        if not title:
            return render_template("new.html", error="A title is required"), 422
        with lock:
            tid = max(tickets, default=0) + 1
            tickets[tid] = {"id": tid, "title": title, "body": request.form.get("body", "")[:5000],
                            "status": "open", "priority": request.form.get("priority", "normal"),
                            "owner": session["user"], "comments": [], "updated": time.time()}
        f = request.files.get("attachment")
        if f and f.filename:
            attachments[(tid, f.filename)] = f.read()
        notify("ticket_created", id=tid, title=title)
        return redirect(url_for("ticket_view", tid=tid))
    return render_template("new.html", error=None)


@app.route("/tickets/<int:tid>")
@login_required
def ticket_view(tid):
    t = tickets.get(tid) or abort(404)
    files = [n for (i, n) in attachments if i == tid]
    return render_template("view.html", t=t, files=files, statuses=STATUSES)


@app.route("/tickets/<int:tid>/comment", methods=["POST"])
@login_required
def ticket_comment(tid):
    check_csrf()
    t = tickets.get(tid) or abort(404)
    text = request.form.get("text", "").strip()[:2000]
    if text:
        with lock:
            t["comments"].append({"by": session["user"], "text": text, "at": time.time()})
            t["updated"] = time.time()
        notify("comment", id=tid)
    return redirect(url_for("ticket_view", tid=tid) + "#comments")


# ---------------------------------------------------------------- ajax (session + X-CSRFToken)
@app.route("/ajax/tickets/<int:tid>/status", methods=["POST"])
@login_required
def ajax_status(tid):
    check_csrf()
    t = tickets.get(tid) or abort(404)
    body = request.get_json(silent=True) or {}
    if body.get("status") not in STATUSES:
        return jsonify(error="bad status"), 422
    t["status"] = body["status"]; t["updated"] = time.time()
    notify("status", id=tid, status=t["status"])
    return jsonify(ok=True, ticket={"id": tid, "status": t["status"]})


@app.route("/ajax/search")
@login_required
def ajax_search():
    q = request.args.get("term", "").lower()
    return jsonify([{"id": t["id"], "label": t["title"]} for t in tickets.values() if q in t["title"].lower()][:8])


@app.route("/ajax/notifications")
@login_required
def ajax_poll():
    """Long polling: answers at once when events newer than `since` exist, else waits up to `timeout` s."""
    since = request.args.get("since", 0, type=int)
    timeout = min(30.0, request.args.get("timeout", 25, type=float))
    deadline = time.time() + timeout
    with lock:
        while True:
            new = [e for s, e in events if s > since]
            left = deadline - time.time()
            if new or left <= 0:
                break
            lock.wait(left)
    last = events[-1][0] if events else since
    if not new:
        return "", 204
    return jsonify(cursor=last, events=new[-20:])


@app.route("/collect", methods=["GET", "POST"])
def beacon():
    counters["beacons"] += 1
    return Response(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
                    b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", mimetype="image/gif") \
        if request.method == "GET" else ("", 204)


# ---------------------------------------------------------------- REST API (bearer token)
def api_ticket(t):
    return {k: t[k] for k in ("id", "title", "body", "status", "priority", "owner")} | {"comments": len(t["comments"])}


@app.route("/api/v1/tickets", methods=["GET", "POST", "OPTIONS"])
@app.route("/api/v1/tickets/<int:tid>", methods=["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def api_tickets(tid=None):
    if request.method == "OPTIONS":
        r = make_response("", 204)
        r.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
        r.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        r.headers["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers", "Authorization, Content-Type")
        r.headers["Access-Control-Max-Age"] = "600"
        return r
    return _api_tickets(tid)


@token_required
def _api_tickets(tid):
    if tid is None:
        if request.method == "GET":
            limit = min(100, request.args.get("limit", 20, type=int))
            offset = request.args.get("offset", 0, type=int)
            rows = sorted(tickets.values(), key=lambda t: t["id"])
            if request.args.get("status"):
                rows = [t for t in rows if t["status"] == request.args["status"]]
            return jsonify(total=len(rows), items=[api_ticket(t) for t in rows[offset:offset + limit]])
        body = request.get_json(silent=True)
        if not body or not body.get("title"):
            return jsonify(error="title required"), 422
        with lock:
            tid = max(tickets, default=0) + 1
            tickets[tid] = {"id": tid, "title": str(body["title"])[:200], "body": str(body.get("body", ""))[:5000],
                            "status": "open", "priority": body.get("priority", "normal"), "owner": request.api_user,
                            "comments": [], "updated": time.time()}
        notify("ticket_created", id=tid, title=tickets[tid]["title"])
        r = jsonify(api_ticket(tickets[tid])); r.status_code = 201
        r.headers["Location"] = f"/api/v1/tickets/{tid}"
        return r
    t = tickets.get(tid)
    if t is None:
        return jsonify(error="not found", id=tid), 404
    if request.method == "GET":
        etag = hashlib.sha1(json.dumps(api_ticket(t), sort_keys=True).encode()).hexdigest()
        if request.headers.get("If-None-Match") == f'"{etag}"':
            return "", 304
        r = jsonify(api_ticket(t)); r.headers["ETag"] = f'"{etag}"'
        return r
    if request.method == "DELETE":
        with lock:
            tickets.pop(tid, None)
        return "", 204
    body = request.get_json(silent=True) or {}
    if request.method == "PUT" and not body.get("title"):
        return jsonify(error="PUT needs the whole ticket"), 422
    for k in ("title", "body", "status", "priority", "owner"):
        if k in body:
            t[k] = body[k]
    t["updated"] = time.time()
    return jsonify(api_ticket(t))


@app.route("/api/v1/tickets/<int:tid>/attachments/<name>", methods=["PUT", "GET"])
@token_required
def api_attachment(tid, name):
    if tid not in tickets:
        return jsonify(error="not found"), 404
    if request.method == "GET":
        data = attachments.get((tid, name))
        return (Response(data, mimetype="application/octet-stream") if data is not None else (jsonify(error="no such file"), 404))
    attachments[(tid, name)] = request.get_data()
    return jsonify(size=len(attachments[(tid, name)]), sha256=hashlib.sha256(attachments[(tid, name)]).hexdigest()), 201


# ---------------------------------------------------------------- machines
@app.route("/hooks/git", methods=["POST"])
def hook():
    sig = request.headers.get("X-Hub-Signature-256", "")
    want = "sha256=" + hmac.new(HOOK_SECRET, request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sig, want):
        return jsonify(error="bad signature"), 403
    counters["hooks"] += 1
    ev = request.headers.get("X-GitHub-Event", "ping")
    if ev == "ping":
        return jsonify(msg="pong")
    notify("hook", event=ev)
    return "", 202


@app.route("/internal/cron/<job>", methods=["POST"])
def cron(job):
    if request.headers.get("X-Cron-Token") != CRON_TOKEN and request.args.get("key") != CRON_TOKEN:
        return "forbidden\n", 403
    if job not in ("close-stale", "send-digest", "reindex", "cleanup-sessions"):
        return "no such job\n", 404
    counters["cron_runs"] += 1
    return "", 204


@app.route("/healthz")
def healthz():
    return jsonify(status="ok", tickets=len(tickets), uptime=int(time.time() - START))


@app.route("/readyz")
def readyz():
    return "ready\n"


@app.route("/metrics")
def metrics():
    lines = [f"# TYPE labdesk_{k}_total counter\nlabdesk_{k}_total {v}" for k, v in counters.items()]
    lines.append(f"# TYPE labdesk_tickets gauge\nlabdesk_tickets {len(tickets)}")
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")


@app.errorhandler(404)
def not_found(e):
    if request.path.startswith(("/api/", "/ajax/")):
        return jsonify(error="not found"), 404
    return render_template("error.html", code=404, message="Page not found"), 404


START = time.time()
