#!/usr/bin/env bash
# make-samples.sh - regenerate the small HTTPS captures committed in pcaps/tls/lab/ (as root): every
# lab web-shell family and the benign actors over TLS 1.2 and 1.3, several cipher suites, HTTP/1.1
# and HTTP/2, each capture with its NSS key log (NAME.keys), labels and tshark expectation.
#   pcaps/tls/lab/make-samples.sh [OUT_DIR] [NAME...]   (default: this folder, every sample)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
run="$here/../../lab/run.sh"
out="${1:-$here}"
shift || true
mkdir -p "$out"
export LAB_NETNS_PREFIX="${LAB_NETNS_PREFIX:-tl}"

# name | run.sh options (each sample: its families or benign servers, its TLS version, suites and HTTP version)
samples=(
    "webshells-php-tls13-gcm|--families cmd,chopper,antsword,godzilla,weevely --benign none --minutes 0.05 --tls-versions 1.3 --tls-suite gcm"
    "webshells-java-dotnet-tls13-aes256|--families behinder,wso,regeorg,iis-module --benign none --minutes 0.05 --tls-versions 1.3 --tls-suite aes256"
    "webshells-java-dotnet-tls12-chacha|--families behinder,wso,regeorg,iis-module --benign none --minutes 0.05 --tls-versions 1.2 --tls-suite chacha"
    "webshells-php-tls12-cbc|--families cmd,chopper,antsword,godzilla,weevely --benign none --minutes 0.05 --tls-versions 1.2 --tls-suite cbc"
    "webshells-h2-tls13-chacha|--families cmd,behinder,godzilla,regeorg,iis-module --benign none --minutes 0.05 --tls-versions 1.3 --tls-suite chacha --h2"
    "webshells-variants-tls12-gcm|--families none --variants godzilla/CSHARP_AES_BASE64,behinder/aspx,antsword/aspx,suo5/half --benign none --minutes 0.05 --tls-versions 1.2 --tls-suite gcm"
    "benign-tls13|--families none --benign wiki,tomcat,shop,machines --users 3 --speed 2 --minutes 0.15"
    "benign-extended-h2-tls12-gcm|--families none --benign apache-php,iis,weblogic --users 3 --speed 2 --minutes 0.15 --tls-versions 1.2 --tls-suite gcm --h2"
    "mixed-tls12-cbc-sha1|--families cmd,iis-module --benign shop,tomcat --users 2 --speed 2 --minutes 0.1 --tls-versions 1.2 --tls-suite cbc-sha1"
)
for sample in "${samples[@]}"; do
    name=${sample%%|*}
    if (($#)) && [[ " $* " != *" $name "* ]]; then continue; fi
    # shellcheck disable=SC2086 # the options are words
    "$run" --tls ${sample#*|} --seed 31 --out "$out" --name "$name"
done

# SAMPLES.md: what each committed capture holds, from its expectation and labels.
[ "$out" = "$here" ] || exit 0
python3 - "$here" > "$here/SAMPLES.md" <<'PY'
import collections, glob, json, os, sys
here = sys.argv[1]
suites = {"0x1301": "TLS_AES_128_GCM_SHA256", "0x1302": "TLS_AES_256_GCM_SHA384", "0x1303": "TLS_CHACHA20_POLY1305_SHA256",
          "0xc02b": "ECDHE-ECDSA-AES128-GCM-SHA256", "0xc02f": "ECDHE-RSA-AES128-GCM-SHA256", "0xc02c": "ECDHE-ECDSA-AES256-GCM-SHA384",
          "0xc030": "ECDHE-RSA-AES256-GCM-SHA384", "0xcca8": "ECDHE-RSA-CHACHA20-POLY1305", "0xcca9": "ECDHE-ECDSA-CHACHA20-POLY1305",
          "0xc023": "ECDHE-ECDSA-AES128-SHA256", "0xc027": "ECDHE-RSA-AES128-SHA256", "0xc024": "ECDHE-ECDSA-AES256-SHA384",
          "0xc028": "ECDHE-RSA-AES256-SHA384", "0x002f": "AES128-SHA (RSA)", "0x0035": "AES256-SHA (RSA)",
          "0xc009": "ECDHE-ECDSA-AES128-SHA", "0xc014": "ECDHE-RSA-AES256-SHA"}
print("# pcaps/tls/lab samples (written by make-samples.sh)\n")
print("| capture | size | TLS connections | versions | cipher suites (connections) | ALPN | transactions (HTTP/1.1, HTTP/2) | labelled requests by family |")
print("|---|---:|---:|---|---|---|---:|---|")
for expect in sorted(glob.glob(os.path.join(here, "*.expect.jsonl"))):
    name = os.path.basename(expect)[:-len(".expect.jsonl")]
    rows = [json.loads(l) for l in open(expect)]
    tls = [r for r in rows if r["type"] == "tls"]
    http = [r for r in rows if r["type"] == "http"]
    labels = [json.loads(l) for l in open(os.path.join(here, name + ".labels.jsonl"))]
    size = os.path.getsize(os.path.join(here, name + ".pcap")) // 1024
    count = lambda xs: ", ".join(f"{k} {v}" for k, v in collections.Counter(xs).most_common())
    h1 = sum(1 for r in http if r["protocol"] != "HTTP/2")
    print(f"| `{name}` | {size} KiB | {len(tls)} | {count(r['version'] for r in tls)} | {count(suites.get(r['cipher_suite'], r['cipher_suite']) for r in tls)} "
          f"| {count(r['alpn'] or '-' for r in tls)} | {len(http)} ({h1}, {len(http) - h1}) | {count(l['family'] for l in labels)} |")
PY
