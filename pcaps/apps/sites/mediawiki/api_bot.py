"""A MediaWiki API bot (the way pywikibot and import scripts work): logs in with a bot password
(login token, action=login), fetches a CSRF token, reads pages and recent changes, edits pages with
the token, uploads files (multipart with the token), parses wikitext, and re-logs in when its
session expires.
Usage: api_bot.py HOST PORT SOURCE SEED SECONDS"""
import json
import time
import urllib.parse

from webclient import Session, args, log, multipart, png, run_until

host, port, source, seed, seconds = args()
s = Session(host, port, source, {"User-Agent": "LabImportBot/1.4 (ops@team.example) pywikibot/9.0.0", "Accept-Encoding": "gzip"})
titles = ["Backup policy", "Onboarding", "VPN setup", "Release process", "Incident response", "Database maintenance", "On-call rota", "Glossary"]
state = {"csrf": None}


def api(params, post=None, files=None):
    params = dict(params, format="json", formatversion="2")
    if post is None:
        status, _, data = s.request("GET", "/api.php?" + urllib.parse.urlencode(params))
    elif files:
        body, ctype = multipart(dict(params, **post), files)
        status, _, data = s.request("POST", "/api.php", body=body, headers={"Content-Type": ctype})
    else:
        status, _, data = s.request("POST", "/api.php", form=dict(params, **post))
    try:
        out = json.loads(data)
    except ValueError:
        log("ERROR", params.get("action"), status)
        return {}
    if "error" in out:
        log("api error", params.get("action"), out["error"].get("code"))
    return out


def login():
    token = api({"action": "query", "meta": "tokens", "type": "login"}).get("query", {}).get("tokens", {}).get("logintoken")
    if not token:
        return
    r = api({"action": "login"}, post={"lgname": "SyncBot@importer", "lgpassword": "botpassword0123456789abcdef0123", "lgtoken": token})
    log("login", r.get("login", {}).get("result"))
    state["csrf"] = api({"action": "query", "meta": "tokens"}).get("query", {}).get("tokens", {}).get("csrftoken")


login()


def step(rng):
    if not state["csrf"] or rng.random() < 0.05:
        login()
    r = rng.random()
    if r < 0.3:
        api({"action": "query", "list": "recentchanges", "rcprop": "title|ids|sizes|flags|user|timestamp", "rclimit": rng.choice([10, 50])})
        api({"action": "query", "prop": "revisions", "titles": "|".join(rng.sample(titles, 3)), "rvprop": "content|timestamp", "rvslots": "main"})
    elif r < 0.65:
        title = rng.choice(titles + ["Bot report %d" % rng.randint(1, 5)])
        out = api({"action": "edit"}, post={"title": title, "appendtext": "\n* %s: imported %d records (batch %s)" % (time.strftime("%Y-%m-%d %H:%M"), rng.randint(1, 999), rng.getrandbits(48).to_bytes(6, "big").hex()),
                                           "summary": "Bot: nightly import", "bot": "1", "token": state["csrf"] or "+\\"})
        if out.get("error", {}).get("code") == "badtoken":
            state["csrf"] = None
    elif r < 0.8:
        name = "Chart-%d-%d.png" % (rng.randint(1, 50), rng.randint(1, 9))
        api({"action": "upload"}, post={"filename": name, "comment": "Bot: chart upload", "ignorewarnings": "1", "token": state["csrf"] or "+\\"},
            files={"file": (name, "image/png", png(rng))})
    elif r < 0.9:
        api({"action": "parse", "title": "Sandbox", "contentmodel": "wikitext", "prop": "text|links"},
            post={"text": "== Preview ==\n'''Status''' at {{CURRENTTIME}}: %d items. [[Glossary]]" % rng.randint(1, 100)})
    else:
        api({"action": "query", "list": "allpages", "aplimit": "max"})
        api({"action": "query", "meta": "userinfo", "uiprop": "rights|ratelimits"})


run_until(seconds, seed, step, 4, 18)
