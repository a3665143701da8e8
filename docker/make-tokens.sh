#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The docker demo's bearer tokens (docker/compose.yaml runs this as the
# one-shot "tokens" service, as user healthmond, before the central and the
# agents start). Each host named on the command line gets a random token in
# DIR/HOST.token, made on the first start and kept afterwards; DIR/tokens,
# the central's tokens_file, is rewritten from them on every start. All
# mode 600. No secret is in the repository: they live in the demo's
# "secrets" volume, which `docker compose down -v` removes.
#
#     make-tokens.sh [-d DIR] HOST...     (DIR: /etc/healthmond/secrets)
set -eu

dir=/etc/healthmond/secrets
if [ "${1:-}" = -d ]; then
	dir=$2
	shift 2
fi
[ "$#" -gt 0 ] || {
	echo "usage: make-tokens.sh [-d DIR] HOST..." >&2
	exit 64
}
umask 077
: >"$dir/tokens.new"
for host in "$@"; do
	if [ ! -s "$dir/$host.token" ]; then
		# 32 random bytes as 64 hex digits.
		od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$dir/$host.token.new"
		mv -f "$dir/$host.token.new" "$dir/$host.token"
	fi
	printf '%s %s\n' "$host" "$(cat "$dir/$host.token")" >>"$dir/tokens.new"
done
mv -f "$dir/tokens.new" "$dir/tokens"
echo "make-tokens.sh: tokens of $* in $dir/tokens"
