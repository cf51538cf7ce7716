# ocsp.sh - an OCSP responder (RFC 6960) for a private CA, as PKI clients query it.
# Server: `openssl ocsp -port 80` (OpenSSL's own HTTP responder) with an index of 24 certificates,
# a few revoked, signed by a delegated responder certificate; bound to ADDR through the shim.
# Clients: 10 = `openssl ocsp` (POST application/ocsp-request, raw DER, with and without nonce,
# one or several certificates per request), 11 = CryptoAPI/Firefox-style GET with the DER request
# base64 and URL-encoded in the path (RFC 6960 appendix A.1), 12 = a status monitor that checks
# the responder with the same GETs and one deliberately malformed request a few times an hour.
site_name=ocsp
site_port=80
site_ports="80"
site_packages="openssl curl gcc libc6-dev"
site_roles="10:ocsp-post 11:ocsp-get 12:monitor"
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/_svc/common.sh"

site_start() {
    local work=$1 addr=$2 ca=$1/ca
    mkdir -p "$ca/newcerts" "$ca/leaf"
    : > "$ca/index.txt"; echo 1000 > "$ca/serial"
    cat > "$ca/ca.cnf" <<CNF
[ ca ]
default_ca = lab
[ lab ]
dir = $ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 365
policy = any
unique_subject = no
copy_extensions = copy
[ any ]
commonName = supplied
organizationName = optional
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
authorityInfoAccess = OCSP;URI:http://$addr/
[ signer ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = OCSPSigning
CNF
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca/ca.key" -out "$ca/ca.pem" -days 3650 \
        -subj "/O=Lab Example/CN=Lab Example Issuing CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$ca/ocsp.key" -out "$ca/ocsp.csr" -subj "/O=Lab Example/CN=Lab OCSP Responder" 2>/dev/null
    openssl ca -batch -config "$ca/ca.cnf" -extensions signer -in "$ca/ocsp.csr" -out "$ca/ocsp.pem" 2>/dev/null
    local hosts="www api mail vpn intranet git wiki jira grafana sso shop cdn static auth db1 db2 backup ldap proxy ci build docs files portal"
    for h in $hosts; do
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca/leaf/$h.key" -out "$ca/leaf/$h.csr" \
            -subj "/O=Lab Example/CN=$h.lab.example" 2>/dev/null
        openssl ca -batch -config "$ca/ca.cnf" -extensions leaf -in "$ca/leaf/$h.csr" -out "$ca/leaf/$h.pem" 2>/dev/null
    done
    for h in vpn db2 ci; do openssl ca -config "$ca/ca.cnf" -revoke "$ca/leaf/$h.pem" -crl_reason keyCompromise 2>/dev/null; done
    local shim; shim=$(svc_shim "$work")
    TSSVC_LISTEN=$addr LD_PRELOAD=$shim openssl ocsp -port 80 -index "$ca/index.txt" -CA "$ca/ca.pem" \
        -rsigner "$ca/ocsp.pem" -rkey "$ca/ocsp.key" -nmin 10 -ignore_err > "$work/responder.log" 2>&1 &
    echo $! >> "$work/pids"
    # ready when it says so: OpenSSL 3.0's responder spins forever on a connection closed before
    # any byte arrives, so no empty-connection probe here (and no client may do that)
    for _ in $(seq 50); do grep -q 'waiting for OCSP' "$work/responder.log" && return 0; sleep 0.2; done
    echo "ocsp responder did not start" >&2; cat "$work/responder.log" >&2; return 1
}

# _ocsp_get_url WORK ADDR CERT [nonce]: prints the RFC 6960 A.1 GET URL for CERT.
_ocsp_get_url() {
    local work=$1 addr=$2 cert=$3 req
    req=$(mktemp -p "$work")
    openssl ocsp -issuer "$work/ca/ca.pem" -cert "$cert" ${4:+-nonce} ${4:--no_nonce} -reqout "$req" > /dev/null 2>&1
    printf 'http://%s/%s' "$addr" "$(base64 -w0 < "$req" | python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.stdin.read().strip(),safe=""),end="")')"
    rm -f "$req"
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5 end shim
    end=$(($(date +%s) + seconds)); shim=$(svc_shim "$work")
    local certs=("$work"/ca/leaf/*.pem)
    (   # 10: openssl ocsp POSTs, the way servers staple and TLS libraries check
        RANDOM=$seed
        while svc_until "$end"; do
            local args=() n=$((1 + RANDOM % 3))
            for _ in $(seq $n); do args+=(-cert "${certs[RANDOM % ${#certs[@]}]}"); done
            ((RANDOM % 3)) && args+=(-nonce) || args+=(-no_nonce)
            ((RANDOM % 4)) || args+=(-sha256)
            TSSVC_SRC=$cb.10 LD_PRELOAD=$shim timeout 10 openssl ocsp -issuer "$work/ca/ca.pem" "${args[@]}" \
                -url "http://$addr/" -CAfile "$work/ca/ca.pem" -header Host=ocsp.lab.example > /dev/null 2>&1
            svc_sleep "$end" $((1 + RANDOM % 4)).$((RANDOM % 10))
        done
    ) &
    (   # 11: GET requests like Windows CryptoAPI and Firefox send (cacheable, no nonce)
        RANDOM=$((seed + 1))
        local uas=("Microsoft-CryptoAPI/10.0" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" "Microsoft-CryptoAPI/6.1")
        while svc_until "$end"; do
            local url; url=$(_ocsp_get_url "$work" "$addr" "${certs[RANDOM % ${#certs[@]}]}")
            curl -s -o /dev/null -m 10 --interface "$cb.11" -H "Host: ocsp.lab.example" -A "${uas[RANDOM % ${#uas[@]}]}" \
                -H "Accept: */*" -H "Cache-Control: no-cache" -H "Connection: Keep-Alive" "$url"
            svc_sleep "$end" $((RANDOM % 3)).$((RANDOM % 10))
        done
    ) &
    (   # 12: a monitoring probe: a known-good GET, sometimes a malformed request (the responder answers malformedRequest)
        RANDOM=$((seed + 2))
        while svc_until "$end"; do
            local url; url=$(_ocsp_get_url "$work" "$addr" "$work/ca/leaf/www.pem")
            curl -s -o /dev/null -m 10 --interface "$cb.12" -A "check_ocsp/2.1 (monitoring-plugins)" "$url"
            if ((RANDOM % 6 == 0)); then
                head -c $((16 + RANDOM % 64)) /dev/urandom > "$work/junk.der"
                curl -s -o /dev/null -m 10 --interface "$cb.12" -A "check_ocsp/2.1 (monitoring-plugins)" \
                    -H "Content-Type: application/ocsp-request" --data-binary @"$work/junk.der" "http://$addr/"
            fi
            svc_sleep "$end" $((10 + RANDOM % 10))
        done
    ) &
    wait
}
