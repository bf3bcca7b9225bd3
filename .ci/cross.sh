#!/usr/bin/env bash
# aarch64 (Raspberry Pi 4) leg of CI, called at the end of .ci/run:
#   1. installs the cross C compiler, the arm64 libc (cross and multiarch), qemu-user with its
#      binfmt_misc handler, and the Rust target;
#   2. builds the aarch64 release binary (the one the .deb and the image ship) and checks its size;
#   3. runs that binary under qemu-aarch64 on the packaged default config and as a demo server;
#   4. runs the unit tests and the integration tests (store, printing, license, HTTP, drive,
#      setup...) built for aarch64 under qemu-aarch64 (runner set in .cargo/config.toml),
#      all but three named below that qemu-user cannot host;
# Anything it cannot install is a LOUD failure (exit 1), never a silent skip.
# The full Pi image build and its qemu boot test are NOT run here (too slow under emulation);
# see docs/INSTALL.md ("Building the SD card image").
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=aarch64-unknown-linux-gnu
MAX_BYTES=$((8 * 1024 * 1024))   # the Pi binary must stay under 8 MiB
say() { printf '\n=== %s\n' "$*"; }
loud() {
    printf '\n%s\n' "######################################################################" >&2
    printf '### AARCH64 CI FAILED: %s\n' "$*" >&2
    printf '### The aarch64 build and tests did NOT run; this is not a pass.\n' >&2
    printf '%s\n\n' "######################################################################" >&2
    exit 1
}
t0=$SECONDS

say "aarch64: cross toolchain and qemu-user"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || need+=(libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
# binfmt_misc runs the aarch64 posd that integration tests spawn (crash, license CLI, ...).
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static binfmt-support)
# The arm64 libc through Debian multiarch, so qemu needs no -L sysroot (see .cargo/config.toml).
if [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
    dpkg --print-foreign-architectures | grep -qx arm64 \
        || $SUDO dpkg --add-architecture arm64 || loud "dpkg --add-architecture arm64 failed"
    need+=(libc6:arm64 libgcc-s1:arm64)
fi
if [ ${#need[@]} -gt 0 ]; then
    $SUDO apt-get update -qq || loud "apt-get update failed"
    # Another job may hold the dpkg lock for a while; wait for it rather than fail.
    $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" \
        || loud "cannot install ${need[*]}"
fi
command -v aarch64-linux-gnu-gcc >/dev/null || loud "aarch64-linux-gnu-gcc missing after install"
command -v qemu-aarch64 >/dev/null || loud "qemu-aarch64 missing after install"
[ -e /lib/ld-linux-aarch64.so.1 ] || loud "libc6:arm64 missing after install"
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    [ -e /proc/sys/fs/binfmt_misc/status ] \
        || $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
    $SUDO update-binfmts --enable qemu-aarch64 || true
fi
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
    || loud "no binfmt_misc handler for aarch64 (qemu-user-static): spawned test binaries cannot run"
if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    rustup target add "$TARGET" || loud "rustup target add $TARGET failed"
fi

say "aarch64: cargo build --release --target $TARGET"
cargo build --locked --release --target "$TARGET"
BIN="${CARGO_TARGET_DIR:-target}/$TARGET/release/posd"
file "$BIN" 2>/dev/null || true
size=$(stat -c %s "$BIN")
awk -v s="$size" -v m="$MAX_BYTES" \
    'BEGIN { printf "aarch64 release binary: %d bytes (%.2f MiB), limit %d bytes\n", s, s / 1048576, m }'
[ "$size" -le "$MAX_BYTES" ] || loud "aarch64 binary is $size bytes, over the 8 MiB budget"

say "aarch64: the release binary under qemu-aarch64"
run() { qemu-aarch64 "$BIN" "$@"; }
run --version
# As the integration tests spawn it: directly, through binfmt_misc.
"$BIN" --version >/dev/null || loud "an aarch64 binary does not run through binfmt_misc"
# The config file the .deb installs must parse with the binary it ships with.
run --config packaging/posd.toml check-config >/dev/null
echo "packaging/posd.toml: accepted by the aarch64 binary"
# The release binary (fat LTO, stripped, panic=unwind) serves the demo: health, login, tables.
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
# qemu-aarch64 itself in the background (not a shell function) so that SIGTERM reaches posd.
qemu-aarch64 "$BIN" serve --demo --data-dir "$dir/data" \
    --listen "127.0.0.1:$port" >"$dir/out" 2>&1 &
pid=$!
up=""
for _ in $(seq 1 120); do   # up to 60 s: qemu on a busy 2-core machine
    if curl -fsS "$url/api/system/health" >/dev/null 2>&1; then up=yes; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
[ -n "$up" ] || { cat "$dir/out"; kill "$pid" 2>/dev/null; loud "the aarch64 demo server never answered"; }
curl -fsS "$url/api/system/health"; echo
token=$(curl -fsS -XPOST "$url/api/auth/login" -H 'content-type: application/json' \
    -d '{"username":"waiter01","pin":"1234"}' | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { kill "$pid"; loud "login as waiter01 failed on the aarch64 binary"; }
tables=$(curl -fsS "$url/api/tables" -H "authorization: Bearer $token" | grep -o '"seats"' | wc -l)
echo "demo login ok, $tables tables"
kill -TERM "$pid"
wait "$pid" || loud "the aarch64 demo server did not exit cleanly on SIGTERM"
rm -rf "$dir"

say "aarch64: unit tests under qemu-aarch64"
cargo test --locked --target "$TARGET" --lib
say "aarch64: integration tests (tests/it) under qemu-aarch64"
# All of tests/it but three that test the host kernel or wall-clock load rather than posd's
# aarch64 code, and that the native run above has already passed:
# - the pulled-drive test shuts an ext4 file system down with the FS_IOC_SHUTDOWN ioctl,
#   which qemu-user does not translate (the ioctl fails with -1);
# - the mDNS test's multicast in a private network namespace finds nothing under qemu-user;
# - the crash test needs a minimum write load within a fixed time, which emulation cannot
#   reach (0 items).
# One test at a time: the printer-fault tests judge timing, and emulated daemons running
# side by side on two cores starve each other.
cargo test --locked --target "$TARGET" --test it -- --test-threads=1 \
    --skip appliance::drive::a_pulled_drive_refuses_writes_fast_and_service_resumes_when_it_is_back \
    --skip appliance::mdns::phones_find_pos_local_over_mdns_in_a_private_namespace \
    --skip crash::sigkill_under_load_loses_no_acknowledged_write

say "packaging: the arm64 .deb (dpkg-deb, lintian), and install/upgrade/remove/purge in a chroot"
if [ ! -f systemd/posd.service ]; then
    printf '\n### NOTICE: systemd/posd.service is not in this tree, so no .deb can be built:\n'
    printf '### the package checks did NOT run (they run once the appliance units are merged).\n\n'
else
    need=()
    for t in help2man lintian mmdebstrap; do command -v "$t" >/dev/null || need+=("$t"); done
    if [ ${#need[@]} -gt 0 ]; then
        $SUDO apt-get update -qq || loud "apt-get update failed"
        $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" \
            || loud "cannot install ${need[*]}"
    fi
    debs=$(mktemp -d)
    OUT_DIR=$debs POSD_BIN=$BIN VERBOSE=1 packaging/build-deb.sh arm64
    rm -rf "$debs"
    # The maintainer scripts, on this machine's architecture with the debug build from the
    # native tests (the package is under test here, not the daemon).
    host_bin="${CARGO_TARGET_DIR:-target}/debug/posd"
    [ -x "$host_bin" ] || cargo build --locked
    packaging/test-deb.sh "$host_bin"
fi

say "aarch64 leg done in $((SECONDS - t0)) s"
