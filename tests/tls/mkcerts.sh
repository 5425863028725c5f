#!/bin/bash
# mkcerts.sh DIR: a test PKI made with openssl: two CAs (ca, other), and
# signed by ca: server.{crt,key} (127.0.0.1, localhost; server and client
# use, for members), client-<cn>.{crt,key} for CN root, alice and bob; and
# signed by other: intruder.{crt,key} (the same names, the wrong CA).
set -euo pipefail
d=$1
mkdir -p "$d"
cd "$d"
[ -f ca.crt ] && exit 0
subj() { echo "/O=etcfs-test/CN=$1"; }
ca() { # NAME
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.crt" -days 30 -subj "$(subj "$1 CA")" 2>/dev/null
}
cert() { # NAME CN CA [SAN]
    local ext
    ext=$(mktemp)
    {
        echo "basicConstraints=CA:FALSE"
        echo "extendedKeyUsage=serverAuth,clientAuth"
        [ -n "${4:-}" ] && echo "subjectAltName=$4"
    } >"$ext"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "$(subj "$2")" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
        -out "$1.crt" -days 30 -extfile "$ext" 2>/dev/null
    rm -f "$1.csr" "$ext"
}
ca ca
ca other
cert server member ca "IP:127.0.0.1,DNS:localhost"
for cn in root alice bob; do cert "client-$cn" "$cn" ca; done
cert intruder member other "IP:127.0.0.1,DNS:localhost"
chmod 600 ./*.key
