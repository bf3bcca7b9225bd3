#!/usr/bin/env bash
# Build the posd Debian package with dpkg-deb (no debhelper): packaging/build-deb.sh ARCH
#
#   ARCH            arm64 (Raspberry Pi 4, default), amd64, or armhf (32-bit Raspberry Pi OS)
#   POSD_BIN        use this already built binary instead of running cargo build
#   POSD_DEB_VERSION  package version (default: Cargo.toml's version + "-1")
#   POSD_SYSTEMD_DIR / POSD_UDEV_DIR  unit and rule sources (default: systemd/ and udev/)
#   OUT_DIR         where the .deb goes (default: dist/)
#   LINTIAN=no      skip lintian (it runs when installed)
#
# Layout: /usr/bin/posd, /usr/lib/systemd/system/<every unit in systemd/>,
# /usr/lib/udev/rules.d/<every *.rules in udev/>, /usr/lib/sysusers.d/posd.conf (from
# systemd/posd.sysusers), /usr/share/man/man8/posd.8.gz (help2man, section 8 as the unit's
# Documentation= says),
# /etc/posd/posd.toml (conffile), /usr/share/doc/posd/{copyright,changelog.Debian.gz}.
# Units go to /usr/lib, not /lib: every system this package supports (Debian 12+, Raspberry
# Pi OS 12+) has a merged /usr where both are one directory, /usr/lib is where Debian and
# lintian expect them, and dpkg can lose files that later move between the two aliases.
# Checks: the shipped config parses with the shipped binary (under qemu for arm64), then
# `dpkg-deb --info/--contents` and lintian (if installed) on the result.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ARCH=${1:-arm64}
# Under qemu-user, the cross libc's sysroot (-L) only when no multiarch libc for ARCH is
# installed: with both, qemu takes ld.so from the sysroot and libc.so.6 from /lib/<triplet>,
# two glibc builds in one process (a threaded program then hangs; see .ci/cross.sh).
case "$ARCH" in
arm64)
    TARGET=aarch64-unknown-linux-gnu
    RUN=(qemu-aarch64 -L /)
    [ -e /lib/ld-linux-aarch64.so.1 ] || RUN=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
    ;;
amd64) TARGET=x86_64-unknown-linux-gnu; RUN=() ;;
armhf)
    TARGET=armv7-unknown-linux-gnueabihf
    RUN=(qemu-arm -L /)
    [ -e /lib/ld-linux-armhf.so.3 ] || RUN=(qemu-arm -L /usr/arm-linux-gnueabihf)
    ;;
*) echo "usage: $0 arm64|amd64|armhf" >&2; exit 2 ;;
esac
[ "$ARCH" != amd64 ] || [ "$(uname -m)" = x86_64 ] || RUN=(qemu-x86_64)

die() { echo "build-deb: $*" >&2; exit 1; }
for t in dpkg-deb gzip md5sum; do
    command -v "$t" >/dev/null || die "$t is missing"
done

SYSTEMD_DIR=${POSD_SYSTEMD_DIR:-$ROOT/systemd}
UDEV_DIR=${POSD_UDEV_DIR:-$ROOT/udev}
OUT_DIR=${OUT_DIR:-$ROOT/dist}
for f in posd.service posd.sysusers; do
    [ -f "$SYSTEMD_DIR/$f" ] || die "$SYSTEMD_DIR/$f is missing"
done
compgen -G "$UDEV_DIR/*.rules" >/dev/null || die "no udev rules in $UDEV_DIR"

cargo_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
VERSION=${POSD_DEB_VERSION:-$cargo_version-1}
# Reproducible timestamps: the commit's time, unless the caller set one.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

if [ -n "${POSD_BIN:-}" ]; then
    BIN=$POSD_BIN
else
    cargo build --locked --release --target "$TARGET"
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/$TARGET/release/posd
fi
[ -x "$BIN" ] || die "no binary at $BIN"

# The shipped config must parse with the shipped binary; a typo would stop posd at boot.
"${RUN[@]}" "$BIN" --config packaging/posd.toml check-config >/dev/null \
    || die "packaging/posd.toml is rejected by $BIN"
MOUNT_POINT=$(sed -n 's/^mount = "\(.*\)"$/\1/p' packaging/posd.toml)
[ -n "$MOUNT_POINT" ] || die "packaging/posd.toml names no [storage] mount"

# Shared-library dependencies: the highest glibc symbol version the binary needs.
objdump=objdump
[ "$ARCH" = arm64 ] && objdump=aarch64-linux-gnu-objdump
[ "$ARCH" = armhf ] && objdump=arm-linux-gnueabihf-objdump
command -v "$objdump" >/dev/null || die "$objdump is missing (binutils for $ARCH)"
glibc=$("$objdump" -T "$BIN" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)
needed=$("$objdump" -p "$BIN" | awk '/NEEDED/ { print $2 }')
shlibs="libc6 (>= $glibc)"
for lib in $needed; do
    case "$lib" in
    libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | ld-linux*) ;;
    libgcc_s.so.1) shlibs="$shlibs, libgcc-s1 (>= 3.0)" ;;
    *) die "unexpected shared library $lib: add its package to Depends" ;;
    esac
done

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
P=$STAGE/posd
install -D -m 0755 "$BIN" "$P/usr/bin/posd"
# The release profile strips symbols; the compilers' .comment notes go too.
"${objdump%objdump}objcopy" --remove-section=.comment "$P/usr/bin/posd"
units=()
for f in "$SYSTEMD_DIR"/*; do
    case "$f" in
    *.service | *.socket | *.mount | *.automount | *.timer | *.path | *.target)
        install -D -m 0644 "$f" "$P/usr/lib/systemd/system/$(basename "$f")"
        grep -q '^\[Install\]' "$f" && units+=("$(basename "$f")")
        ;;
    esac
done
for f in "$UDEV_DIR"/*.rules; do
    install -D -m 0644 "$f" "$P/usr/lib/udev/rules.d/$(basename "$f")"
done
# The system user, declared next to the unit that runs as it.
install -D -m 0644 "$SYSTEMD_DIR/posd.sysusers" "$P/usr/lib/sysusers.d/posd.conf"
install -D -m 0644 packaging/posd.toml "$P/etc/posd/posd.toml"
install -D -m 0644 packaging/deb/copyright "$P/usr/share/doc/posd/copyright"
install -D -m 0644 packaging/deb/lintian-overrides "$P/usr/share/lintian/overrides/posd"

# Manual page from the binary's own --help (help2man), so it never drifts from the code.
command -v help2man >/dev/null || die "help2man is missing (apt-get install help2man)"
mkdir -p "$STAGE/bin"
printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${RUN[*]}" "$BIN" >"$STAGE/bin/posd"
chmod +x "$STAGE/bin/posd"
# Every (sub)command, found in the help itself: "user add", "license show", ...
commands() {
    # shellcheck disable=SC2086 # $1 is a word list
    "$STAGE/bin/posd" $1 --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
        on && $1 != "help" { print $1 }' | while read -r c; do
        local sub="${1:+$1 }$c"
        # shellcheck disable=SC2086
        if "$STAGE/bin/posd" $sub --help | grep -q '^Commands:'; then
            commands "$sub"
        else
            echo "$sub"
        fi
    done
}
mapfile -t subcommands < <(commands "")
[ ${#subcommands[@]} -gt 0 ] || die "posd --help lists no commands"
{
    echo "[COMMANDS]"
    for sub in "${subcommands[@]}"; do
        echo ".SS posd $sub"
        echo ".nf"
        # shellcheck disable=SC2086 # $sub is two words for the user subcommands
        "$STAGE/bin/posd" $sub --help | sed -e 's/\\/\\e/g' -e "s/^[.']/\\\\\&&/"
        echo ".fi"
    done
    echo "[FILES]"
    echo ".TP"
    echo ".I /etc/posd/posd.toml"
    echo "The configuration (every key documented in the file)."
    echo ".TP"
    echo ".I $MOUNT_POINT"
    echo "Where the USB data drive labelled POSDATA is mounted; posd keeps its database there."
    echo "[SEE ALSO]"
    echo ".BR systemctl (1),"
    echo ".BR journalctl (1):"
    echo ".B journalctl -u posd"
    echo "tells what posd did."
} >"$STAGE/man.include"
help2man --no-info --section=8 --name="restaurant point-of-sale appliance daemon" \
    --version-string="$cargo_version" --include="$STAGE/man.include" \
    --output="$STAGE/posd.8" "$STAGE/bin/posd"
install -d "$P/usr/share/man/man8"
gzip -9n <"$STAGE/posd.8" >"$P/usr/share/man/man8/posd.8.gz"
chmod 0644 "$P/usr/share/man/man8/posd.8.gz"

changelog=$STAGE/changelog
top=$(sed -n '1s/^posd (\(.*\)).*/\1/p' packaging/deb/changelog)
if [ "$top" != "$VERSION" ]; then
    {
        echo "posd ($VERSION) unstable; urgency=medium"
        echo
        echo "  * Build of git $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
        echo
        echo " -- posd maintainers <maintainers@posd.example>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
        echo
        cat packaging/deb/changelog
    } >"$changelog"
else
    cp packaging/deb/changelog "$changelog"
fi
gzip -9n <"$changelog" >"$P/usr/share/doc/posd/changelog.Debian.gz"
chmod 0644 "$P/usr/share/doc/posd/changelog.Debian.gz"

mkdir -p "$P/DEBIAN"
installed_size=$(du -sk --apparent-size "$P" | cut -f1)
sed -e "s|@VERSION@|$VERSION|" -e "s|@ARCH@|$ARCH|" -e "s|@SHLIBS@|$shlibs|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" packaging/deb/control >"$P/DEBIAN/control"
for s in postinst prerm postrm; do
    sed -e "s|@UNITS@|${units[*]}|" -e "s|@MOUNT_POINT@|$MOUNT_POINT|" \
        "packaging/deb/$s" >"$P/DEBIAN/$s"
    chmod 0755 "$P/DEBIAN/$s"
done
echo /etc/posd/posd.toml >"$P/DEBIAN/conffiles"
(cd "$P" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
    | xargs -0 md5sum) >"$P/DEBIAN/md5sums"
chmod 0644 "$P/DEBIAN/control" "$P/DEBIAN/conffiles" "$P/DEBIAN/md5sums"
find "$P" -type d -exec chmod 0755 {} +
find "$P" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$OUT_DIR"
DEB=$OUT_DIR/posd_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$P" "$DEB" >/dev/null
echo "built $DEB ($(stat -c %s "$DEB") bytes); enabled units: ${units[*]:-none}"
if [ -n "${VERBOSE:-}" ]; then
    dpkg-deb --info "$DEB"
    dpkg-deb --contents "$DEB"
fi
if [ "${LINTIAN:-yes}" != no ] && command -v lintian >/dev/null; then
    # Errors fail the build; warnings and infos are printed (overrides: deb/lintian-overrides).
    lintian --tag-display-limit 0 --display-info --show-overrides --fail-on error "$DEB" \
        || die "lintian found errors in $DEB"
fi
