#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The docker demo's files, checked without an engine (none runs here):
# docker/compose.yaml is valid for docker-compose (`config -q` exits 0 and
# says nothing), publishes ports on 127.0.0.1 only, the dashboard among
# them, and every file it bind-mounts exists; docker/Dockerfile is clean for
# `dockerfile-utils lint` and its final stage runs as a USER other than
# root; every healthmond configuration under docker/ passes `healthmond -n`;
# docker/make-tokens.sh writes matching tokens, mode 600. Each check is then
# shown to fail on a broken copy of the files.
. "$(dirname "$0")/lib.sh"
need_healthmond
command -v docker-compose >/dev/null ||
	skip "no docker-compose (apt-get install docker-compose)"
command -v dockerfile-utils >/dev/null ||
	skip "no dockerfile-utils (npm install -g dockerfile-utils)"
# docker-compose 1.29 is written in Python with PyYAML, which reads its output here.
python3 -c 'import yaml' 2>/dev/null || skip "no PyYAML (apt-get install python3-yaml)"

# Nothing of the caller's environment may choose another file or project.
unset COMPOSE_FILE COMPOSE_PROJECT_NAME COMPOSE_PATH_SEPARATOR DOCKER_HOST

# Each check prints what is wrong and returns 1, so that the broken copies
# below can show that it notices.

# compose_valid DIR: docker-compose accepts DIR/compose.yaml, silently.
compose_valid() {
	local out rc=0
	out=$(cd "$T" && docker-compose -f "$1/compose.yaml" config -q 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || {
		echo "docker-compose config -q exited $rc: $out"
		return 1
	}
	[ -z "$out" ] || {
		echo "docker-compose config -q: $out"
		return 1
	}
}

# compose_exposure DIR: in the effective configuration, every published
# port is bound to 127.0.0.1, the central publishes its dashboard (8090),
# no service shares the host's network, and every bind-mounted file exists.
cat >"$T/exposure.py" <<'PY'
import os, sys, yaml

conf = yaml.safe_load(sys.stdin)
bad = []
dashboard = False
for name, svc in sorted(conf.get("services", {}).items()):
    if svc.get("network_mode") == "host":
        bad.append(f"{name}: network_mode host")
    for p in svc.get("ports", []):
        if isinstance(p, dict):
            ip, target = p.get("host_ip", ""), str(p.get("target", ""))
        else:
            parts = str(p).split("/")[0].rsplit(":", 2)
            ip = parts[0] if len(parts) == 3 else ""
            target = parts[-1]
        if ip != "127.0.0.1":
            bad.append(f"{name}: port {p} is published on {ip or 'every address'}")
        elif name == "central" and target == "8090":
            dashboard = True
    for v in svc.get("volumes", []):
        src = v.get("source", "") if isinstance(v, dict) else str(v).split(":")[0]
        if src.startswith("/") and not os.path.exists(src):
            bad.append(f"{name}: mounts {src}, which does not exist")
if not dashboard:
    bad.append("central does not publish the dashboard (8090) on 127.0.0.1")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
compose_exposure() {
	local out
	out=$(cd "$T" && docker-compose -f "$1/compose.yaml" config 2>&1) || {
		echo "docker-compose config: $out"
		return 1
	}
	python3 "$T/exposure.py" <<<"$out"
}

# dockerfile_lint FILE: dockerfile-utils has nothing to say.
dockerfile_lint() {
	local out rc=0
	out=$(dockerfile-utils lint "$1" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		echo "dockerfile-utils lint exited $rc: $out"
		return 1
	fi
}

# final_user FILE: prints the USER the last stage of FILE runs as (empty
# when it sets none), on logical lines (continuations joined, comments out).
final_user() {
	awk '
		/^[ \t]*#/ && !cont { next }
		{
			line = cont ? line " " $0 : $0
			if (sub(/\\[ \t]*$/, "", line)) { cont = 1; next }
			cont = 0
			n = split(line, w, /[ \t]+/)
			i = (w[1] == "") ? 2 : 1
			op = toupper(w[i])
			if (op == "FROM")
				user = ""
			else if (op == "USER")
				user = w[i + 1]
		}
		END { print user }' "$1"
}

# dockerfile_unprivileged FILE: the final stage has a USER, and not root.
dockerfile_unprivileged() {
	local user
	user=$(final_user "$1")
	case ${user%%:*} in
	"")
		echo "$1: the final stage sets no USER (it would run as root)"
		return 1
		;;
	root | 0)
		echo "$1: the final stage runs as USER $user"
		return 1
		;;
	esac
}

# configs_valid DIR: every *.conf under DIR passes healthmond -n.
configs_valid() {
	local f out n=0
	while IFS= read -r -d '' f; do
		out=$("$HEALTHMOND" -n -c "$f" 2>&1 </dev/null) || {
			echo "healthmond -n: $out"
			return 1
		}
		n=$((n + 1))
	done < <(find "$1" -name '*.conf' -print0)
	[ "$n" -gt 0 ] || {
		echo "no *.conf under $1"
		return 1
	}
	echo "$n"
}

src=$top_srcdir/docker
for f in Dockerfile compose.yaml make-tokens.sh central.conf; do
	[ -f "$src/$f" ] || fail "no $src/$f"
done
[ -f "$top_srcdir/.dockerignore" ] || fail "no .dockerignore at the root of the build context"

# (1) The shipped files.
out=$(compose_valid "$src") || fail "$out"
ok "docker-compose config -q: docker/compose.yaml is valid, nothing said"
out=$(compose_exposure "$src") || fail "docker/compose.yaml: $out"
ok "docker/compose.yaml: dashboard on 127.0.0.1:8090, nothing else published, mounts exist"
out=$(dockerfile_lint "$src/Dockerfile") || fail "$out"
ok "dockerfile-utils lint: docker/Dockerfile is clean"
out=$(dockerfile_unprivileged "$src/Dockerfile") || fail "$out"
ok "docker/Dockerfile: the final stage runs as USER $(final_user "$src/Dockerfile")"
n=$(configs_valid "$src") || fail "$n"
ok "healthmond -n: the $n configurations under docker/ are valid"

# The tokens the demo's "tokens" service writes: one per agent, the same in
# the central's file, private, and kept when it runs again.
mkdir -m 700 "$T/secrets"
sh "$src/make-tokens.sh" -d "$T/secrets" agent1 agent2 agent3 >"$T/tokens.out" 2>&1 ||
	fail "make-tokens.sh exited $?: $(cat "$T/tokens.out")"
[ "$(wc -l <"$T/secrets/tokens")" -eq 3 ] || fail "make-tokens.sh: not 3 lines in tokens"
for h in agent1 agent2 agent3; do
	grep -qx "$h $(cat "$T/secrets/$h.token")" "$T/secrets/tokens" ||
		fail "make-tokens.sh: $h's token is not the central's"
	grep -q "token_file = \"/etc/healthmond/secrets/$h.token\"" "$src/$h.conf" ||
		fail "docker/$h.conf does not read /etc/healthmond/secrets/$h.token"
done
modes=$(stat -c '%a' "$T/secrets"/* | sort -u)
[ "$modes" = 600 ] || fail "make-tokens.sh: files of mode $modes, not 600"
cp "$T/secrets/agent2.token" "$T/agent2.before"
sh "$src/make-tokens.sh" -d "$T/secrets" agent1 agent2 agent3 >"$T/tokens.out" 2>&1 ||
	fail "make-tokens.sh exited $? the second time: $(cat "$T/tokens.out")"
cmp -s "$T/agent2.before" "$T/secrets/agent2.token" || fail "make-tokens.sh replaced a token"
ok "make-tokens.sh: a private token per agent, in the central's tokens file, kept"

# (2) The checks can fail. Broken copies live in $T/b/docker, so that the
# compose file's build context (..) is $T/b.
# break_copy: a fresh, writable copy of docker/ in $T/b/docker (under
# make distcheck the source tree is read-only).
break_copy() {
	rm -rf "$T/b"
	mkdir -p "$T/b"
	cp -R "$src" "$T/b/docker"
	chmod -R u+w "$T/b"
}
b=$T/b/docker

# changed FILE: the broken copy of FILE differs from the original (the edit
# still finds what it changes).
changed() {
	cmp -s "$src/$1" "$b/$1" && fail "the edit left the copy of docker/$1 as it was"
	return 0
}

break_copy
sed -i 's/^  central:$/  central:\n    colour: red/' "$b/compose.yaml"
changed compose.yaml
compose_valid "$b" >/dev/null && fail "docker-compose config -q accepted an unknown key"
ok "docker-compose config -q notices an unknown key"

break_copy
sed -i 's/"127\.0\.0\.1:8090:8090"/"8090:8090"/' "$b/compose.yaml"
changed compose.yaml
compose_exposure "$b" >/dev/null && fail "a dashboard published on every address went unnoticed"
ok "a dashboard published on every address is noticed"

break_copy
sed -i 's|\./agent2\.conf:|./agent9.conf:|' "$b/compose.yaml"
changed compose.yaml
compose_exposure "$b" >/dev/null && fail "a missing bind-mounted file went unnoticed"
ok "a missing bind-mounted file is noticed"

break_copy
sed -i 's/^EXPOSE 8089 8090$/EXPOSE 8089 8090\/sctpx/' "$b/Dockerfile"
changed Dockerfile
dockerfile_lint "$b/Dockerfile" >/dev/null && fail "dockerfile-utils lint accepted an invalid EXPOSE"
ok "dockerfile-utils lint notices an invalid EXPOSE"

# The earlier demo-web stage has a USER of its own: it must not count.
break_copy
sed -i '/^USER healthmond$/d' "$b/Dockerfile"
changed Dockerfile
dockerfile_unprivileged "$b/Dockerfile" >/dev/null &&
	fail "a final stage without USER went unnoticed"
break_copy
printf 'USER 0:0\n' >>"$b/Dockerfile"
dockerfile_unprivileged "$b/Dockerfile" >/dev/null && fail "a final USER 0:0 went unnoticed"
ok "a final stage without USER, or with USER 0:0, is noticed"

break_copy
printf 'bogus = 1;\n' >>"$b/agent1.conf"
configs_valid "$b" >/dev/null && fail "healthmond -n accepted an unknown key"
ok "healthmond -n notices an unknown key in a configuration"
exit 0
