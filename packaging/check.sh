#!/usr/bin/env bash
# Checks the Debian package the way an admin will meet it:
#   1. go vet and the packaging tests (this module),
#   2. builds the amd64 .deb (mkdeb),
#   3. lintian: fails on any error, prints warnings,
#   4. systemd-analyze security on the unit: prints the exposure, fails above 2.0,
#   5. installs the .deb into a clean Debian root (debootstrap, cached), upgrades
#      it, starts the packaged binary with the packaged config as the packaged
#      user, the way the unit does, checks /healthz over TLS on loopback,
#      creates the first admin and signs in, stops it with SIGTERM, then
#      removes and purges the package and checks what is left,
#   6. boots the same root under systemd-nspawn (loopback only) and checks the
#      unit as shipped: install starts it, READY, the credential, the first
#      admin, reload, restart after a crash, the watchdog, an upgrade, stop,
#      remove and purge.
# Runs as root (apt, debootstrap, chroot); installs its own apt dependencies.
# The server runs in its own network namespace, so port 8443 on this machine
# is never touched. Everything it creates goes away on exit, except the cached
# base root (OPTIQ_PKG_CACHE, default ~/.cache/optiq-packaging).
#
# Environment: OPTIQ_DEBIAN_MIRROR, OPTIQ_DEBIAN_SUITE override the apt
# source used for the clean root (default: this machine's).
set -euo pipefail
cd "$(dirname "$0")"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
started=$SECONDS
step() { printf '== packaging: %s (%ds)\n' "$*" $((SECONDS - started)); }
fail() { echo "packaging check FAILED: $*" >&2; exit 1; }
trap 'echo "packaging check FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR

[ "$(id -u)" = 0 ] || fail "run as root (apt-get, debootstrap and chroot need it)"

work=$(mktemp -d /tmp/optiq-pkgcheck.XXXXXX)
nspid=
cleanup() {
	if [ -n "$nspid" ]; then
		kill "$nspid" 2>/dev/null || true
		wait "$nspid" 2>/dev/null || true
	fi
	# Mounts live in the install test's own mount namespace and are gone
	# with it; --one-file-system guards against anything left mounted.
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT

step "apt dependencies"
need=()
command -v lintian >/dev/null || need+=(lintian)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
command -v ip >/dev/null || need+=(iproute2)
command -v unshare >/dev/null || need+=(util-linux)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	timeout 300 apt-get update -qq
	timeout 600 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

step "go vet and go test (packaging module)"
timeout 300 go vet ./...
timeout 300 go test ./...

step "build the amd64 package"
version=0.0.0
timeout 600 go run ./cmd/mkdeb --arch amd64 --version "$version" --out "$work/dist" >/dev/null
deb1="$work/dist/optiq_${version}-1_amd64.deb"
[ -f "$deb1" ] || fail "mkdeb wrote no $deb1"
# A second revision of the same binary, to test an upgrade.
mkdir "$work/bin"
dpkg-deb --fsys-tarfile "$deb1" | tar -xO ./usr/bin/optiq >"$work/bin/optiq"
timeout 120 go run ./cmd/mkdeb --arch amd64 --version "$version" --revision 2 --binary "$work/bin/optiq" --out "$work/dist" >/dev/null
deb2="$work/dist/optiq_${version}-2_amd64.deb"
ls -l "$work/dist"
dpkg-deb -c "$deb1"
grep -q 'github.com/gofiber/fiber/v2 v' <(dpkg-deb --fsys-tarfile "$deb1" | tar -xO ./usr/share/doc/optiq/copyright) ||
	fail "copyright file does not list the Go modules linked into the binary"

step "lintian"
lint=$(timeout 300 lintian --pedantic --info --fail-on error "$deb1" 2>&1) || { echo "$lint"; fail "lintian reported errors"; }
grep -v '^running with root privileges' <<<"$lint" || echo "lintian: no tags"
echo "lintian: $(grep -c '^E:' <<<"$lint" || true) errors, $(grep -c '^W:' <<<"$lint" || true) warnings (overrides in files/lintian-overrides)"

step "systemd-analyze security"
# --offline reads the unit file without a running systemd; the exposure is
# 0.0 (locked down) to 10.0; --threshold is in tenths.
sec=$(systemd-analyze security --offline=yes --threshold=20 files/optiq.service 2>&1) || {
	echo "$sec"
	fail "unit exposure above 2.0"
}
grep -E '^✗' <<<"$sec" || true
grep 'Overall exposure level' <<<"$sec"

step "install test in a clean Debian root"
. /etc/os-release
suite="${OPTIQ_DEBIAN_SUITE:-${VERSION_CODENAME:-bookworm}}"
mirror="${OPTIQ_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
	# The first Debian archive this machine's apt uses (not the security one).
	mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
		grep -oE 'https?://[^ ]+/(debian|ubuntu)/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)
	mirror="${mirror:-http://deb.debian.org/debian}"
fi
cache="${OPTIQ_PKG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/optiq-packaging}"
# A minimal system plus systemd, so that the same root serves the chroot
# test and, booted in a container, the systemd test.
base="$cache/$suite-systemd"
if [ ! -f "$base/.complete" ]; then
	echo "creating the base root $base from $mirror $suite (once; about 3 minutes)"
	mkdir -p "$cache"
	rm -rf --one-file-system "$base.tmp"
	timeout 900 debootstrap --variant=minbase --include=adduser,systemd,systemd-sysv,dbus,curl,openssl \
		"$suite" "$base.tmp" "$mirror" >"$work/debootstrap.log" 2>&1 ||
		{ tail -20 "$work/debootstrap.log"; fail "debootstrap $suite from $mirror"; }
	rm -rf "$base.tmp/var/cache/apt/archives/"*.deb
	touch "$base.tmp/.complete"
	rm -rf --one-file-system "$base"
	mv "$base.tmp" "$base"
fi
root="$work/root"
cp -a "$base" "$root"
cp "$deb1" "$deb2" "$root/tmp/"

# The test runs in new network, mount and PID namespaces: loopback only, the
# /proc mount disappears with it, and no process it started can outlive it.
# 3 minutes at most.
cat >"$work/install-test.sh" <<'EOF'
set -euo pipefail
root=$1 deb1=/tmp/$2 deb2=/tmp/$3
ok() { echo "  ok: $*"; }
no() { echo "  FAILED: $*" >&2; exit 1; }
ch() { chroot "$root" "$@"; }
ip link set lo up
mount -t proc proc "$root/proc"

echo "-- dpkg -i $deb1"
ch dpkg -i "$deb1"
ch dpkg-query -W -f='${Package} ${Version} ${Status}\n' optiq
uid=$(ch id -u optiq) gid=$(ch id -g optiq)
ch getent passwd optiq | grep -q ':/var/lib/optiq:/usr/sbin/nologin$' || no "optiq user: $(ch getent passwd optiq)"
[ "$uid" -lt 1000 ] || no "optiq is not a system user (uid $uid)"
ok "system user optiq (uid $uid, gid $gid, home /var/lib/optiq, nologin)"
key="$root/etc/optiq/master.key"
[ "$(stat -c '%a %u:%g' "$key")" = "600 0:0" ] || no "master.key is $(stat -c '%a %u:%g' "$key")"
grep -qxE '[0-9a-f]{64}' "$key" || no "master.key is not 64 hex characters"
ok "/etc/optiq/master.key: 64 hex characters, mode 600, root:root"
[ "$(ch dpkg-query -W -f='${Conffiles}' optiq | awk '{print $1}')" = "/etc/optiq/optiq.toml" ] || no "conffiles"
ok "conffile /etc/optiq/optiq.toml"
[ ! -e "$root/var/lib/optiq" ] || no "/var/lib/optiq exists before the service ran (the package must not create it)"
keysum=$(sha256sum <"$key")

echo "-- edit the config, then upgrade to $deb2"
sed -i 's/^log_level = "info"/log_level = "debug"/' "$root/etc/optiq/optiq.toml"
ch dpkg -i "$deb2"
ch dpkg-query -W -f='${Package} ${Version} ${Status}\n' optiq
[ "$(sha256sum <"$key")" = "$keysum" ] || no "the upgrade replaced the master key"
ok "upgrade kept the master key"
grep -q '^log_level = "debug"' "$root/etc/optiq/optiq.toml" || no "the upgrade lost the admin's config edit"
ok "upgrade kept the admin's edit of the conffile"

echo "-- start the server as the unit does (StateDirectory, LoadCredential, User, UMask)"
install -d -m 0700 -o "$uid" -g "$gid" "$root/var/lib/optiq"
install -d -m 0500 -o "$uid" -g "$gid" "$root/run/credentials/optiq.service"
install -m 0400 -o "$uid" -g "$gid" "$key" "$root/run/credentials/optiq.service/master.key"
as_service() {
	(umask 0077 && exec chroot --userspec=optiq:optiq "$root" env -i PATH=/usr/bin:/bin \
		CREDENTIALS_DIRECTORY=/run/credentials/optiq.service "$@")
}
# One fork, then exec all the way down: $pid is the server itself.
(umask 0077 && exec chroot --userspec=optiq:optiq "$root" env -i PATH=/usr/bin:/bin \
	CREDENTIALS_DIRECTORY=/run/credentials/optiq.service \
	/usr/bin/optiq serve --config /etc/optiq/optiq.toml) >"$root/tmp/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
up=
for _ in $(seq 1 60); do
	if body=$(curl -sfk --max-time 2 https://127.0.0.1:8443/healthz); then up=1; break; fi
	kill -0 $pid 2>/dev/null || break
	sleep 0.5
done
[ -n "$up" ] || { cat "$root/tmp/serve.log"; no "server did not answer /healthz"; }
ok "GET https://127.0.0.1:8443/healthz -> $body"
proto=$(openssl s_client -connect 127.0.0.1:8443 -brief </dev/null 2>&1 | sed -n 's/^Protocol version: //p')
[ "$proto" = "TLSv1.3" ] || no "TLS protocol $proto"
if curl -sk --max-time 2 --tlsv1.2 --tls-max 1.2 https://127.0.0.1:8443/healthz >/dev/null 2>&1; then no "TLS 1.2 accepted with allow_tls12 = false"; fi
ok "TLS 1.3 only (TLS 1.2 refused)"
fp=$(grep -o '"fingerprint":"SHA256:[0-9a-f]*"' "$root/tmp/serve.log" | head -n1 | cut -d'"' -f4)
cert=$(openssl x509 -in "$root/var/lib/optiq/tls/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
[ "$fp" = "SHA256:$cert" ] || no "logged fingerprint $fp is not the certificate's ($cert)"
ok "log shows the certificate fingerprint $fp (matches openssl x509 -fingerprint -sha256)"
grep -q 'created a new master key' "$root/tmp/serve.log" && no "server created its own master key instead of using the credential"
[ ! -e "$root/var/lib/optiq.master.key" ] || no "a master key was created beside the data directory"
ok "master key taken from \$CREDENTIALS_DIRECTORY"

echo "-- first admin, as docs/install.md says, while the server runs"
printf 'correct horse battery staple\n' | as_service /usr/bin/optiq admin create-user --config /etc/optiq/optiq.toml \
	--email admin@example.com --role admin --password-stdin
printf 'correct horse battery staple\n' | ch env -i HOME=/root PATH=/usr/bin:/bin /usr/bin/optiq login https://127.0.0.1:8443 \
	--email admin@example.com --password-stdin --fingerprint "$fp"
ok "admin created and signed in over TLS with the pinned fingerprint"

kill -TERM $pid
rc=0; wait $pid || rc=$?
trap - EXIT
[ "$rc" = 0 ] || { tail -5 "$root/tmp/serve.log"; no "server exited $rc on SIGTERM"; }
grep -q '"msg":"stopped"' "$root/tmp/serve.log" || no "no graceful stop in the log"
ok "SIGTERM: graceful shutdown, exit 0"
others=$(find "$root/var/lib/optiq" \( ! -uid "$uid" -o -perm /077 \) -printf '%M %u %p\n')
[ -z "$others" ] || no "files in /var/lib/optiq not private to optiq: $others"
ok "every file under /var/lib/optiq is owned by optiq, no group or other access"
echo "  server log (first lines):"
head -n 4 "$root/tmp/serve.log" | cut -c1-200 | sed 's/^/    /'

echo "-- dpkg -r optiq"
ch dpkg -r optiq
[ -d "$root/var/lib/optiq" ] && [ -f "$key" ] && ch getent passwd optiq >/dev/null || no "remove deleted data, key or user"
ok "remove kept /var/lib/optiq, the master key and the user"
echo "-- dpkg -P optiq"
ch dpkg -P optiq
[ ! -e "$root/var/lib/optiq" ] || no "/var/lib/optiq survived purge"
[ ! -e "$root/etc/optiq" ] || no "/etc/optiq survived purge: $(ls -A "$root/etc/optiq")"
! ch getent passwd optiq >/dev/null || no "user optiq survived purge"
! ch getent group optiq >/dev/null || no "group optiq survived purge"
ok "purge removed /var/lib/optiq, /etc/optiq (with the master key), the user and the group"
EOF
unshare --net --mount --pid --fork timeout 180 bash "$work/install-test.sh" "$root" "$(basename "$deb1")" "$(basename "$deb2")" ||
	fail "install test"

step "systemd test: boot a clean root in a container, install and run the unit"
# The root boots under systemd-nspawn with loopback only; commands run inside
# with nsenter. This is the unit exactly as shipped: Type=notify, watchdog,
# the sandbox, LoadCredential, StateDirectory.
sroot="$work/sroot"
machine="optiq-check-$$"
cp -a "$base" "$sroot"
cp "$deb1" "$deb2" "$sroot/var/tmp/"
timeout 300 systemd-nspawn -q -D "$sroot" --boot --private-network --register=no --keep-unit \
	--machine="$machine" >"$work/nspawn.log" 2>&1 &
nspid=$!
leader=
for _ in $(seq 1 100); do
	n=$(pgrep -P "$nspid" -x systemd-nspawn || true)
	[ -n "$n" ] && leader=$(pgrep -P "$n" -x systemd || true)
	[ -n "$leader" ] && break
	kill -0 "$nspid" 2>/dev/null || break
	sleep 0.2
done
[ -n "$leader" ] || { cat "$work/nspawn.log"; fail "the container did not boot"; }
in_ct() { nsenter -t "$leader" -m -u -i -n -p -r -w "$@"; }
state=
for _ in $(seq 1 120); do
	state=$(in_ct systemctl is-system-running 2>/dev/null || true)
	case "$state" in running | degraded) break ;; esac
	sleep 0.5
done
case "$state" in running | degraded) echo "container booted: $state" ;; *) cat "$work/nspawn.log"; fail "container did not finish booting ($state)" ;; esac
ok() { echo "  ok: $*"; }
show() { in_ct systemctl show optiq -P "$1"; }

echo "-- dpkg -i $(basename "$deb1") (systemd running: postinst enables and starts the service)"
in_ct dpkg -i "/var/tmp/$(basename "$deb1")"
t0=$SECONDS
[ "$(in_ct systemctl is-active optiq)" = active ] || { in_ct journalctl -u optiq --no-pager | tail -20; fail "optiq.service is not active"; }
[ "$(in_ct systemctl is-enabled optiq)" = enabled ] || fail "optiq.service is not enabled"
in_ct journalctl -u optiq -o cat | grep -q '"notified systemd: ready"' || fail "no READY=1 in the journal"
ok "active and enabled; Type=$(show Type) reached READY; watchdog $(show WatchdogUSec); User=$(show User)"
body=$(in_ct curl -sfk --retry 5 --retry-connrefused --max-time 5 https://127.0.0.1:8443/healthz) || fail "/healthz under systemd"
ok "GET https://127.0.0.1:8443/healthz -> $body"
live=$(in_ct systemd-analyze security optiq.service --no-pager 2>&1 | grep 'Overall exposure' || true)
ok "live ${live#→ }"
in_ct journalctl -u optiq -o cat | grep -q 'created a new master key' && fail "the server made its own master key instead of using the credential"
ok "master key read from the credential $(in_ct stat -c '%U %a' /run/credentials/optiq.service/master.key)"
fp=$(in_ct journalctl -u optiq -o cat | grep -o '"fingerprint":"SHA256:[0-9a-f]*"' | head -n1 | cut -d'"' -f4)
ok "journalctl -u optiq shows the fingerprint $fp"

echo "-- first admin with the command in docs/install.md, then sign in"
printf 'correct horse battery staple\n' | in_ct systemd-run --quiet --pipe --wait --collect \
	-p User=optiq -p Group=optiq -p UMask=0077 -p LoadCredential=master.key:/etc/optiq/master.key \
	/usr/bin/optiq admin create-user --config /etc/optiq/optiq.toml --email admin@example.com --role admin --password-stdin
printf 'correct horse battery staple\n' | in_ct env -i HOME=/root PATH=/usr/bin:/bin optiq login https://127.0.0.1:8443 \
	--email admin@example.com --password-stdin --fingerprint "$fp"
ok "admin created through systemd-run with the credential, signed in with the pinned fingerprint"

echo "-- reload, crash, watchdog"
in_ct systemctl reload optiq
in_ct journalctl -u optiq -o cat | grep -q '"TLS certificate reloaded"' || fail "reload did not reload the certificate"
ok "systemctl reload optiq: certificate reloaded, same process"
pid=$(show MainPID)
in_ct sh -c "kill -KILL $pid"
for _ in $(seq 1 50); do
	p=$(show MainPID); [ "$p" != 0 ] && [ "$p" != "$pid" ] && [ "$(in_ct systemctl is-active optiq)" = active ] && break
	sleep 0.3
done
[ "$(show NRestarts)" = 1 ] && [ "$(in_ct systemctl is-active optiq)" = active ] || fail "not restarted after a crash (NRestarts=$(show NRestarts))"
ok "killed with SIGKILL: restarted by Restart=on-failure (NRestarts=1)"
pid=$(show MainPID)
wait_s=$((40 - (SECONDS - t0))); [ $wait_s -lt 35 ] && wait_s=35
echo "  waiting ${wait_s}s, longer than WatchdogSec=30s"
sleep "$wait_s"
[ "$(show MainPID)" = "$pid" ] && [ "$(show NRestarts)" = 1 ] || fail "the watchdog restarted the server (pings missing?)"
ok "alive after ${wait_s}s with WatchdogSec=30s: the server pings the watchdog"

echo "-- upgrade to $(basename "$deb2") while running"
key=$(in_ct sha256sum /etc/optiq/master.key)
in_ct dpkg -i "/var/tmp/$(basename "$deb2")"
[ "$(in_ct sha256sum /etc/optiq/master.key)" = "$key" ] || fail "upgrade replaced the master key"
[ "$(show MainPID)" != "$pid" ] && [ "$(in_ct systemctl is-active optiq)" = active ] || fail "upgrade did not restart the service"
in_ct curl -sfk --retry 5 --retry-connrefused --max-time 5 https://127.0.0.1:8443/healthz >/dev/null || fail "/healthz after upgrade"
printf 'correct horse battery staple\n' | in_ct env -i HOME=/root PATH=/usr/bin:/bin optiq login https://127.0.0.1:8443 \
	--email admin@example.com --password-stdin --fingerprint "$fp" >/dev/null || fail "sign-in after upgrade"
ok "upgrade restarted the service; master key, certificate and accounts kept"

echo "-- stop, remove, purge"
in_ct systemctl stop optiq
[ "$(show Result)" = success ] && [ "$(show ExecMainStatus)" = 0 ] || fail "stop: Result=$(show Result) status=$(show ExecMainStatus)"
ok "systemctl stop: exit 0"
in_ct systemctl start optiq
in_ct dpkg -r optiq >/dev/null
[ "$(in_ct systemctl is-active optiq || true)" != active ] || fail "dpkg -r left the service running"
in_ct test -f /var/lib/optiq/control.db || fail "dpkg -r deleted the data"
ok "dpkg -r stopped the service and kept the data"
in_ct dpkg -P optiq >/dev/null 2>&1
! in_ct test -e /var/lib/optiq && ! in_ct test -e /etc/optiq && ! in_ct getent passwd optiq >/dev/null || fail "purge left data, config or user"
ok "dpkg -P removed the data, /etc/optiq and the user"
in_ct systemctl poweroff >/dev/null 2>&1 || true
for _ in $(seq 1 50); do kill -0 "$nspid" 2>/dev/null || break; sleep 0.2; done
kill "$nspid" 2>/dev/null || true
wait "$nspid" 2>/dev/null || true
nspid=
rmdir "/run/systemd/nspawn/propagate/$machine" 2>/dev/null || true

step "done: lintian clean of errors, $(grep -o 'exposure level for optiq.service: [0-9.]*' <<<"$sec"), install and systemd tests passed"
