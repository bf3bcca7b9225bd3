#!/usr/bin/env bash
# Build a flashable Raspberry Pi 4 SD card image of the posd appliance from Debian's own arm64
# packages:  image/build-image.sh [path/to/posd_VERSION_arm64.deb]
#
#   default .deb   the newest dist/posd_*_arm64.deb (make one with packaging/build-deb.sh arm64)
#   SUITE          Debian release (default trixie)
#   MIRROR         Debian mirror (default http://deb.debian.org/debian)
#   OUT_DIR        output folder (default dist/); the image is never committed (*.img in .gitignore)
#   COMPRESS       xz (default) or zstd
#   KEEP_WORK=1    keep the work folder (rootfs, partitions) for inspection
#
# No loop devices and no mounts of the image: mmdebstrap makes the root file system in a
# folder (foreign arm64 packages run through qemu-user-static's binfmt handler), the boot
# partition is a FAT file system filled with mtools, the root partition an ext4 file system
# filled by `mkfs.ext4 -d`, and sfdisk + dd put both into one disk image.
# Needs root for mmdebstrap's chroot and for file ownership in the tree.
#
# Disk layout (MBR, as the Pi 4 boot ROM wants):
#   p1  RASPIFIRM  FAT32  256 MiB  firmware, config.txt, cmdline.txt, kernel, initrd, posd.txt
#   p2  RASPIROOT  ext4            Debian + posd; mounted noatime, never written during service
# The restaurant's data is on a USB drive labelled POSDATA, not on the card.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

SUITE=${SUITE:-trixie}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
OUT_DIR=${OUT_DIR:-$ROOT/dist}
COMPRESS=${COMPRESS:-xz}
BOOT_MIB=256
die() { echo "build-image: $*" >&2; exit 1; }
say() { printf '\n=== [%4ds] %s\n' "$SECONDS" "$*"; }

DEB=${1:-$(find "$ROOT/dist" -maxdepth 1 -name 'posd_*_arm64.deb' -printf '%T@ %p\n' 2>/dev/null \
    | sort -n | tail -1 | cut -d' ' -f2-)}
if [ -z "$DEB" ] || [ ! -f "$DEB" ]; then
    die "no posd arm64 .deb: run packaging/build-deb.sh arm64 first"
fi
DEB=$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")
[ "$(dpkg-deb -f "$DEB" Architecture)" = arm64 ] || die "$DEB is not an arm64 package"
VERSION=$(dpkg-deb -f "$DEB" Version)

[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap chroot, file ownership); no loop devices are used"
for t in mmdebstrap mkfs.ext4 mkfs.vfat mcopy mmd sfdisk dd truncate "$COMPRESS"; do
    command -v "$t" >/dev/null || die "$t is missing: apt-get install mmdebstrap qemu-user-static \
binfmt-support e2fsprogs dosfstools mtools fdisk xz-utils zstd"
done
# Foreign arm64 maintainer scripts run through binfmt_misc + qemu-aarch64-static.
if [ "$(uname -m)" != aarch64 ]; then
    [ -e /proc/sys/fs/binfmt_misc/status ] \
        || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
    if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
        update-binfmts --enable qemu-aarch64 2>/dev/null || true
    fi
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
        || die "no binfmt handler for arm64: apt-get install qemu-user-static binfmt-support"
fi

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/posd-image.XXXXXX")
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT
RFS=$WORK/rootfs

# Before the kernel is installed (so its initrd is made once, with them): the modules the
# initrd loads early to find the USB data stick sooner (image/initramfs/posd-modules).
# The Debian raspi image set (raspi-firmware, linux-image-arm64, firmware-brcm80211) plus
# systemd-networkd/resolved/timesyncd for DHCP, DNS and the clock, and what posd's drive needs.
PKGS=(
    systemd-sysv systemd-resolved systemd-timesyncd udev dbus kmod
    linux-image-arm64 raspi-firmware firmware-brcm80211 initramfs-tools zstd
    e2fsprogs dosfstools exfatprogs tzdata
    openssh-server iproute2 iputils-ping less nano
)

say "mmdebstrap $SUITE arm64 (${#PKGS[@]} packages + posd $VERSION)"
IFS=, pkgs="${PKGS[*]}"
unset IFS
mmdebstrap --architectures=arm64 --variant=minbase --components=main,non-free-firmware \
    --include="$pkgs" \
    --aptopt='Acquire::Retries "3"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --essential-hook="install -D -m 0644 '$HERE/initramfs/posd-modules' \"\$1/usr/share/initramfs-tools/modules.d/posd\"" \
    --customize-hook="copy-in '$DEB' /tmp" \
    --customize-hook="chroot \"\$1\" dpkg -i /tmp/$(basename "$DEB")" \
    --customize-hook="rm -f \"\$1\"/tmp/$(basename "$DEB")" \
    --customize-hook="'$HERE/customize.sh' \"\$1\"" \
    "$SUITE" "$RFS" "$MIRROR"

say "boot partition (FAT, mtools)"
[ -f "$RFS/boot/firmware/config.txt" ] || die "raspi-firmware wrote no config.txt"
ls "$RFS"/boot/firmware/vmlinuz-* "$RFS"/boot/firmware/initrd.img-* >/dev/null \
    || die "no kernel or initrd in /boot/firmware"
truncate -s "${BOOT_MIB}M" "$WORK/boot.part"
mkfs.vfat -F 32 -n RASPIFIRM "$WORK/boot.part" >/dev/null
mcopy -s -p -m -i "$WORK/boot.part" "$RFS"/boot/firmware/* ::/
# The files now live on the FAT partition, mounted over this folder at boot.
find "$RFS/boot/firmware" -mindepth 1 -delete

say "root partition (ext4, mkfs.ext4 -d)"
used_mib=$(du -s --block-size=1M "$RFS" | cut -f1)
# Room for two kernels and their initrds during an upgrade, apt's lists and a little more.
root_mib=$(( (used_mib * 13 / 10 + 400 + 3) / 4 * 4 ))
truncate -s "${root_mib}M" "$WORK/root.part"
# Inode tables and journal initialised now, so the Pi does not write them in the background
# at first boot (lazy init); 1 % reserved, as nothing but root writes here.
mkfs.ext4 -q -L RASPIROOT -m 1 -E lazy_itable_init=0,lazy_journal_init=0 \
    -d "$RFS" "$WORK/root.part"

say "disk image (sfdisk, dd)"
IMG=$WORK/posd.img
start=8192   # 4 MiB, aligned to flash erase blocks
boot_sectors=$((BOOT_MIB * 2048))
root_start=$((start + boot_sectors))
root_sectors=$((root_mib * 2048))
truncate -s $(( (root_start + root_sectors) * 512 )) "$IMG"
sfdisk --quiet "$IMG" <<EOF
label: dos
unit: sectors

start=$start, size=$boot_sectors, type=c, bootable
start=$root_start, size=$root_sectors, type=83
EOF
dd if="$WORK/boot.part" of="$IMG" bs=1M seek=$((start / 2048)) conv=notrunc,sparse status=none
dd if="$WORK/root.part" of="$IMG" bs=1M seek=$((root_start / 2048)) conv=notrunc,sparse status=none
sfdisk --dump "$IMG"

say "compress ($COMPRESS)"
mkdir -p "$OUT_DIR"
NAME=posd-pi4-${VERSION}-${SUITE}.img
case "$COMPRESS" in
xz) xz -T0 -6 -c "$IMG" >"$OUT_DIR/$NAME.xz"; OUT=$OUT_DIR/$NAME.xz ;;
zstd) zstd -q -T0 -15 -c "$IMG" >"$OUT_DIR/$NAME.zst"; OUT=$OUT_DIR/$NAME.zst ;;
*) die "COMPRESS must be xz or zstd" ;;
esac
(cd "$OUT_DIR" && sha256sum "$(basename "$OUT")" >"$(basename "$OUT").sha256")

say "done"
printf 'image     %s\n' "$OUT"
printf 'sizes     rootfs %s MiB used, disk %s MiB, compressed %s bytes\n' \
    "$used_mib" "$(( $(stat -c %s "$IMG") >> 20 ))" "$(stat -c %s "$OUT")"
printf 'time      %s s\n' "$SECONDS"
[ -z "${KEEP_WORK:-}" ] || printf 'work dir  %s\n' "$WORK"
