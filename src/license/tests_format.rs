//! Tests of the file format, verification and keys: tampering, truncation, wrong and unknown
//! keys, size limits, whitespace tolerance, a pinned test vector and a sign/verify property.
#![cfg(test)]

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::test_support::{DAY, SITE, T0, claims, key, ring, signed, verified};
use super::*;

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[test]
fn sign_then_verify_round_trips() {
    let c = claims(7, Kind::License);
    let v = verified(&c);
    assert_eq!(v.claims(), &c);
    assert_eq!(v.key_id(), key_id_of(&key(1)));
}

#[test]
fn every_tampered_byte_is_rejected() {
    let text = signed(&claims(
        3,
        Kind::Lock {
            reason: "unpaid invoice".into(),
        },
    ));
    let ring = ring(&key(1));
    let bytes = text.as_bytes();
    let mut rejected = 0;
    for pos in 0..bytes.len() {
        for mask in [0x01u8, 0x02, 0x04, 0x20, 0x40, 0x80, 0xff] {
            let mut t = bytes.to_vec();
            t[pos] ^= mask;
            if is_space(bytes[pos]) && is_space(t[pos]) {
                // Whitespace swapped for whitespace: the same file by definition.
                assert!(verify(&t, &ring).is_ok());
                continue;
            }
            match verify(&t, &ring) {
                Ok(_) => panic!("flip {mask:#04x} at byte {pos} was accepted"),
                Err(e) => assert!(e.is_forgery_or_garbage(), "pos {pos}: {e:?}"),
            }
            rejected += 1;
        }
    }
    assert!(rejected > bytes.len() * 6);
}

#[test]
fn truncated_at_every_length_is_rejected() {
    let text = signed(&claims(1, Kind::License));
    let ring = ring(&key(1));
    let content = text.trim_end().len();
    for len in 0..content {
        let err = verify(&text.as_bytes()[..len], &ring).expect_err("truncated file accepted");
        assert!(err.is_forgery_or_garbage(), "len {len}: {err:?}");
    }
    // Cut inside the signature: reported as truncation.
    assert!(matches!(
        verify(&text.as_bytes()[..content - 3], &ring),
        Err(LicenseError::Truncated { .. })
    ));
    // Signature missing entirely.
    let dot = text.find('.').expect("has a separator");
    assert!(matches!(
        verify(&text.as_bytes()[..dot], &ring),
        Err(LicenseError::Truncated { .. })
    ));
    // Only trailing whitespace removed: still the same file.
    assert!(verify(&text.as_bytes()[..content], &ring).is_ok());
}

#[test]
fn wrong_key_is_rejected() {
    // Key 2 signs a payload that names key 1's id.
    let payload = encode_payload(key_id_of(&key(1)), &claims(1, Kind::License)).expect("encodes");
    let forged = seal(&payload, &key(2));
    assert_eq!(
        verify(forged.as_bytes(), &ring(&key(1))),
        Err(LicenseError::SignatureInvalid {
            key_id: key_id_of(&key(1))
        })
    );
}

#[test]
fn unknown_key_id_is_rejected() {
    let text = sign(&claims(1, Kind::License), &key(2)).expect("signs");
    let err = verify(text.as_bytes(), &ring(&key(1))).expect_err("unknown key");
    assert_eq!(
        err,
        LicenseError::UnknownKeyId {
            key_id: key_id_of(&key(2))
        }
    );
    assert_eq!(err.code(), "license_unknown_key");
    // The vendor keyring does not know test keys either.
    assert!(matches!(
        verify(text.as_bytes(), &Keyring::vendor()),
        Err(LicenseError::UnknownKeyId { .. })
    ));
}

#[test]
fn size_limit_is_checked_first() {
    let text = signed(&claims(1, Kind::License));
    let mut padded = text.clone().into_bytes();
    padded.resize(MAX_FILE_BYTES, b'\n');
    assert!(verify(&padded, &ring(&key(1))).is_ok());
    padded.push(b'\n');
    assert_eq!(
        verify(&padded, &ring(&key(1))),
        Err(LicenseError::TooLarge {
            len: MAX_FILE_BYTES + 1,
            max: MAX_FILE_BYTES
        })
    );
    assert!(matches!(
        parse_envelope(&vec![0u8; 100_000]),
        Err(LicenseError::TooLarge { .. })
    ));
}

#[test]
fn headers_and_versions() {
    let ring = ring(&key(1));
    assert_eq!(verify(b"", &ring), Err(LicenseError::NotALicense));
    assert_eq!(
        verify(b"hello world", &ring),
        Err(LicenseError::NotALicense)
    );
    let text = signed(&claims(1, Kind::License));
    let v2 = text.replacen("POSD-LICENSE-1", "POSD-LICENSE-2", 1);
    assert_eq!(
        verify(v2.as_bytes(), &ring),
        Err(LicenseError::UnsupportedVersion { found: "2".into() })
    );
    // A signed payload whose version byte is 2.
    let mut payload = encode_payload(key_id_of(&key(1)), &claims(1, Kind::License)).expect("enc");
    payload[0] = 2;
    assert_eq!(
        verify(seal(&payload, &key(1)).as_bytes(), &ring),
        Err(LicenseError::UnsupportedVersion {
            found: "payload 2".into()
        })
    );
    assert!(matches!(
        verify(b"POSD-LICENSE-1\n", &ring),
        Err(LicenseError::Truncated { .. })
    ));
}

#[test]
fn survives_rewrapping_crlf_bom_and_indentation() {
    let c = claims(4, Kind::Unlock);
    let text = signed(&c);
    let body: String = text
        .lines()
        .skip(1)
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let rewrapped: Vec<String> = body
        .as_bytes()
        .chunks(20)
        .map(|chunk| format!("\t  {}  ", String::from_utf8_lossy(chunk)))
        .collect();
    let mangled = format!(
        "\u{feff}\r\n   POSD-LICENSE-1\r\n{}\r\n\r\n",
        rewrapped.join("\r\n")
    );
    let v = verify(mangled.as_bytes(), &ring(&key(1))).expect("mangled but same");
    assert_eq!(v.claims(), &c);
    assert_eq!(v.digest(), verified(&c).digest());
}

#[test]
fn envelope_structure_errors() {
    let ring = ring(&key(1));
    let text = signed(&claims(1, Kind::License));
    let two_dots = text.replacen('.', "..", 1);
    assert!(matches!(
        verify(two_dots.as_bytes(), &ring),
        Err(LicenseError::BadEnvelope { .. })
    ));
    let long_sig = format!("{}AAAA\n", text.trim_end());
    assert!(matches!(
        verify(long_sig.as_bytes(), &ring),
        Err(LicenseError::BadEnvelope { .. })
    ));
    let bad_char = text.replacen('.', "+.", 1);
    assert_eq!(
        verify(bad_char.as_bytes(), &ring),
        Err(LicenseError::BadBase64 { part: "payload" })
    );
    // Non-canonical last signature character (trailing bits set) is refused, so each file
    // has exactly one textual form per whitespace layout.
    let sig_text = URL_SAFE_NO_PAD.encode([0u8; 64]);
    let mut chars: Vec<u8> = sig_text.into_bytes();
    *chars.last_mut().expect("non-empty") = b'B';
    let odd = format!(
        "POSD-LICENSE-1\nAQ.{}\n",
        String::from_utf8(chars).expect("ascii")
    );
    assert_eq!(
        parse_envelope(odd.as_bytes()),
        Err(LicenseError::BadBase64 { part: "signature" })
    );
}

#[test]
fn signed_but_malformed_payloads_are_rejected() {
    let ring = ring(&key(1));
    let id = key_id_of(&key(1));
    let mut payload = encode_payload(id, &claims(1, Kind::License)).expect("encodes");
    payload.push(0);
    assert!(matches!(
        verify(seal(&payload, &key(1)).as_bytes(), &ring),
        Err(LicenseError::PayloadMalformed { .. })
    ));
    let mut garbage = vec![PAYLOAD_VERSION];
    garbage.extend_from_slice(&id.0);
    garbage.extend_from_slice(&[0xff; 40]);
    assert!(matches!(
        verify(seal(&garbage, &key(1)).as_bytes(), &ring),
        Err(LicenseError::PayloadMalformed { .. })
    ));
    // Field rules hold for signed files too (serial 0 is never valid).
    let zero = encode_payload(id, &claims(0, Kind::License)).expect("encodes");
    let err = verify(seal(&zero, &key(1)).as_bytes(), &ring).expect_err("serial 0");
    assert!(
        matches!(err, LicenseError::PayloadMalformed { .. }),
        "{err:?}"
    );
    // Payload too short to hold a key id.
    assert!(matches!(
        verify(seal(&[PAYLOAD_VERSION, 1, 2], &key(1)).as_bytes(), &ring),
        Err(LicenseError::Truncated { .. })
    ));
}

#[test]
fn field_rules() {
    let ok = claims(1, Kind::License);
    assert!(check_claims(&ok).is_ok());
    let mut c = ok.clone();
    c.site_id = "S 1".into();
    assert_eq!(check_claims(&c).map_err(|e| e.0), Err("site id"));
    c = ok.clone();
    c.site_id = "x".repeat(65);
    assert!(check_claims(&c).is_err());
    c = ok.clone();
    c.expires_at = c.not_before;
    assert_eq!(check_claims(&c).map_err(|e| e.0), Err("expires"));
    c = ok.clone();
    c.limits.max_printers = Some(0);
    assert_eq!(check_claims(&c).map_err(|e| e.0), Err("limits"));
    c = ok.clone();
    c.kind = Kind::Lock { reason: " ".into() };
    assert_eq!(check_claims(&c).map_err(|e| e.0), Err("lock reason"));
    c.kind = Kind::Lock {
        reason: "a\u{7}b".into(),
    };
    assert!(check_claims(&c).is_err());
    c = ok;
    c.site_name = "Line\nbreak".into();
    assert_eq!(check_claims(&c).map_err(|e| e.0), Err("site name"));
    assert!(matches!(
        sign(&c, &key(1)),
        Err(LicenseError::InvalidInput {
            field: "site name",
            ..
        })
    ));
}

/// Pins the byte format: a change here breaks every license already issued.
#[test]
fn pinned_test_vector() {
    let c = Claims {
        site_id: "S-0000-0000-0000-0001".into(),
        site_name: "Ταβέρνα".into(),
        issued_at: 1_767_225_600,
        not_before: 1_767_225_600,
        expires_at: 1_798_761_600,
        serial: 1,
        limits: Limits {
            max_waiters: Some(10),
            max_printers: None,
        },
        kind: Kind::License,
    };
    let text = sign(&c, &key(7)).expect("signs");
    assert_eq!(text, PINNED);
    assert_eq!(
        verify(PINNED.as_bytes(), &ring(&key(7)))
            .expect("ok")
            .claims(),
        &c
    );
}

const PINNED: &str = "\
POSD-LICENSE-1
Af6BLBLzq0zmFVMtMDAwMC0wMDAwLTAwMDAtMDAwMQ7OpM6xzrLOrc-Bzr3OsYDk
rZUNgOStlQ2AsrezDQEBCgAA
.
Qf0cLfLixvUEw8ZNqC8pYoRKD_FSF_Mf0IBZZV8d3FKAA7ZfK73EfP_8JTCnWlua
GOY9vaCj6wmqREnxtE8-Cg
";

/// Property: any well-formed claims sign and verify back to themselves.
#[test]
fn property_sign_verify_round_trips() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let ring = ring(&key(1));
    for _ in 0..300 {
        let r = next();
        let len = (r % 64) as usize + 1;
        let site_id: String = (0..len)
            .map(|i| char::from(b"AZaz09-_."[((r >> (i % 50)) % 9) as usize]))
            .collect();
        let not_before = (next() as i64) >> 2;
        let kind = match next() % 3 {
            0 => Kind::License,
            1 => Kind::Lock {
                reason: format!("reason {}", next()),
            },
            _ => Kind::Unlock,
        };
        let c = Claims {
            site_id,
            site_name: format!("Site ✓ {}", next()),
            issued_at: (next() as i64) >> 1,
            not_before,
            expires_at: not_before + (next() % (1 << 40)) as i64 + 1,
            serial: next().max(1),
            limits: Limits {
                max_waiters: Some((next() as u32).max(1)).filter(|_| r % 2 == 0),
                max_printers: Some((next() as u32).max(1)).filter(|_| r % 3 == 0),
            },
            kind,
        };
        let text = sign(&c, &key(1)).expect("well-formed claims sign");
        assert!(text.len() <= MAX_FILE_BYTES);
        assert_eq!(
            verify(text.as_bytes(), &ring).expect("verifies").claims(),
            &c
        );
    }
}

#[test]
fn vendor_keys_are_consistent() {
    assert!(!VENDOR_KEYS.is_empty());
    let ring = Keyring::vendor();
    assert_eq!(ring.ids().len(), VENDOR_KEYS.len());
    for (id, bytes) in VENDOR_KEYS {
        assert_eq!(KeyId::parse_hex(id), Some(KeyId::of(bytes)), "{id}");
        assert_eq!(KeyId::of(bytes).to_string(), *id);
    }
}

#[test]
fn extra_trusted_keys() {
    let k = key(3).verifying_key();
    let id = KeyId::of(k.as_bytes());
    let url = public_key_text(&k);
    let std_padded = STANDARD.encode(k.as_bytes());
    for entry in [
        url.clone(),
        format!("{id}:{url}"),
        format!(" {id} : {std_padded} "),
    ] {
        let ring = Keyring::with_extra(std::slice::from_ref(&entry)).expect(&entry);
        assert!(ring.get(&id).is_some());
        assert_eq!(ring.ids().len(), VENDOR_KEYS.len() + 1);
    }
    // Same key twice is fine; the vendor key repeated too.
    let vendor = format!(
        "{}:{}",
        VENDOR_KEYS[0].0,
        URL_SAFE_NO_PAD.encode(VENDOR_KEYS[0].1)
    );
    assert!(Keyring::with_extra(&[url.clone(), url.clone(), vendor]).is_ok());
    let wrong_id = format!("0011223344556677:{url}");
    for bad in [
        wrong_id.as_str(),
        "not base64!",
        "AAAA",
        "xyz:AAAA",
        // The identity point: a weak, small-order key.
        "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let err = Keyring::with_extra(&[bad.to_string()]).expect_err(bad);
        assert_eq!(err.code(), "license_bad_trusted_key", "{bad}");
    }
}

#[test]
fn key_file_round_trip_and_errors() {
    let k = key(9);
    let text = encode_key_file(&k);
    let back = decode_key_file(&text, "k").expect("round trip");
    assert_eq!(back.to_bytes(), k.to_bytes());
    for bad in [
        "",
        "POSD-SIGNING-KEY-1\n",
        "POSD-SIGNING-KEY-2\nAAAA\n",
        "POSD-SIGNING-KEY-1\nAAAA\n",
        "POSD-SIGNING-KEY-1\n!!!\n",
    ] {
        assert!(matches!(
            decode_key_file(bad, "k"),
            Err(LicenseError::BadKeyFile { .. })
        ));
    }
    let extra = format!("{text}more\n");
    assert!(decode_key_file(&extra, "k").is_err());
}

#[test]
fn key_id_hex() {
    let id = KeyId([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 0xff]);
    assert_eq!(id.to_string(), "deadbeef000102ff");
    assert_eq!(KeyId::parse_hex("DEADBEEF000102FF"), Some(id));
    assert_eq!(KeyId::parse_hex("deadbeef000102f"), None);
    assert_eq!(KeyId::parse_hex("deadbeef000102fg"), None);
}

#[test]
fn error_codes_are_distinct_and_messages_say_something() {
    let id = KeyId([0; 8]);
    let all = [
        LicenseError::TooLarge { len: 9, max: 8 },
        LicenseError::NotALicense,
        LicenseError::UnsupportedVersion { found: "2".into() },
        LicenseError::Truncated { what: "x" },
        LicenseError::BadBase64 { part: "payload" },
        LicenseError::BadEnvelope { detail: "x".into() },
        LicenseError::UnknownKeyId { key_id: id },
        LicenseError::SignatureInvalid { key_id: id },
        LicenseError::PayloadMalformed { detail: "x".into() },
        LicenseError::WrongSite {
            expected: SITE.into(),
            found: "S-OTHER".into(),
        },
        LicenseError::NotYetValid {
            not_before: T0 + DAY,
            now: T0,
        },
        LicenseError::Expired {
            expires_at: T0,
            now: T0 + DAY,
        },
        LicenseError::SerialNotNewer {
            serial: 2,
            last_serial: 5,
        },
        LicenseError::BadTrustedKey {
            entry: "e".into(),
            reason: "r".into(),
        },
        LicenseError::BadKeyFile {
            path: "p".into(),
            reason: "r".into(),
        },
        LicenseError::KeyFileExists { path: "p".into() },
        LicenseError::InvalidInput {
            field: "--expires",
            reason: "2020-01-01T00:00:00Z is already past".into(),
        },
        LicenseError::Io {
            path: "/tmp/site.license".into(),
            reason: "No such file or directory".into(),
        },
        LicenseError::NeedsStore { command: "show" },
    ];
    let mut codes: Vec<&str> = all.iter().map(LicenseError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
    for e in &all {
        assert!(e.code().starts_with("license_"));
        assert!(e.to_string().len() > 10, "{e:?}");
    }
    assert!(all[9].to_string().contains("S-OTHER"));
    assert!(all[12].to_string().contains("--serial 6"));
}
