#!/usr/bin/env bash
# train-default.sh - rebuild models/default.zip from the project's labelled corpora (as root).
#
#   models/train-default.sh [WORKDIR]
#
# 1. the benign application lab (pcaps/apps/run.sh): 13 real applications (WordPress, phpMyAdmin,
#    MediaWiki, DokuWiki, Roundcube, WebDAV, a Flask helpdesk, Tomcat manager, an OCSP responder, an
#    apt repository, Prometheus/Alertmanager, an ASP.NET Core API with SignalR, git over HTTP) used by
#    Chromium and machine clients, 20 minutes;
# 2. the traffic lab (pcaps/lab/run.sh) with every web-shell family and variant: mixed sessions, long
#    sessions over a connection per request, captures that begin mid-session, sqlmap-style stagers,
#    scanners, and its extended benign mix (six more applications);
# 3. trafficsensor train --data WORKDIR: the anomaly model on every benign transaction, the classifier
#    on the labelled attacks, thresholds calibrated to 1e-4 false positives per held-back benign transaction;
# 4. the figures that matter: evaluate --leave-one-out app and --leave-one-out variant (each
#    application or tool variant held out of training in turn), then the real captures in ../shared.
# Captures already in WORKDIR are reused, so each run happens once (a full rebuild takes about two hours).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
work="${1:-/tmp/trafficsensor-model}"
mkdir -p "$work"
apps() { [ -s "$work/$1.pcap" ] || "$repo/pcaps/apps/run.sh" --name "$1" --out "$work" "${@:2}"; }
lab() { [ -s "$work/$1.pcap" ] || "$repo/pcaps/lab/run.sh" --name "$1" --out "$work" "${@:2}"; }

apps apps-1 --minutes 20 --sites all --browsers 6 --seed 8
lab mixed-1 --families all --variants all --benign extended --users 24 --sessions 2 --minutes 5 --speed 2 --seed 101
lab mixed-2 --families all --variants all --benign extended --users 24 --sessions 2 --minutes 5 --speed 2 --seed 102
lab long-150 --families all --variants all --benign extended --users 16 --session-requests 150 --connection-close --minutes 6 --speed 4 --seed 201
lab long-500 --families godzilla,behinder,antsword --variants godzilla,behinder,antsword --benign extended --users 12 --session-requests 500 --connection-close --minutes 4 --speed 8 --seed 202
lab mid-session --families all --variants all --benign extended --users 16 --sessions 2 --mid-session --session-requests 100 --connection-close --minutes 5 --speed 4 --seed 301
lab stagers --families none --variants cmd/stager,cmd/image-upload --benign extended --users 12 --sessions 5 --minutes 3 --speed 2 --seed 401
lab scanners --families none --variants scanner --benign extended --users 12 --sessions 3 --minutes 3 --speed 2 --seed 501
lab benign-extended --families none --benign extended --users 24 --minutes 5 --seed 601
lab default-1 --minutes 2 --users 24 --seed 701

ts="$repo/trafficsensor"
"$ts" train --name default --target-fpr 0.0001 --data "$work" -o "$here/default.zip"
"$ts" evaluate --data "$work" --leave-one-out app --target-fpr 0.0001 --json "$work/leave-one-app-out.json"
"$ts" evaluate --data "$work" --leave-one-out variant --target-fpr 0.0001 --json "$work/leave-one-variant-out.json"
for f in "$repo"/../shared/pcaps/real/*.pcap*; do
    [ -e "$f" ] || continue
    alerts=$("$ts" replay -q --model "$here/default.zip" --alerts - "$f" | grep -c '"event_type":"alert"' || true)
    echo "$(basename "$f"): $alerts alert lines"
done
