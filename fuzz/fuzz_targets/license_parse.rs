//! Fuzz target `license_parse`: arbitrary bytes through the license parser, verifier, payload
//! decoder, state machine and describers. Invariant checked: nothing panics, and any payload
//! that verifies re-signs and re-verifies to the same claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posd::license::cli::{describe, describe_claims};
use posd::license::{
    Keyring, LicenseState, PAYLOAD_VERSION, apply, key_id_of, parse_envelope, seal, sign,
    signing_key_from_seed, verdict, verify,
};

const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    // 1. The bytes as a whole file, against the real vendor keys.
    let _ = parse_envelope(data);
    let _ = verify(data, &Keyring::vendor());

    // 2. The bytes as a payload body, signed with a fuzzing key, so the signature passes and
    //    the body decoder and field checks see arbitrary input.
    let key = signing_key_from_seed(&[42; 32]);
    let mut ring = Keyring::empty();
    if ring.add_key(key.verifying_key()).is_err() {
        return;
    }
    let mut payload = Vec::with_capacity(data.len() + 9);
    payload.push(PAYLOAD_VERSION);
    payload.extend_from_slice(&key_id_of(&key).0);
    payload.extend_from_slice(data);
    let text = seal(&payload, &key);
    let Ok(file) = verify(text.as_bytes(), &ring) else {
        return;
    };

    // 3. Whatever decoded must round-trip and drive the state machine without panicking.
    let claims = file.claims().clone();
    let again = sign(&claims, &key).expect("verified claims satisfy the signing rules");
    let back = verify(again.as_bytes(), &ring).expect("a file just signed verifies");
    assert_eq!(back.claims(), &claims);
    let _ = describe_claims(&claims, NOW);
    for now in [
        NOW,
        claims.not_before,
        claims.expires_at,
        i64::MIN,
        i64::MAX,
    ] {
        let mut state = LicenseState::new(claims.site_id.clone(), NOW);
        let _ = apply(&mut state, file.clone(), now);
        for at in [now, now.saturating_add(86_400), i64::MAX] {
            let v = verdict(&state, at, 14, 24);
            let _ = v.message(&state.site_id);
            let _ = describe(&state, &v);
        }
    }
});
