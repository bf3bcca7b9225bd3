//! mDNS with an independent client: `scripts/test-mdns.sh` runs posd and python3-zeroconf in
//! a network namespace of their own (loopback with multicast on), never on the host's real
//! interfaces. Skipped loudly when not root or when `ip netns` / python3-zeroconf are missing.

use std::process::Command;
use std::time::{Duration, Instant};

/// Phones find posd without anyone typing an address: `_pos._tcp` with version/api/docs,
/// `_http._tcp`, and `pos.local` resolving to the machine's address.
#[test]
fn phones_find_pos_local_over_mdns_in_a_private_namespace() {
    if !super::proc::need_root("phones_find_pos_local_over_mdns_in_a_private_namespace") {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-mdns.sh");
    let t = Instant::now();
    let out = Command::new("bash")
        .arg(script)
        .arg(super::proc::bin())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.code() == Some(77) {
        eprintln!("SKIPPED phones_find_pos_local_over_mdns_in_a_private_namespace: {text}");
        return;
    }
    assert!(out.status.success(), "{text}");
    assert!(text.contains("mDNS OK"), "{text}");
    assert!(t.elapsed() < Duration::from_secs(60));
}
