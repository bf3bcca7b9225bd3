#!/usr/bin/env bash
# Boot a real systemd (systemd-nspawn -b on a small Debian rootfs made with mmdebstrap) with
# posd's units installed, and show:
#   1. without its data drive posd runs but waits: the unit stays "activating" with the status
#      "Waiting for USB drive POSDATA", its start timeout does not kill it (EXTEND_TIMEOUT_USEC),
#      and nothing is written to the bare /media/posdata folder,
#   2. plugging the drive in (the mount unit starts, as udev would start it) is enough: the
#      root-owned drive is handed to user posd (posd-drive.service), the same posd process
#      sees the new mount inside its sandbox (ProtectSystem=strict, PrivateMounts) and is
#      READY (Type=notify: "active" only after READY=1), as user posd on port 80,
#   3. the journal carries ORDER_ID/TABLE/USER/CODE fields (journalctl -u posd -o verbose),
#   4. a deliberately hung health check (POSD_DEBUG_HOOKS=1 + SIGUSR2 hangs the store writer)
#      gets posd killed by the watchdog and restarted by systemd.
# The container has a private network (loopback only) and no USB drive: the test replaces
# media-posdata.mount with a tmpfs (a device of its own, like a stick) that may only be
# mounted once /srv/usb-stick exists ("plugging in" = creating it). posd runs with --demo so
# the fresh "drive" holds the demo restaurant.
# Needs root, systemd-container and mmdebstrap (apt-get install systemd-container mmdebstrap).
# Takes ~1.5 min with a cached rootfs (ROOTFS, default /var/tmp/posd-nspawn/rootfs), plus ~1.5
# min to build one. Usage: scripts/test-systemd-boot.sh [path/to/posd]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/posd}
ROOTFS=${ROOTFS:-/var/tmp/posd-nspawn/rootfs}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v systemd-nspawn >/dev/null || { echo "SKIP: no systemd-nspawn"; exit 77; }
[ -x "$BIN" ] || { echo "no posd binary at $BIN (cargo build first)"; exit 1; }

say() { printf '\n=== %s\n' "$*"; }
fail() { echo "FAIL: $*"; exit 1; }

if [ ! -x "$ROOTFS/usr/lib/systemd/systemd" ]; then
  say "building the rootfs with mmdebstrap"
  mmdebstrap --variant=minbase --include=systemd,systemd-sysv,dbus,curl,util-linux \
    bookworm "$ROOTFS" http://deb.debian.org/debian
fi

say "installing posd, its units and its user into the rootfs"
install -m 0755 "$BIN" "$ROOTFS/usr/bin/posd"
install -m 0644 systemd/posd.service "$ROOTFS/etc/systemd/system/posd.service"
install -m 0644 systemd/posd-drive.service "$ROOTFS/etc/systemd/system/posd-drive.service"
install -D -m 0644 systemd/posd.sysusers "$ROOTFS/usr/lib/sysusers.d/posd.conf"
install -D -m 0644 udev/99-posd-data.rules "$ROOTFS/etc/udev/rules.d/99-posd-data.rules"
chroot "$ROOTFS" systemd-sysusers
# The real mount unit needs /dev/disk/by-label/POSDATA; check it, then stand in a bind mount.
install -m 0644 systemd/media-posdata.mount "$ROOTFS/etc/systemd/system/media-posdata.mount"
chroot "$ROOTFS" systemd-analyze verify --man=no /etc/systemd/system/posd.service \
  /etc/systemd/system/media-posdata.mount /etc/systemd/system/posd-drive.service
chroot "$ROOTFS" systemd-analyze security --offline=true /etc/systemd/system/posd.service |
  tail -1
cat > "$ROOTFS/etc/systemd/system/media-posdata.mount" <<'EOF'
[Unit]
Description=stand-in for the POSDATA drive (tmpfs, only once /srv/usb-stick exists)
AssertPathExists=/srv/usb-stick
DefaultDependencies=no
Conflicts=umount.target
Before=umount.target
Wants=posd-drive.service
[Mount]
What=posdata-stick
Where=/media/posdata
Type=tmpfs
Options=size=64m,mode=0755,noatime
EOF
mkdir -p "$ROOTFS/etc/systemd/system/posd.service.d" "$ROOTFS/etc/posd"
cat > "$ROOTFS/etc/systemd/system/posd.service.d/test.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/usr/bin/posd serve --demo
WatchdogSec=3s
# Short, so that the 25 s wait below outlasts it: EXTEND_TIMEOUT_USEC must keep posd alive.
TimeoutStartSec=8s
Environment=POSD_DEBUG_HOOKS=1
EOF
cat > "$ROOTFS/etc/posd/posd.toml" <<'EOF'
listen = "0.0.0.0:80"
[restaurant]
timezone = "UTC"
[storage]
mount = "/media/posdata"
min_free_mib = 1
EOF
rm -rf "$ROOTFS/srv/usb-stick" "$ROOTFS/media/posdata"
mkdir -p "$ROOTFS/media/posdata"
rm -f "$ROOTFS/etc/systemd/system/multi-user.target.wants/posd.service"

say "booting"
LOG=$(mktemp)
systemd-nspawn -q -D "$ROOTFS" --register=no --keep-unit --private-network -b >"$LOG" 2>&1 &
NSPAWN=$!
cleanup() {
  kill "$NSPAWN" 2>/dev/null || true
  wait "$NSPAWN" 2>/dev/null || true
  rm -f "$LOG"
}
trap cleanup EXIT
LEADER=
for _ in $(seq 100); do
  LEADER=$(pgrep -P "$NSPAWN" -x systemd || true)
  [ -n "$LEADER" ] && break
  sleep 0.1
done
[ -n "$LEADER" ] || { cat "$LOG"; fail "the container did not boot"; }
IN() { nsenter -t "$LEADER" -m -u -i -n -p -- env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
for _ in $(seq 300); do
  s=$(IN systemctl is-system-running 2>/dev/null || true)
  case "$s" in running|degraded) break ;; esac
  sleep 0.1
done
echo "system: $s"

say "1. no drive: posd runs and waits, outlives its start timeout, writes nothing"
IN systemctl start --no-block posd
sleep 25   # > TimeoutStartSec=8s of the drop-in: only EXTEND_TIMEOUT_USEC keeps posd alive
state=$(IN systemctl show posd -p ActiveState --value)
status=$(IN systemctl show posd -p StatusText --value)
PID0=$(IN systemctl show posd -p MainPID --value)
echo "posd: $state (pid $PID0), status: $status"
[ "$state" = activating ] || fail "posd is $state without its drive (expected activating)"
grep -q '^Waiting for USB drive POSDATA' <<<"$status" || fail "status does not say it waits"
[ "$(IN systemctl show posd -p NRestarts --value)" = 0 ] || fail "posd was restarted while waiting"
IN findmnt /media/posdata && fail "something is mounted at /media/posdata"
[ -z "$(ls -A "$ROOTFS/media/posdata")" ] || fail "files in the bare mount point"
echo "ok: posd waits (activating, same process after 25 s); /media/posdata is empty"

say "2. plug the drive in (the mount starts, as udev would start it): the same posd is READY"
mkdir -p "$ROOTFS/srv/usb-stick"
T0=$(date +%s.%N)
IN systemctl start media-posdata.mount
for _ in $(seq 300); do
  [ "$(IN systemctl show posd -p ActiveState --value)" = active ] && break
  sleep 0.05
done
T1=$(date +%s.%N)
[ "$(IN systemctl is-active posd)" = active ] || fail "posd is not active after the drive came"
IN systemctl show posd -p StatusText -p MainPID -p User -p NRestarts
[ "$(IN systemctl show posd -p MainPID --value)" = "$PID0" ] || fail "posd was restarted, not woken"
[ "$(IN systemctl is-active posd-drive)" = active ] || fail "posd-drive.service did not run"
IN stat -c '%U:%G %a %n' /media/posdata
[ "$(IN stat -c %U /media/posdata)" = posd ] || fail "the drive was not handed to posd"
echo "ok: drive mounted -> READY in $(echo "$T1 - $T0" | bc 2>/dev/null || echo "?") s, same pid $PID0"
IN curl -sf http://127.0.0.1/api/system/health; echo
IN test -f /media/posdata/posd.redb || fail "no database on the drive"
IN stat -c '%U %n' /media/posdata/posd.redb

say "3. journal fields"
json() { python3 -c "import json,sys; print($1)"; }
TOKEN=$(IN curl -sf -H 'content-type: application/json' \
  -d '{"username":"waiter01","pin":"1234"}' http://127.0.0.1/api/auth/login |
  json 'json.load(sys.stdin)["access_token"]')
[ -n "$TOKEN" ] || fail "login failed"
TABLE=$(IN curl -sf -H "authorization: Bearer $TOKEN" http://127.0.0.1/api/tables/ |
  json 'json.load(sys.stdin)[0]["id"]')
IN curl -sf -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d "{\"table_id\":$TABLE}" http://127.0.0.1/api/orders/ >/dev/null || fail "open order failed"
sleep 1
J=$(IN journalctl -u posd -o verbose --no-pager)
grep -E '^\s+(ORDER_ID|TABLE|USER|CODE|PRIORITY|MESSAGE)=' <<<"$J" | tail -8
grep -q 'ORDER_ID=' <<<"$J" || fail "no ORDER_ID field"
grep -q "$TOKEN" <<<"$J" && fail "a token is in the journal"
echo "ok: structured fields in the journal, no token"

say "4. hang the writer: the watchdog must restart posd"
PID1=$(IN systemctl show posd -p MainPID --value)
IN systemctl kill -s USR2 --kill-whom=main posd
T0=$(date +%s)
for _ in $(seq 300); do
  n=$(IN systemctl show posd -p NRestarts --value)
  pid=$(IN systemctl show posd -p MainPID --value)
  st=$(IN systemctl is-active posd || true)
  [ "$n" -ge 1 ] && [ "$pid" != "$PID1" ] && [ "$st" = active ] && break
  sleep 0.1
done
[ "$n" -ge 1 ] || fail "posd was not restarted"
echo "ok: restarted (NRestarts=$n, pid $PID1 -> $pid) $(( $(date +%s) - T0 )) s after the hang"
J=$(IN journalctl -u posd --no-pager)
grep -E 'Watchdog timeout|health check failed|hangs on purpose|Started|Stopping' <<<"$J" | tail -8
IN curl -sf http://127.0.0.1/api/system/health; echo

say "5. stop: STOPPING, clean exit"
IN systemctl stop posd
IN systemctl show posd -p Result -p ActiveState
echo
echo "systemd boot test OK"
