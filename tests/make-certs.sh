#!/bin/sh
# SPDX-License-Identifier: MIT
#
# make-certs.sh DIR: test certificates for the probe suite, made with the
# openssl CLI into DIR (which must exist):
#   ca.pem                    a test CA
#   leaf.pem   leaf.key       127.0.0.1/localhost, signed by the CA, 30 days
#   short.pem  short.key      the same, 5 days
#   self.pem   self.key       self-signed, 10 days, trusted by nobody
# EC P-256 keys: quick to make, no entropy-starved waits.
set -eu

dir=${1:?usage: make-certs.sh DIR}
cd "$dir"

command -v openssl >/dev/null || { echo "make-certs.sh: openssl not found" >&2; exit 1; }

# Quiet unless it fails: openssl reports progress on stderr.
q() {
	out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

keyopts="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
san="subjectAltName=IP:127.0.0.1,DNS:localhost"

cat >leaf.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=digitalSignature
extendedKeyUsage=serverAuth
$san
EOF

# shellcheck disable=SC2086 # keyopts holds several options
q openssl req -x509 $keyopts -keyout ca.key -out ca.pem -days 30 \
	-subj "/CN=healthmond test CA"

leaf() { # leaf NAME DAYS
	# shellcheck disable=SC2086
	q openssl req -new $keyopts -keyout "$1.key" -out "$1.csr" \
		-subj "/CN=127.0.0.1"
	q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days "$2" -extfile leaf.ext -out "$1.pem"
	rm -f "$1.csr"
}
leaf leaf 30
leaf short 5

# shellcheck disable=SC2086
q openssl req -x509 $keyopts -keyout self.key -out self.pem -days 10 \
	-subj "/CN=127.0.0.1" -addext "$san"
