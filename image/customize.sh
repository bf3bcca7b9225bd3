#!/bin/sh
# image/customize.sh ROOTFS: turn a fresh Debian arm64 tree (mmdebstrap's customize hook) into
# the posd appliance. Runs on the build host; commands inside the tree go through chroot.
# Every choice here serves one of: boots on a Pi 4 unattended, found on the LAN without typing
# an address, SSH off, and an SD card written as little as possible during service.
set -eu
R=$1
HERE=$(cd "$(dirname "$0")" && pwd)
in_root() { chroot "$R" "$@"; }

# Our files: journald, networkd, resolved drop-ins, posd-firstboot and posd.txt.
cp -a "$HERE/rootfs/." "$R/"
chown -R root:root "$R/etc/systemd" "$R/usr/local/sbin" "$R/boot/firmware/posd.txt"

# Host name until posd-firstboot applies posd.txt.
echo pos >"$R/etc/hostname"
cat >"$R/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	pos
::1	localhost ip6-localhost ip6-loopback
EOF

# File systems. The root on the SD card: noatime (reads never write), commit=60 (fewer journal
# commits; the card holds no transactional data, orders are on the USB drive), and no swap
# anywhere. /tmp in RAM. The boot partition is written only by kernel upgrades.
cat >"$R/etc/fstab" <<'EOF'
# posd appliance (see image/customize.sh). No swap, on purpose.
LABEL=RASPIROOT  /               ext4   rw,noatime,commit=60,errors=remount-ro  0 1
LABEL=RASPIFIRM  /boot/firmware  vfat   rw,noatime,umask=0022                   0 2
tmpfs            /tmp            tmpfs  rw,nosuid,nodev,size=256M,mode=1777     0 0
EOF

# raspi-firmware writes config.txt and cmdline.txt at every kernel install from these
# settings. Set them for a headless Pi 4 booting from this card's root by label, then
# regenerate (the hook copies the kernel, initrd and device trees to /boot/firmware too).
# CMA=0: no cma= on the command line (a headless appliance needs no GPU pool, and cma= can
# stop a Pi 4 from booting; the hook cannot tell it builds for a Pi 4 inside a chroot).
# Boot log on HDMI (the last console), a login prompt on the serial port too.
cat >>"$R/etc/default/raspi-firmware" <<'EOF'

# posd appliance (image/customize.sh)
ROOTPART=LABEL=RASPIROOT
CMA=0
CONSOLES="ttyS1,115200 tty0"
EOF
# Kept by every later kernel upgrade (the hook appends this file to cmdline.txt): "quiet" keeps
# the kernel's messages off the consoles (warnings and errors still show). A serial console at
# 115200 baud takes ~1 s per 11 KB of boot messages, and nobody watches an appliance boot.
echo quiet >"$R/etc/default/raspi-extra-cmdline"
in_root env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/z50-raspi-firmware
{ grep -q 'root=LABEL=RASPIROOT' "$R/boot/firmware/cmdline.txt" && grep -qw quiet "$R/boot/firmware/cmdline.txt"; } || {
    echo "customize: cmdline.txt does not boot quietly from LABEL=RASPIROOT:" >&2
    cat "$R/boot/firmware/cmdline.txt" >&2
    exit 1
}

# Services. networkd (DHCP) + resolved (DNS) + timesyncd (clock); posd-firstboot. SSH is
# installed but off until posd.txt turns it on, and its host keys are made on each card.
in_root systemctl enable systemd-networkd.service systemd-resolved.service \
    systemd-timesyncd.service posd-firstboot.service
in_root systemctl disable ssh.service 2>/dev/null || true
in_root systemctl disable ssh.socket 2>/dev/null || true
rm -f "$R"/etc/ssh/ssh_host_*
# The appliance is upgraded on purpose (apt install ./posd_*.deb), not by timers that
# download package lists to the SD card every day.
in_root systemctl disable apt-daily.timer apt-daily-upgrade.timer 2>/dev/null || true
# No swap: make sure nothing can activate one.
in_root systemctl mask swap.target >/dev/null
# networkd-wait-online would hold boot for 2 minutes without a cable; posd needs no wait.
in_root systemctl disable systemd-networkd-wait-online.service 2>/dev/null || true

# posd from the .deb: enabled by its postinst. Checked here so a broken package fails the build.
in_root systemctl is-enabled posd.service >/dev/null || {
    echo "customize: posd.service is not enabled" >&2
    exit 1
}
in_root getent passwd posd >/dev/null || {
    echo "customize: no posd user" >&2
    exit 1
}

# Root has no password: console and SSH password logins are impossible. The sysadmin gets in
# with an SSH key from posd.txt.
in_root usermod -p '*' root

# Identity made on the card at first boot, never shipped: an empty machine-id makes systemd
# generate and save one at first boot (machine-id(5); mmdebstrap leaves it empty too). Not
# "uninitialized": that would run `systemctl preset-all` at first boot and turn SSH back on.
# SSH host keys are made by posd-firstboot / sshd-keygen when SSH is turned on.
: >"$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id" "$R/var/lib/systemd/random-seed"
# Leftovers of the build.
rm -rf "$R"/var/cache/apt/*.bin "$R"/var/lib/apt/lists/*_Packages "$R"/var/log/*.log \
    "$R"/var/log/apt/*
