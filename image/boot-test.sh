#!/usr/bin/env bash
# Boot the posd Pi image under qemu-system-aarch64 and check the appliance end to end:
#   image/boot-test.sh [dist/posd-pi4-*.img.xz | .img.zst | .img] [posd_NEWER_arm64.deb]
#
#   1. first boot with a USB stick labelled POSDATA: posd reaches READY (its unit is active)
#      and answers GET /api/system/health through a port forwarded to 127.0.0.1; the card's
#      settings (noatime, volatile journal, no swap, first-boot identity) are as built;
#   2. the same card and stick again: READY again, the same data serves; given a newer .deb,
#      `apt-get install ./posd_*.deb` on the running appliance upgrades and restarts posd,
#      keeps an edited /etc/posd/posd.toml, and the same data serves;
#   3. a fresh card without the stick: posd runs, serves nothing and says it is waiting for its
#      drive; the stick plugged in while it waits (USB hot-plug through the qemu monitor) is
#      mounted, handed to posd and served by the same posd process; pulled out, posd keeps
#      running and says degraded; plugged back, it serves again.
# Reports the guest's time from kernel start to posd READY (systemd's monotonic clock), for
# the first boot and for an ordinary later one.
#
# How: -M virt -cpu cortex-a72 with the image's own kernel and initrd (copied from its boot
# partition with mtools) and the image as a virtio disk; the data drive is a real emulated USB
# mass-storage device on an xHCI controller, as on the Pi. Boots 1 and 3 each start from a
# fresh copy-on-write overlay of the image (a first boot); boot 2 reuses boot 1's. The test's copy of the image gets
# ssh=on and a throw-away key in posd.txt (the documented way to turn SSH on), and the checks
# inside the guest go over SSH. qemu runs in a network namespace of its own with user-mode
# networking restricted to the guest: nothing leaves this machine; the forwarded ports listen
# on 127.0.0.1 inside that namespace only.
# What a Pi adds and qemu cannot show: the Pi firmware's own ~5-8 s before the kernel, the
# config.txt/cmdline.txt path, the real SD card, Ethernet and USB controllers.
#
#   TIMEOUT   seconds to wait for each boot (default 900: TCG emulation on a busy machine)
#   KEEP_WORK=1  keep the work folder (console logs, overlays)
#   VERBOSE_CONSOLE=1  boot without "quiet" and copy the journal to the console log
#   GUEST_CLOCK=icount  the guest's clock counts executed instructions (1 ns each: a 1 GHz CPU
#             retiring one instruction per cycle, about half a Pi 4's Cortex-A72) instead of
#             following the host's clock, so the boot figure no longer depends on how fast
#             this machine emulates or how busy it is; single-threaded TCG, so slower in wall
#             time. Default: the host's clock (the emulated boot as it happens).
# The kernel command line is the image's own cmdline.txt with the Pi's consoles replaced by
# qemu's serial port (ttyAMA0).
# Needs root (network namespace), qemu-system-arm, qemu-utils, mtools, openssh-client, curl.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TIMEOUT=${TIMEOUT:-900}
die() { echo "boot-test: $*" >&2; exit 1; }
say() { printf '\n=== [%4ds] %s\n' "$SECONDS" "$*"; }

UPGRADE_DEB=${2:-}
if [ -n "$UPGRADE_DEB" ]; then UPGRADE_DEB=$(cd "$(dirname "$UPGRADE_DEB")" && pwd)/$(basename "$UPGRADE_DEB"); fi
IMG_IN=${1:-$(find "$ROOT/dist" -maxdepth 1 -name 'posd-pi4-*.img*' ! -name '*.sha256' \
    -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -1 | cut -d' ' -f2-)}
if [ -z "$IMG_IN" ] || [ ! -f "$IMG_IN" ]; then die "no image: run image/build-image.sh first"; fi
[ "$(id -u)" -eq 0 ] || die "needs root (network namespace)"
for t in qemu-system-aarch64 qemu-img mcopy mdir sfdisk ssh ssh-keygen curl ip mkfs.ext4; do
    command -v "$t" >/dev/null || die "$t is missing: apt-get install qemu-system-arm \
qemu-utils mtools fdisk openssh-client curl iproute2 e2fsprogs"
done

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/posd-boot.XXXXXX")
NS=posd-boot-$$
QEMU_PID=""
cleanup() {
    [ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

say "unpack $(basename "$IMG_IN")"
DISK=$WORK/disk.img
case "$IMG_IN" in
*.xz) xz -dc "$IMG_IN" | dd of="$DISK" bs=1M conv=sparse status=none ;;
*.zst) zstd -dcq "$IMG_IN" | dd of="$DISK" bs=1M conv=sparse status=none ;;
*) cp --sparse=always "$IMG_IN" "$DISK" ;;
esac
boot_off=$(( $(sfdisk --dump "$DISK" | sed -n 's/.*1 : start= *\([0-9]*\),.*/\1/p') * 512 ))
[ "$boot_off" -gt 0 ] || die "no boot partition in the image"
FAT="$DISK@@$boot_off"
kernel=$(mdir -b -i "$FAT" ::/ | sed -n 's|^::/\(vmlinuz-.*\)|\1|p' | sort -V | tail -1)
initrd=$(mdir -b -i "$FAT" ::/ | sed -n 's|^::/\(initrd.img-.*\)|\1|p' | sort -V | tail -1)
if [ -z "$kernel" ] || [ -z "$initrd" ]; then die "no kernel/initrd on the boot partition"; fi
mcopy -i "$FAT" "::/$kernel" "$WORK/vmlinuz"
mcopy -i "$FAT" "::/$initrd" "$WORK/initrd"
pi_cmdline=$(mcopy -i "$FAT" ::/cmdline.txt - | tr -d '\r\n')
echo "kernel $kernel, initrd $initrd; the Pi would boot with: $pi_cmdline"
cmdline="$(echo "$pi_cmdline" | tr ' ' '\n' | grep -v '^console=' | grep . | tr '\n' ' ')console=ttyAMA0"
if [ -n "${VERBOSE_CONSOLE:-}" ]; then
    cmdline="$(echo "$cmdline" | sed 's/\bquiet\b//') systemd.journald.forward_to_console=1"
fi
echo "qemu boots it with: $cmdline"

# The documented way to turn SSH on: posd.txt on the boot partition, with a throw-away key.
ssh-keygen -q -t ed25519 -N '' -C posd-boot-test -f "$WORK/key"
mcopy -i "$FAT" ::/posd.txt "$WORK/posd.txt"
sed -i -e 's/^ssh=.*/ssh=on/' -e '/^#\?ssh_key=/d' "$WORK/posd.txt"
echo "ssh_key=$(cat "$WORK/key.pub")" >>"$WORK/posd.txt"
mcopy -o -i "$FAT" "$WORK/posd.txt" ::/posd.txt

# The USB data drive: ext4, labelled POSDATA.
truncate -s 512M "$WORK/posdata.img"
mkfs.ext4 -q -L POSDATA "$WORK/posdata.img"

ip netns add "$NS"
ip -n "$NS" link set lo up
in_ns() { ip netns exec "$NS" "$@"; }
HTTP_PORT=18080
SSH_PORT=18022
gssh() {
    in_ns ssh -q -i "$WORK/key" -p "$SSH_PORT" -o BatchMode=yes -o ConnectTimeout=20 \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1 "$@"
}

boot() { # boot NAME [extra qemu args...]: boot the overlay NAME (a fresh one the first
    # time: a first boot of the image), wait for SSH
    local name=$1
    shift
    [ -f "$WORK/$name.qcow2" ] || qemu-img create -q -f qcow2 -b "$DISK" -F raw "$WORK/$name.qcow2"
    echo "--- $(date -u +%T) boot" >>"$WORK/$name.console"
    local clock=()
    [ "${GUEST_CLOCK:-}" != icount ] || clock=(-icount shift=0,sleep=off)
    in_ns qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 "${clock[@]}" \
        -display none -monitor "unix:$WORK/monitor.sock,server=on,wait=off" \
        -chardev "file,id=con,path=$WORK/$name.console,append=on" -serial chardev:con \
        -kernel "$WORK/vmlinuz" -initrd "$WORK/initrd" -append "$cmdline" \
        -drive "file=$WORK/$name.qcow2,if=none,id=sd,format=qcow2" -device virtio-blk-pci,drive=sd \
        -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$HTTP_PORT-:80,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22" \
        -device virtio-net-pci,netdev=n0 \
        -device qemu-xhci,id=xhci "$@" &
    QEMU_PID=$!
    local t0=$SECONDS
    until gssh true 2>/dev/null; do
        kill -0 "$QEMU_PID" 2>/dev/null || die "qemu exited; console: $WORK/$name.console"
        [ $((SECONDS - t0)) -lt "$TIMEOUT" ] || {
            tail -40 "$WORK/$name.console"
            die "$name: no SSH after $TIMEOUT s"
        }
        sleep 5
    done
    echo "$name: SSH answers after $((SECONDS - t0)) s of wall time"
}
halt() {
    gssh systemctl poweroff >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 1; done
    kill "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
}
unit() { gssh systemctl show -p "$1" --value posd.service; }
hmp() { # hmp COMMAND: one command on the qemu monitor (human monitor protocol), its output
    python3 - "$WORK/monitor.sock" "$*" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)
def until_prompt():
    buf = b""
    while not buf.rstrip().endswith(b"(qemu)"):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")
until_prompt()
s.sendall(sys.argv[2].encode() + b"\n")
out = until_prompt().replace("\r", "")
print("\n".join(l for l in out.splitlines()[1:] if l.strip() and not l.startswith("(qemu)")))
PY
}
health_json() { in_ns curl -sS --max-time 10 "http://127.0.0.1:$HTTP_PORT/api/system/health" 2>/dev/null || true; }
is_active() { [ "$(unit ActiveState)" = active ]; }
healthy() { [[ "$(health_json)" == *'"status":"healthy"'* ]]; }
degraded() { [[ "$(health_json)" == *'"status":"degraded"'* ]]; }
wait_for() { # wait_for SECONDS COMMAND...: poll COMMAND every 2 s until it succeeds
    local limit=$1 t0=$SECONDS
    shift
    until "$@"; do
        [ $((SECONDS - t0)) -lt "$limit" ] || return 1
        sleep 2
    done
}

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "  ok    $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL  $*"; }

say "boot 1: with a USB drive labelled POSDATA"
boot with-drive -drive "file=$WORK/posdata.img,if=none,id=usb,format=raw" \
    -device usb-storage,bus=xhci.0,drive=usb
settled() { case "$(unit ActiveState)" in active | failed) return 0 ;; esac; return 1; }
wait_for "$TIMEOUT" settled || true
if [ "$(unit ActiveState)" = active ]; then
    ok "posd.service is active (READY)"
else
    bad "posd.service is active (READY): $(unit ActiveState)/$(unit SubState)"
    gssh journalctl -b -u posd.service -u media-posdata.mount --no-pager | tail -20
fi
health=""
for _ in $(seq 1 30); do
    health=$(in_ns curl -fsS --max-time 10 "http://127.0.0.1:$HTTP_PORT/api/system/health" || true)
    [ -z "$health" ] || break
    sleep 2
done
echo "  health: $health"
if echo "$health" | grep -q '"status"'; then ok "GET /api/system/health answers through the forwarded port"; else bad "GET /api/system/health answers through the forwarded port"; fi
if gssh findmnt -n -o SOURCE,FSTYPE,OPTIONS /media/posdata; then ok "the drive is mounted at /media/posdata"; else bad "the drive is mounted at /media/posdata"; fi
if gssh "ls /media/posdata | grep -q ." ; then ok "posd keeps its data on the drive"; else bad "posd keeps its data on the drive"; fi
first_us=$(unit ActiveEnterTimestampMonotonic)
echo "  status: $(unit StatusText)"
gssh systemd-analyze 2>/dev/null | head -1 || true
echo "  first boot: host name $(gssh hostname), machine-id $(gssh cat /etc/machine-id | cut -c1-8)..., SSH host keys: $(gssh 'ls /etc/ssh/ssh_host_*_key | wc -l')"
if gssh "findmnt -n -o OPTIONS / | grep -q noatime"; then ok "root file system mounted noatime"; else bad "root file system mounted noatime"; fi
if gssh "journalctl --header 2>/dev/null | grep -q '/run/log/journal'"; then ok "the journal is volatile (in /run)"; else bad "the journal is volatile (in /run)"; fi
if [ -z "$(gssh swapon --show --noheadings)" ]; then ok "no swap"; else bad "no swap"; fi
halt

say "boot 2: the same card and drive again (an ordinary morning: no first-boot work)"
boot with-drive -drive "file=$WORK/posdata.img,if=none,id=usb,format=raw" \
    -device usb-storage,bus=xhci.0,drive=usb
wait_for "$TIMEOUT" is_active || true
if [ "$(unit ActiveState)" = active ]; then ok "posd is READY again after a reboot"; else bad "posd is READY again after a reboot"; fi
if in_ns curl -fsS --max-time 10 "http://127.0.0.1:$HTTP_PORT/api/system/health" | grep -q '"status"'; then
    ok "the same data drive serves after a reboot"
else
    bad "the same data drive serves after a reboot"
fi
ready_us=$(unit ActiveEnterTimestampMonotonic)
gssh systemd-analyze 2>/dev/null | head -1 || true
echo "  slowest units:"
gssh systemd-analyze blame --no-pager 2>/dev/null | head -8 || true
echo "  what posd waited for:"
gssh systemd-analyze critical-chain --no-pager posd.service 2>/dev/null | tail -n +3 || true
if [ -z "$(gssh journalctl -b -u posd-firstboot -o cat | grep 'posd-firstboot:')" ]; then
    ok "an ordinary boot applies nothing again (posd.txt unchanged: posd-firstboot's fast path)"
else
    bad "an ordinary boot applies nothing again: $(gssh journalctl -b -u posd-firstboot -o cat)"
fi
if [ -n "$UPGRADE_DEB" ]; then
    # The sysadmin's upgrade path, on the running appliance: apt install ./posd_*.deb.
    new=$(dpkg-deb -f "$UPGRADE_DEB" Version)
    before_id=$(unit InvocationID)
    gssh "sed -i 's/^name = .*/name = \"Boot Test Taverna\"/' /etc/posd/posd.toml"
    in_ns scp -q -i "$WORK/key" -P "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null "$UPGRADE_DEB" root@127.0.0.1:/tmp/posd-upgrade.deb
    gssh "DEBIAN_FRONTEND=noninteractive apt-get install -y /tmp/posd-upgrade.deb" | tail -3
    if [ "$(gssh "dpkg-query -W -f='\${Version}' posd")" = "$new" ]; then ok "apt install ./posd_$new upgraded posd"; else bad "apt install ./posd_$new upgraded posd"; fi
    restarted() { is_active && [ "$(unit InvocationID)" != "$before_id" ]; }
    wait_for 300 restarted || true
    if [ "$(unit InvocationID)" != "$before_id" ] && [ "$(unit ActiveState)" = active ]; then ok "posd was restarted and is READY"; else bad "posd was restarted and is READY"; fi
    if gssh "grep -q 'Boot Test Taverna' /etc/posd/posd.toml"; then ok "the edited config was kept"; else bad "the edited config was kept"; fi
    if in_ns curl -fsS --max-time 10 "http://127.0.0.1:$HTTP_PORT/api/system/health" | grep -q '"status"'; then
        ok "the data drive serves after the upgrade"
    else
        bad "the data drive serves after the upgrade"
    fi
fi
halt

say "boot 3: a fresh card without the drive; then the drive plugged in, pulled, plugged back"
boot no-drive
waiting() { unit StatusText | grep -qi 'waiting for usb drive posdata'; }
if wait_for 120 waiting; then ok "posd says it is waiting for its drive"; else bad "posd says it is waiting for its drive: $(unit StatusText)"; fi
state="$(unit ActiveState)/$(unit SubState)"
wait_pid=$(unit MainPID)
echo "  posd.service: $state (pid $wait_pid), status: $(unit StatusText)"
if [ "$(unit ActiveState)" = activating ]; then ok "posd runs but is not READY without its drive"; else bad "posd runs but is not READY without its drive: $state"; fi
if in_ns curl -fsS --max-time 5 "http://127.0.0.1:$HTTP_PORT/api/system/health" >/dev/null 2>&1; then
    bad "no health answer without the drive"
else
    ok "no health answer without the drive"
fi
if gssh "[ -z \"\$(ls -A /media/posdata)\" ]"; then ok "nothing written to the SD card's empty mount point"; else bad "nothing written to the SD card's empty mount point"; fi

hmp "drive_add 0 if=none,id=stick1,format=raw,file=$WORK/posdata.img"
hmp "device_add usb-storage,bus=xhci.0,drive=stick1,id=usb1"
t0=$SECONDS
if wait_for 300 healthy; then
    ok "drive plugged in while posd waits: posd is READY and serves ($((SECONDS - t0)) s of wall time)"
else
    bad "drive plugged in while posd waits: posd is READY and serves"
    gssh journalctl -b -u posd.service -u media-posdata.mount -u posd-drive.service --no-pager | tail -20
fi
if [ "$(unit MainPID)" = "$wait_pid" ] && [ "$(unit NRestarts)" = 0 ]; then
    ok "the same posd process (pid $wait_pid), no restart"
else
    bad "the same posd process: pid $wait_pid -> $(unit MainPID), restarts $(unit NRestarts)"
fi
echo "  status: $(unit StatusText)"

hmp "device_del usb1"
t0=$SECONDS
if wait_for 120 degraded; then
    ok "drive pulled: posd keeps answering and says degraded ($((SECONDS - t0)) s): $(health_json)"
else
    bad "drive pulled: posd keeps answering and says degraded: $(health_json)"
fi
if [ "$(unit ActiveState)" = active ] && [ "$(unit MainPID)" = "$wait_pid" ]; then ok "posd still runs"; else bad "posd still runs: $(unit ActiveState), pid $(unit MainPID)"; fi
if wait_for 60 gssh "! findmnt -n /media/posdata >/dev/null"; then ok "the pulled drive is unmounted"; else bad "the pulled drive is unmounted: $(gssh findmnt /media/posdata)"; fi

hmp "drive_add 0 if=none,id=stick2,format=raw,file=$WORK/posdata.img"
hmp "device_add usb-storage,bus=xhci.0,drive=stick2,id=usb2"
t0=$SECONDS
if wait_for 300 healthy; then
    ok "drive plugged back: posd serves again ($((SECONDS - t0)) s), pid $(unit MainPID)"
else
    bad "drive plugged back: posd serves again: $(health_json)"
    gssh journalctl -b -u posd.service -u media-posdata.mount --no-pager | tail -20
fi
halt

say "result"
for pair in "first boot:$first_us" "later boots:${ready_us:-}"; do
    us=${pair#*:}
    if [ -z "$us" ] || [ "$us" -le 0 ]; then continue; fi
    awk -v w="${pair%%:*}" -v us="$us" \
        -v c="${GUEST_CLOCK:-host}" \
        'BEGIN { printf "kernel start -> posd READY, %s %.1f s of guest time (guest clock: %s)\n", w, us / 1e6, c }'
done
echo "boot test: $pass passed, $fail failed (total wall time $SECONDS s)"
[ "$fail" -eq 0 ]
