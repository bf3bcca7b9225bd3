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
# Every step has a deadline (`timeout`, or a polling loop for the demo server): a stuck step is
# killed and fails loudly with what it printed, so this leg can fail but never hang CI.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=aarch64-unknown-linux-gnu
MAX_BYTES=$((8 * 1024 * 1024))   # the Pi binary must stay under 8 MiB
say() { printf '\n=== %s\n' "$*"; }
loud() {
    printf '\n%s\n' "######################################################################" >&2
    printf '### AARCH64 CI FAILED: %s\n' "$*" >&2
    printf '### The aarch64 leg did NOT pass (later steps did not run); this is not a pass.\n' >&2
    printf '%s\n\n' "######################################################################" >&2
    exit 1
}
# step SECONDS WHAT CMD...: run CMD with a deadline (its whole process group is killed when it
# is up: cargo, the test binary and the qemu-aarch64 processes under it); loud on failure.
step() {
    local limit=$1 what=$2 rc=0 s=$SECONDS
    shift 2
    timeout -k 30 "$limit" "$@" || rc=$?
    case $rc in
    0) echo "($what: $((SECONDS - s)) s)" ;;
    124 | 137) loud "$what: still running after its $limit s deadline, killed" ;;
    *) loud "$what failed (exit $rc)" ;;
    esac
}
t0=$SECONDS

say "aarch64: cross toolchain and qemu-user"
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo -n)
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
        || "${SUDO[@]}" dpkg --add-architecture arm64 || loud "dpkg --add-architecture arm64 failed"
    need+=(libc6:arm64 libgcc-s1:arm64)
fi
if [ ${#need[@]} -gt 0 ]; then
    step 600 "apt-get update" "${SUDO[@]}" apt-get update -qq
    # Another job may hold the dpkg lock for a while; wait for it rather than fail.
    step 1500 "apt-get install ${need[*]}" "${SUDO[@]}" apt-get install -y -qq \
        -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}"
fi
command -v aarch64-linux-gnu-gcc >/dev/null || loud "aarch64-linux-gnu-gcc missing after install"
command -v qemu-aarch64 >/dev/null || loud "qemu-aarch64 missing after install"
[ -e /lib/ld-linux-aarch64.so.1 ] || loud "libc6:arm64 missing after install"
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    [ -e /proc/sys/fs/binfmt_misc/status ] \
        || "${SUDO[@]}" mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
    "${SUDO[@]}" update-binfmts --enable qemu-aarch64 || true
fi
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] \
    || loud "no binfmt_misc handler for aarch64 (qemu-user-static): spawned test binaries cannot run"
if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    step 600 "rustup target add $TARGET" rustup target add "$TARGET"
fi
# One glibc for the emulated programs: the multiarch libc6:arm64 in /, no qemu sysroot.
# qemu-user takes a sysroot from -L, from QEMU_LD_PREFIX, or (Debian's build) from
# /etc/qemu-binfmt/aarch64, and only for paths that exist under it. A sysroot of
# /usr/aarch64-linux-gnu (the cross libc, libc6-arm64-cross) next to libc6:arm64 therefore
# mixes two glibc builds in one process: ld-linux-aarch64.so.1 comes from the sysroot but
# libc.so.6 from /lib/aarch64-linux-gnu (that path does not exist in the sysroot). glibc
# requires both from one build; with 2.36-8cross1 and 2.36-9+deb12u14 the first
# pthread_create spins forever walking the loader's stack cache list (no syscalls, one guest
# thread at 100 % CPU), which is how the demo smoke "hung" in a run that still used -L.
# QEMU_LD_PREFIX=/ means "no sysroot" for qemu-aarch64 here and for every binfmt_misc
# qemu-aarch64-static the tests spawn, whatever the environment or /etc/qemu-binfmt say.
export QEMU_LD_PREFIX=/
dpkg-query -W -f='guest glibc: ${Package}:${Architecture} ${Version}\n' libc6:arm64 \
    || loud "libc6:arm64 is not installed"

say "aarch64: cargo build --release --target $TARGET"
step 2700 "cargo build --release --target $TARGET" cargo build --locked --release --target "$TARGET"
BIN="${CARGO_TARGET_DIR:-target}/$TARGET/release/posd"
file "$BIN" 2>/dev/null || true
size=$(stat -c %s "$BIN")
awk -v s="$size" -v m="$MAX_BYTES" \
    'BEGIN { printf "aarch64 release binary: %d bytes (%.2f MiB), limit %d bytes\n", s, s / 1048576, m }'
[ "$size" -le "$MAX_BYTES" ] || loud "aarch64 binary is $size bytes, over the 8 MiB budget"

say "aarch64: the release binary under qemu-aarch64"
step 60 "posd --version under qemu-aarch64" qemu-aarch64 "$BIN" --version
# As the integration tests spawn it: directly, through binfmt_misc.
step 60 "posd --version through binfmt_misc" "$BIN" --version
# The config file the .deb installs must parse with the binary it ships with.
step 60 "check-config packaging/posd.toml" qemu-aarch64 "$BIN" --config packaging/posd.toml \
    check-config >/dev/null
echo "packaging/posd.toml: accepted by the aarch64 binary"

# The release binary (fat LTO, stripped, panic=unwind) serves the demo: health, login, tables.
# Every wait below has a deadline; on any failure posd's output and its threads are shown and
# the server is killed, never left behind.
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
pid=""
# What a stuck or failed server was doing: its output, and each host thread's state, CPU
# ticks (user system, twice 2 s apart: a spinning thread's grow) and kernel wait channel.
demo_fail() {
    printf '\n--- posd output (%s):\n' "$dir/out" >&2
    cat "$dir/out" >&2 || true
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        printf -- '--- qemu-aarch64 (pid %s) threads: tid state utime stime wchan\n' "$pid" >&2
        for pass in 1 2; do
            for t in /proc/"$pid"/task/*; do
                printf '%s %s %s\n' "${t##*/}" "$(cut -d' ' -f3,14,15 "$t/stat" 2>/dev/null)" \
                    "$(cat "$t/wchan" 2>/dev/null)" >&2
            done
            [ $pass = 2 ] || { sleep 2; echo "--- 2 s later:" >&2; }
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    pid=""
    loud "$*"
}
trap '[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true' EXIT
# qemu-aarch64 itself in the background (not a shell function) so that SIGTERM reaches posd.
qemu-aarch64 "$BIN" serve --demo --data-dir "$dir/data" \
    --listen "127.0.0.1:$port" >"$dir/out" 2>&1 &
pid=$!
up=""
started=$SECONDS
deadline=$((SECONDS + 60))   # it answers in ~0.5 s quiet, ~2 s on a loaded 2-core machine
while [ $SECONDS -lt $deadline ]; do
    if curl -fsS --max-time 5 "$url/api/system/health" >/dev/null 2>&1; then up=yes; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
done
if [ -z "$up" ]; then
    kill -0 "$pid" 2>/dev/null || { wait "$pid" || true; demo_fail "the aarch64 demo server exited before answering"; }
    demo_fail "the aarch64 demo server did not answer /api/system/health within 60 s"
fi
echo "demo server answered after $((SECONDS - started)) s"
curl -fsS --max-time 20 "$url/api/system/health" || demo_fail "health check failed"
echo
token=$(curl -fsS --max-time 20 -XPOST "$url/api/auth/login" -H 'content-type: application/json' \
    -d '{"username":"waiter01","pin":"1234"}' | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || demo_fail "login as waiter01 failed on the aarch64 binary"
tables=$(curl -fsS --max-time 20 "$url/api/tables" -H "authorization: Bearer $token" \
    | grep -o '"seats"' | wc -l)
[ "$tables" -gt 0 ] || demo_fail "GET /api/tables listed no tables"
echo "demo login ok, $tables tables"
kill -TERM "$pid"
deadline=$((SECONDS + 30))
while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
kill -0 "$pid" 2>/dev/null && demo_fail "the aarch64 demo server was still running 30 s after SIGTERM"
rc=0
wait "$pid" || rc=$?
pid=""
[ $rc -eq 0 ] || { demo_fail "the aarch64 demo server exited with $rc on SIGTERM (expected 0)"; }
rm -rf "$dir"

say "aarch64: unit tests under qemu-aarch64"
step 1200 "unit tests under qemu-aarch64" cargo test --locked --target "$TARGET" --lib
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
step 2400 "integration tests under qemu-aarch64" \
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
        step 600 "apt-get update" "${SUDO[@]}" apt-get update -qq
        step 1500 "apt-get install ${need[*]}" "${SUDO[@]}" apt-get install -y -qq \
            -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}"
    fi
    debs=$(mktemp -d)
    step 600 "packaging/build-deb.sh arm64" \
        env OUT_DIR="$debs" POSD_BIN="$BIN" VERBOSE=1 packaging/build-deb.sh arm64
    rm -rf "$debs"
    # The maintainer scripts, on this machine's architecture with the debug build from the
    # native tests (the package is under test here, not the daemon).
    host_bin="${CARGO_TARGET_DIR:-target}/debug/posd"
    [ -x "$host_bin" ] || step 1800 "cargo build (host)" cargo build --locked
    step 1800 "packaging/test-deb.sh" packaging/test-deb.sh "$host_bin"
fi

say "aarch64 leg done in $((SECONDS - t0)) s"
