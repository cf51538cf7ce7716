"""A publishing bot on the WordPress REST API with an application password (Basic auth):
lists and searches posts, creates drafts and publishes them, updates with PUT/PATCH, uploads media
as a raw binary body, deletes, reads users/categories/settings.
Usage: rest_client.py HOST PORT SOURCE SEED SECONDS USER:APP_PASSWORD"""
import base64
import json
import sys
import time

from webclient import Session, args, log, png, run_until

host, port, source, seed, seconds = args()
auth = "Basic " + base64.b64encode(sys.argv[6].encode()).decode()
s = Session(host, port, source, {"User-Agent": "publishing-bot/3.2 (python)", "Authorization": auth, "Accept": "application/json"})
mine = []


def api(method, path, body=None, **kw):
    headers = kw.pop("headers", {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        headers["Content-Type"] = "application/json; charset=utf-8"
    status, _, data = s.request(method, "/wp-json/wp/v2" + path, body=body, headers=headers)
    if status >= 400 or status == 0:
        log("ERROR" if status in (0, 500) else "status", method, path, status, data[:120])
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, None


def step(rng):
    r = rng.random()
    if r < 0.3:
        api("GET", "/posts?per_page=%d&page=%d&_fields=id,title,link,modified" % (rng.choice([5, 10, 20]), rng.randint(1, 3)))
        api("GET", "/posts?search=%s&status=publish,draft&context=edit" % rng.choice(["backup", "coffee", "release", "lake"]))
    elif r < 0.55:
        status, post = api("POST", "/posts", {"title": "Build report %s" % time.strftime("%H:%M:%S"), "status": "draft",
                                              "content": "<!-- wp:paragraph --><p>Build %d passed %d tests.</p><!-- /wp:paragraph -->" % (rng.randint(1000, 9999), rng.randint(100, 900)),
                                              "categories": [rng.randint(2, 5)], "meta": {}})
        if status == 201 and post:
            mine.append(post["id"])
            api(rng.choice(["PUT", "PATCH", "POST"]), "/posts/%d" % post["id"], {"status": "publish", "excerpt": "Automated build report."})
    elif r < 0.7:
        data = png(rng)
        status, media = api("POST", "/media", data, headers={"Content-Type": "image/png",
                                                             "Content-Disposition": 'attachment; filename="chart-%d.png"' % rng.randint(1, 999)})
        if status == 201 and media:
            api("POST", "/media/%d" % media["id"], {"alt_text": "build chart", "caption": "Nightly chart"})
    elif r < 0.8 and mine:
        api("DELETE", "/posts/%d?force=%s" % (mine.pop(0), rng.choice(["true", "false"])))
    else:
        api("GET", rng.choice(["/users/me?context=edit", "/categories?per_page=50", "/settings", "/types", "/comments?per_page=10&status=approve", "/media?per_page=5"]))


run_until(seconds, seed, step, 5, 25)
