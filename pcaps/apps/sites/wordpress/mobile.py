"""A mobile app / single-page front end on the REST API: SDK headers browsers do not send,
CORS preflights (OPTIONS with Origin and Access-Control-Request-*), comment posting as JSON,
conditional GETs, and requests for things that are not there (404s).
Usage: mobile.py HOST PORT SOURCE SEED SECONDS USER:APP_PASSWORD"""
import base64
import json
import sys
import uuid

from webclient import Session, args, log, run_until

host, port, source, seed, seconds = args()
auth = "Basic " + base64.b64encode(sys.argv[6].encode()).decode()
device = str(uuid.UUID(int=seed))
s = Session(host, port, source, {"User-Agent": "wp-android/24.1 (Android 14; en_US; Pixel 7)", "Accept": "application/json",
                                 "X-App-Version": "24.1", "X-Device-Id": device, "X-Request-Id": "0", "Accept-Language": "en-US"})
origin = "http://app.blog.example"


def step(rng):
    s.headers["X-Request-Id"] = uuid.uuid4().hex
    r = rng.random()
    if r < 0.35:
        status, _, data = s.request("GET", "/wp-json/wp/v2/posts?per_page=10&_embed=1&orderby=date&page=%d" % rng.randint(1, 2))
        try:
            posts = json.loads(data)
        except ValueError:
            posts = []
        if posts:
            p = rng.choice(posts)
            s.request("GET", "/wp-json/wp/v2/comments?post=%d&per_page=20" % p["id"])
            if rng.random() < 0.4:
                s.request("POST", "/wp-json/wp/v2/comments", body=json.dumps({"post": p["id"], "content": "Sent from my phone: %s" % rng.choice(["great", "thanks", "+1", "interesting"])}),
                          headers={"Authorization": auth, "Content-Type": "application/json"})
    elif r < 0.55:
        method = rng.choice(["POST", "PUT", "DELETE", "GET"])
        s.request("OPTIONS", "/wp-json/wp/v2/posts", headers={"Origin": origin, "Access-Control-Request-Method": method,
                                                             "Access-Control-Request-Headers": "authorization,content-type,x-wp-nonce"})
        s.request("GET", "/wp-json/wp/v2/posts?per_page=3", headers={"Origin": origin})
    elif r < 0.75:
        s.request("GET", "/wp-json/wp/v2/users/me", headers={"Authorization": auth})
        s.request("GET", "/wp-json/", headers={"If-None-Match": '"%s"' % uuid.uuid4().hex[:16]})
    elif r < 0.9:
        s.request("GET", rng.choice(["/wp-json/wp/v2/posts/99999", "/apple-app-site-association", "/.well-known/assetlinks.json", "/wp-json/jetpack/v4/connection"]))
    else:
        s.request("HEAD", "/?rest_route=/wp/v2/posts")
        s.request("GET", "/?rest_route=/wp/v2/categories&per_page=%d" % rng.randint(5, 50))
    log("mobile round", r)


run_until(seconds, seed, step, 4, 20)
