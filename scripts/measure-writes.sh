#!/usr/bin/env bash
# Figure: bytes posd writes OUTSIDE its data mount during a load run (target: 0).
#
# posd runs with its data on an ext4 loop mount of its own (like the USB drive) while a load
# loop (waiters opening tables, adding items, paying, closing; only 127.0.0.1) runs for
# DURATION seconds. Three independent measurements:
#   - fatrace (fanotify, system-wide): every file write event by posd's pid, with its path;
#     events outside the data mount are listed and counted,
#   - /proc/PID/io write_bytes: bytes posd caused to be sent to any block device,
#   - the loop device's sectors written: bytes that reached the data drive.
# Needs root, e2fsprogs, fatrace (apt-get install fatrace), python3.
# Usage: scripts/measure-writes.sh [path/to/posd] [DURATION_SECONDS=600]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/debug/posd}")
DURATION=${2:-600}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v fatrace >/dev/null || { echo "SKIP: apt-get install fatrace"; exit 77; }

WORK=$(mktemp -d)
MNT=$WORK/posdata
PID= ; FAT=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  [ -n "$FAT" ] && kill "$FAT" 2>/dev/null && wait "$FAT" 2>/dev/null || true
  mountpoint -q "$MNT" && umount "$MNT" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$MNT"
truncate -s 256M "$WORK/drive.img"
mkfs.ext4 -q -F -L POSDATA "$WORK/drive.img"
mount -o loop,noatime,commit=5 "$WORK/drive.img" "$MNT"
LOOP=$(basename "$(findmnt -n -o SOURCE "$MNT")")
cat > "$WORK/posd.toml" <<EOF
[restaurant]
timezone = "UTC"
[mdns]
enabled = false
[storage]
mount = "$MNT"
min_free_mib = 16
EOF
PORT=18931
# Logs go to a pipe (as under systemd, where journald stores them), not to a file of posd's.
"$BIN" --config "$WORK/posd.toml" serve --demo --listen 127.0.0.1:$PORT 2>&1 | wc -c > "$WORK/logbytes" &
sleep 0.2
PID=$(pgrep -n -f "^$BIN --config $WORK/posd.toml") || { echo "posd did not start"; exit 1; }
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$PORT/api/system/health" >/dev/null 2>&1 && break; sleep 0.1
done
sync
fatrace -f W -o "$WORK/fatrace.log" &
FAT=$!
sleep 1
sectors() { awk '{print $7}' "/sys/block/$LOOP/stat"; }
io() { awk -v k="$1" '$1==k":" {print $2}' "/proc/$PID/io"; }
S0=$(sectors); W0=$(io write_bytes); C0=$(io cancelled_write_bytes)
echo "load: ${DURATION}s against 127.0.0.1:$PORT (posd pid $PID, data on /dev/$LOOP at $MNT)"
python3 - "$PORT" "$DURATION" <<'PY'
import json, sys, time, urllib.request
port, duration = int(sys.argv[1]), float(sys.argv[2])
base = f"http://127.0.0.1:{port}"
def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None: req.add_header("content-type", "application/json")
    if token: req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")
tokens = [call("POST", "/api/auth/login", body={"username": f"waiter{n:02}", "pin": "1234"})["access_token"] for n in range(1, 6)]
tables = [t["id"] for t in call("GET", "/api/tables/", tokens[0])]
products = [p["id"] for p in call("GET", "/api/products/", tokens[0]) if not p.get("preference_sets")][:10]
end = time.time() + duration
orders = requests = 0
i = 0
while time.time() < end:
    tok = tokens[i % len(tokens)]; table = tables[i % len(tables)]; i += 1
    try:
        o = call("POST", "/api/orders/", tok, {"table_id": table}); requests += 1
    except urllib.error.HTTPError as e:
        requests += 1
        continue
    for k in range(3):
        o = call("POST", f"/api/orders/{o['id']}/items", tok,
                 {"items": [{"product_id": products[(i + k) % len(products)], "quantity": 1}]}); requests += 1
    ids = [it["id"] for it in o["items"]]
    call("POST", f"/api/orders/{o['id']}/pay", tok, {"item_ids": ids, "method": "cash"}); requests += 1
    call("POST", f"/api/orders/{o['id']}/close", tok, {}); requests += 1
    orders += 1
    time.sleep(0.05)  # a busy restaurant, not a benchmark: ~10 orders/s at most
print(f"load done: {orders} orders, {requests} write requests in {duration:.0f}s")
PY
sync
sleep 6   # let ext4 commit (commit=5) so the device counter sees everything
S1=$(sectors); W1=$(io write_bytes); C1=$(io cancelled_write_bytes)
kill "$FAT"; wait "$FAT" 2>/dev/null || true; FAT=
grep -E "\($PID\)" "$WORK/fatrace.log" > "$WORK/posd-events.log" || true
INSIDE=$(grep -c " $MNT/" "$WORK/posd-events.log" || true)
OUTSIDE=$(grep -v " $MNT/" "$WORK/posd-events.log" || true)
echo "posd write events inside the data mount:  $INSIDE"
echo "posd write events outside the data mount: $(grep -c . <<<"$OUTSIDE" || true)"
[ -n "$OUTSIDE" ] && { echo "$OUTSIDE" | sort | uniq -c | sort -rn | head -20; }
echo "posd /proc/PID/io write_bytes:            $((W1 - W0)) (cancelled $((C1 - C0)))"
echo "bytes written to the data drive (/dev/$LOOP): $(( (S1 - S0) * 512 ))"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
sleep 0.5
echo "log bytes posd sent to stderr (journald's, not posd's, writes): $(cat "$WORK/logbytes")"
