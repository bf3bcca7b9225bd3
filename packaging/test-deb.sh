#!/usr/bin/env bash
# Install, upgrade, remove, reinstall and purge the posd package in a fresh Debian chroot and
# check what each step must keep:  packaging/test-deb.sh BINARY
#
#   BINARY   a posd binary for this machine's architecture (a debug build is fine: this tests
#            the package and its maintainer scripts, not the daemon)
#   SUITE    Debian release of the chroot (default trixie); MIRROR as for mmdebstrap
#
# Builds two packages from BINARY (VERSION-1 and VERSION-2) with packaging/build-deb.sh, makes
# a minbase chroot with systemd (mmdebstrap), and runs dpkg in it. systemd does not run in the
# chroot, so postinst enables but does not start posd (exactly as in an image build).
# Needs root (chroot). Prints "N passed, 0 failed" and exits non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: packaging/test-deb.sh BINARY}
SUITE=${SUITE:-trixie}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ARCH=$(dpkg --print-architecture)
[ "$(id -u)" -eq 0 ] || { echo "test-deb: needs root (chroot)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "test-deb: apt-get install mmdebstrap" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/posd-debtest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
R=$WORK/root
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "  ok    $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL  $*"; }
check() { # check DESCRIPTION COMMAND...: run COMMAND inside the chroot
    local what=$1
    shift
    if chroot "$R" /bin/sh -c "$*" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
in_root() { chroot "$R" /bin/sh -c "$*"; }

# A debug build is big; strip a copy, the package is what is tested.
strip -o "$WORK/posd" "$BIN"
BIN=$WORK/posd
v=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
echo "=== packages $v-1 and $v-2 for $ARCH"
# $v-1 stands for the first packages, whose media-posdata.mount was enabled (wanted by
# multi-user.target, so a Pi without its drive waited for it at boot): the upgrade to $v-2
# must drop that enable symlink.
OLD_UNITS=$WORK/old-units
cp -r systemd "$OLD_UNITS"
printf '\n[Install]\nWantedBy=multi-user.target\n' >>"$OLD_UNITS/media-posdata.mount"
for rev in 1 2; do
    units=$PWD/systemd
    [ "$rev" != 1 ] || units=$OLD_UNITS
    LINTIAN=no POSD_BIN=$BIN POSD_DEB_VERSION=$v-$rev OUT_DIR=$WORK/debs POSD_SYSTEMD_DIR=$units \
        packaging/build-deb.sh "$ARCH" | grep '^built'
done

echo "=== $SUITE $ARCH chroot (mmdebstrap minbase + systemd)"
mmdebstrap --quiet --variant=minbase --include=systemd "$SUITE" "$R" "$MIRROR"
cp "$WORK"/debs/*.deb "$R/tmp/"
DATA=/media/posdata
snapshot() { in_root "cd $DATA && find . -type f -print0 | sort -z | xargs -0 sha256sum"; }

echo "=== install $v-1"
in_root "dpkg -i /tmp/posd_$v-1_$ARCH.deb"
check "installed" "dpkg -s posd | grep -qx 'Status: install ok installed'"
check "posd is a system user with no login shell" \
    "uid=\$(getent passwd posd | cut -d: -f3); [ \$uid -lt 1000 ] && getent passwd posd | grep -q nologin"
check "the data mount point exists, root-owned 0755" \
    "[ \"\$(stat -c '%U %a' $DATA)\" = 'root 755' ]"
check "/etc/posd/posd.toml is a conffile" "dpkg-query -W -f='\${Conffiles}' posd | grep -q /etc/posd/posd.toml"
check "posd.service is enabled" "[ -L /etc/systemd/system/multi-user.target.wants/posd.service ]"
check "(as the first packages did) media-posdata.mount is enabled" \
    "[ -L /etc/systemd/system/multi-user.target.wants/media-posdata.mount ]"
check "the units are in /usr/lib/systemd/system" "[ -f /usr/lib/systemd/system/posd.service ]"
check "the udev rules are in /usr/lib/udev/rules.d" "ls /usr/lib/udev/rules.d/*posd* >/dev/null"
check "the installed config is valid for the installed binary" "posd check-config"
check "man posd is installed" "[ -f /usr/share/man/man8/posd.8.gz ]"

echo "=== the restaurant's data and an edited config"
# Stand-in for the USB drive's contents: a real posd database, written by posd itself.
in_root "posd --data-dir $DATA demo" >/dev/null
in_root "sed -i 's/^name = .*/name = \"Taverna Test\"/' /etc/posd/posd.toml"
before=$(snapshot)
same() { if [ "$(snapshot)" = "$before" ]; then ok "the data is untouched"; else bad "the data is untouched"; fi; }
if [ -n "$before" ]; then ok "a database on the data drive"; else bad "a database on the data drive"; fi

echo "=== upgrade to $v-2"
in_root "dpkg -i /tmp/posd_$v-2_$ARCH.deb"
check "upgraded" "dpkg-query -W -f='\${Version}' posd | grep -qx '$v-2'"
check "the edited config is kept" "grep -q 'Taverna Test' /etc/posd/posd.toml"
same
check "still enabled" "[ -L /etc/systemd/system/multi-user.target.wants/posd.service ]"
check "the drive's mount is no longer enabled: udev alone starts it" \
    "[ ! -e /etc/systemd/system/multi-user.target.wants/media-posdata.mount ]"
check "posd-drive.service is installed" "[ -f /usr/lib/systemd/system/posd-drive.service ]"

echo "=== a service the admin disabled stays disabled across an upgrade"
in_root "systemctl disable posd.service"
in_root "dpkg -i /tmp/posd_$v-2_$ARCH.deb"
check "still disabled after reinstalling" "[ ! -e /etc/systemd/system/multi-user.target.wants/posd.service ]"
in_root "systemctl enable posd.service"

echo "=== remove"
in_root "dpkg -r posd"
check "removed, config files left" "dpkg -s posd | grep -qx 'Status: deinstall ok config-files'"
check "the binary is gone" "[ ! -e /usr/bin/posd ]"
check "the unit is gone" "[ ! -e /usr/lib/systemd/system/posd.service ]"
check "the edited config is kept" "grep -q 'Taverna Test' /etc/posd/posd.toml"
same
check "the posd user is kept" "getent passwd posd"

echo "=== reinstall after remove"
in_root "dpkg -i /tmp/posd_$v-2_$ARCH.deb"
check "the edited config is still in force" "grep -q 'Taverna Test' /etc/posd/posd.toml"
check "enabled again" "[ -L /etc/systemd/system/multi-user.target.wants/posd.service ]"
check "not masked" "[ ! -L /etc/systemd/system/posd.service ]"

echo "=== purge"
in_root "dpkg -P posd"
check "purged" "! dpkg -s posd 2>/dev/null | grep -q '^Status: .* installed'"
check "/etc/posd is gone" "[ ! -e /etc/posd ]"
check "no posd symlinks left in /etc/systemd" "[ -z \"\$(find /etc/systemd -lname '*posd*')\" ]"
same
check "the posd user is kept (files on the drive belong to it)" "getent passwd posd"

echo "=== remove a package with the first packages' layout, then install this one"
in_root "dpkg -i /tmp/posd_$v-1_$ARCH.deb && dpkg -r posd" >/dev/null
check "(that remove masked the drive's mount)" \
    "[ \"\$(readlink /etc/systemd/system/media-posdata.mount)\" = /dev/null ]"
in_root "dpkg -i /tmp/posd_$v-2_$ARCH.deb" >/dev/null
check "installing this one unmasks it: udev can mount the drive again" \
    "[ ! -L /etc/systemd/system/media-posdata.mount ]"
check "and does not enable it" \
    "[ ! -e /etc/systemd/system/multi-user.target.wants/media-posdata.mount ]"

echo
echo "deb test ($SUITE, $ARCH): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
