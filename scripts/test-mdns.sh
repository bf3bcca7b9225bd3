#!/usr/bin/env bash
# mDNS check, entirely inside a private network namespace (never the host's interfaces):
# posd advertises _pos._tcp and _http._tcp and answers for pos.local; an independent client
# (python3-zeroconf from Debian) browses, resolves and queries the host name.
# Needs root, iproute2 and python3-zeroconf (apt-get install python3-zeroconf).
# Usage: scripts/test-mdns.sh [path/to/posd]   (default: target/debug/posd)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/posd}
PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (ip netns)"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no iproute2"; exit 77; }
$PY -c 'import zeroconf' 2>/dev/null || { echo "SKIP: python3-zeroconf missing"; exit 77; }
[ -x "$BIN" ] || { echo "no posd binary at $BIN (cargo build first)"; exit 1; }

NS=posd-mdns-$$
WORK=$(mktemp -d)
PID=
cleanup() {
  # Everything started in the namespace (posd included) ends with it.
  for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  [ -n "$PID" ] && wait "$PID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"
inns() { ip netns exec "$NS" "$@"; }
inns ip link set lo up
inns ip link set lo multicast on
# Multicast to 224.0.0.251 needs a route; the namespace only has lo.
inns ip route add 224.0.0.0/4 dev lo

cat > "$WORK/posd.toml" <<TOML
[restaurant]
name = "Taverna Test"
timezone = "UTC"
[mdns]
hostname = "pos"
TOML
inns "$BIN" --config "$WORK/posd.toml" --data-dir "$WORK/data" serve --listen 0.0.0.0:8080 \
  >"$WORK/posd.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
  inns $PY - <<'PY' 2>/dev/null && break
import urllib.request; urllib.request.urlopen("http://127.0.0.1:8080/api/system/health", timeout=1)
PY
  sleep 0.1
done

inns $PY - <<'PY'
import sys, time
from zeroconf import Zeroconf, ServiceBrowser, DNSOutgoing, DNSQuestion
from zeroconf import const

zc = Zeroconf(interfaces=["127.0.0.1"])
found = {}
class L:
    def add_service(self, z, t, n): found.setdefault(t, n)
    def update_service(self, z, t, n): pass
    def remove_service(self, z, t, n): pass
ServiceBrowser(zc, ["_pos._tcp.local.", "_http._tcp.local."], L())
deadline = time.time() + 10
while len(found) < 2 and time.time() < deadline:
    time.sleep(0.1)
ok = True
for t in ["_pos._tcp.local.", "_http._tcp.local."]:
    if t not in found:
        print(f"FAIL: {t} not found"); ok = False; continue
    info = zc.get_service_info(t, found[t], timeout=3000)
    if info is None:
        print(f"FAIL: {found[t]} did not resolve"); ok = False; continue
    props = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
    print(f"{t}: name={found[t]!r} server={info.server} port={info.port} "
          f"addresses={info.parsed_addresses()} txt={props}")
    ok &= info.server == "pos.local." and info.port == 8080
    ok &= "127.0.0.1" in info.parsed_addresses()
    if t.startswith("_pos"):
        ok &= props.get("api") == "http" and bool(props.get("version"))
        ok &= props.get("docs") == "http://pos.local:8080/docs"
# A plain address query for the host name, as a phone's resolver sends it.
q = DNSOutgoing(const._FLAGS_QR_QUERY)
q.add_question(DNSQuestion("pos.local.", const._TYPE_A, const._CLASS_IN))
zc.send(q)
deadline = time.time() + 5
a = []
while not a and time.time() < deadline:
    time.sleep(0.1)
    a = [r.address for r in zc.cache.get_all_by_details("pos.local.", const._TYPE_A, const._CLASS_IN)]
import socket
print("pos.local A:", [socket.inet_ntoa(x) for x in a])
ok &= bool(a)
zc.close()
print("mDNS OK" if ok else "mDNS FAILED")
sys.exit(0 if ok else 1)
PY
