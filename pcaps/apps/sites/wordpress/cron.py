"""The system cron of a WordPress host with DISABLE_WP_CRON: every minute or so it triggers
wp-cron.php the way WordPress itself spawns it (POST with an empty body and doing_wp_cron=<time>)
or the way crontab lines do (curl GET).
Usage: cron.py HOST PORT SOURCE SEED SECONDS"""
import time

from webclient import Session, args, log, run_until

host, port, source, seed, seconds = args()


def step(rng):
    if rng.random() < 0.5:
        s = Session(host, port, source, {"User-Agent": "WordPress/6.1.9; http://%s" % host, "Accept": "*/*", "Connection": "close"})
        status, _, _ = s.request("POST", "/wp-cron.php?doing_wp_cron=%.22f" % time.time(), body=b"", keep=False)
    else:
        s = Session(host, port, source, {"User-Agent": "curl/7.88.1", "Accept": "*/*", "Connection": "close"})
        status, _, _ = s.request("GET", "/wp-cron.php?doing_wp_cron", keep=False)
    log("cron", status)


run_until(seconds, seed, step, 30, 70)
