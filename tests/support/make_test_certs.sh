#!/bin/sh
# Makes the TLS tests' certificates in DIR with the openssl command, fresh each run (never
# committed): a test CA (ca.pem), leaves signed by it for the right host (localhost, 127.0.0.1,
# ::1: server.pem/server.key), another name (other.example: other.pem/other.key, for SNI), the
# wrong host (wrong.example only: wrong.pem/wrong.key), an expired one for localhost
# (expired.pem/expired.key), a client certificate (client.pem/client.key, CN=wsx test client),
# and one from a CA nobody trusts (rogue.pem/rogue.key). Usage: make_test_certs.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
q() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }

key() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

key ca.key
q openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/O=wsx tests/CN=wsx test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem
key rogue-ca.key
q openssl req -x509 -new -key rogue-ca.key -sha256 -days 30 -subj "/CN=rogue CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out rogue-ca.pem

# leaf NAME CA SUBJECT SAN EXTENDED_USAGE [ca options...]: NAME.key and NAME.pem signed by CA,
# through `openssl ca` so that the validity dates can be set (an expired leaf).
leaf() {
    name=$1 ca=$2 subject=$3 san=$4 usage=$5
    shift 5
    key "$name.key"
    q openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
    rm -rf "ca-$name" && mkdir "ca-$name" && : > "ca-$name/index.txt"
    cat > "ca-$name/cnf" <<CNF
[ca]
default_ca = test
[test]
dir = ca-$name
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
organizationName = optional
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = $usage
subjectAltName = $san
CNF
    openssl rand -hex 8 > "ca-$name/serial"
    q openssl ca -batch -config "ca-$name/cnf" -extensions ext -cert "$ca.pem" -keyfile "$ca.key" \
        -in "$name.csr" -out "$name.pem" -notext "$@"
    rm -rf "ca-$name" "$name.csr"
}

leaf server ca "/CN=localhost" "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth -days 30
leaf other ca "/CN=other.example" "DNS:other.example" serverAuth -days 30
leaf wrong ca "/CN=wrong.example" "DNS:wrong.example" serverAuth -days 30
leaf expired ca "/CN=localhost" "DNS:localhost,IP:127.0.0.1" serverAuth \
    -startdate 20200101000000Z -enddate 20200201000000Z
leaf client ca "/O=wsx tests/CN=wsx test client" "DNS:client.example" clientAuth -days 30
leaf rogue rogue-ca "/CN=localhost" "DNS:localhost,IP:127.0.0.1" "serverAuth,clientAuth" -days 30
