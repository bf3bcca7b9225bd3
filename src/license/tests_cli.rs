//! Tests of the sysadmin's offline commands: keygen files and modes, sign/verify through real
//! files, argument parsing with clap, date parsing and `describe`.
#![cfg(test)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use clap::Parser;

use super::cli::{
    LicenseCmd, describe, keygen_with_seed, parse_time, run_offline, sign_at, verify_at,
};
use super::test_support::{DAY, SITE, T0, claims, key, ring, verified};
use super::*;

#[derive(Parser, Debug)]
struct Tool {
    #[command(subcommand)]
    cmd: LicenseCmd,
}

fn parse(args: &[&str]) -> Result<LicenseCmd, clap::Error> {
    Tool::try_parse_from(std::iter::once("license").chain(args.iter().copied())).map(|t| t.cmd)
}

fn keyfile(dir: &Path) -> PathBuf {
    let path = dir.join("vendor.key");
    keygen_with_seed(&path, &[1; 32]).expect("keygen");
    path
}

fn sign_cmd(key: &Path, extra: &[&str]) -> LicenseCmd {
    let key = key.to_str().expect("utf-8 temp path");
    let mut args = vec![
        "sign",
        "--key",
        key,
        "--site",
        SITE,
        "--site-name",
        "Taverna Test",
        "--expires",
        "2027-02-01",
        "--serial",
        "3",
    ];
    args.extend_from_slice(extra);
    parse(&args).expect("valid sign arguments")
}

#[test]
fn keygen_writes_a_private_0600_key_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("k.secret");
    let out = keygen_with_seed(&path, &[1; 32]).expect("keygen");
    let id = key_id_of(&key(1)).to_string();
    assert!(out.contains(&id), "{out}");
    assert!(out.contains(&public_key_text(&key(1).verifying_key())));
    let mode = std::fs::metadata(&path)
        .expect("exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&path).expect("readable");
    let k = decode_key_file(&text, "k").expect("parses");
    assert_eq!(k.to_bytes(), key(1).to_bytes());
    assert_eq!(
        keygen_with_seed(&path, &[2; 32]),
        Err(LicenseError::KeyFileExists {
            path: path.display().to_string()
        })
    );
    assert_eq!(std::fs::read_to_string(&path).expect("readable"), text);
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    // The printed entry is accepted as a config key.
    let entry = out
        .lines()
        .find_map(|l| l.split('"').nth(1))
        .expect("config entry printed");
    assert!(Keyring::with_extra(&[entry.to_string()]).is_ok());
}

#[test]
fn run_offline_keygen_uses_fresh_randomness() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    run_offline(LicenseCmd::Keygen { out: a.clone() }).expect("keygen a");
    run_offline(LicenseCmd::Keygen { out: b.clone() }).expect("keygen b");
    assert_ne!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
}

#[test]
fn sign_prints_a_file_that_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = keyfile(dir.path());
    let text = sign_at(&sign_cmd(&key_path, &["--max-waiters", "8"]), T0).expect("signs");
    let v = verify(text.as_bytes(), &ring(&key(1))).expect("verifies");
    let c = v.claims();
    assert_eq!(c.site_id, SITE);
    assert_eq!(c.serial, 3);
    assert_eq!(c.issued_at, T0);
    assert_eq!(c.not_before, T0 - DAY);
    // 2027-02-01 means "through that whole UTC day".
    assert_eq!(
        c.expires_at,
        parse_time("x", "2027-02-02T00:00:00Z", false).expect("t")
    );
    assert_eq!(c.limits.max_waiters, Some(8));
    assert_eq!(c.limits.max_printers, None);
    assert_eq!(c.kind, Kind::License);
}

#[test]
fn sign_lock_and_unlock_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = keyfile(dir.path());
    let lock = sign_at(&sign_cmd(&key_path, &["--lock", "unpaid invoice"]), T0).expect("lock");
    let unlock = sign_at(&sign_cmd(&key_path, &["--unlock"]), T0).expect("unlock");
    let ring = ring(&key(1));
    assert_eq!(
        verify(lock.as_bytes(), &ring).expect("ok").claims().kind,
        Kind::Lock {
            reason: "unpaid invoice".into()
        }
    );
    assert_eq!(
        verify(unlock.as_bytes(), &ring).expect("ok").claims().kind,
        Kind::Unlock
    );
    let conflict = parse(&[
        "sign",
        "--key",
        "k",
        "--site",
        SITE,
        "--site-name",
        "n",
        "--expires",
        "2027-02-01",
        "--serial",
        "1",
        "--lock",
        "x",
        "--unlock",
    ]);
    assert!(conflict.is_err());
    let no_serial = parse(&[
        "sign",
        "--key",
        "k",
        "--site",
        SITE,
        "--site-name",
        "n",
        "--expires",
        "2027-02-01",
    ]);
    assert!(no_serial.is_err());
}

#[test]
fn sign_to_file_then_verify_prints_every_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = keyfile(dir.path());
    let out = dir.path().join("site.license");
    let out_s = out.to_str().expect("utf-8");
    let msg = sign_at(
        &sign_cmd(&key_path, &["--out", out_s, "--not-before", "2027-01-10"]),
        T0,
    )
    .expect("signs");
    assert!(
        msg.contains("appliances must be configured to trust"),
        "{msg}"
    );
    let text = verify_at(&out, Some(SITE), &ring(&key(1)), T0).expect("verifies");
    for want in [
        "Signature:    valid",
        "extra trusted key",
        "Kind:         license",
        SITE,
        "Taverna Test",
        "Serial:       3",
        "Valid from:   2027-01-10T00:00:00Z",
        "Expires:      2027-02-02T00:00:00Z",
        "Max waiters:  no limit",
        "valid now",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let later = verify_at(&out, None, &ring(&key(1)), T0 + 60 * DAY).expect("still authentic");
    assert!(later.contains("EXPIRED"), "{later}");
    let earlier = verify_at(&out, None, &ring(&key(1)), T0 - 30 * DAY).expect("authentic");
    assert!(earlier.contains("NOT YET VALID"), "{earlier}");
    assert!(matches!(
        verify_at(&out, Some("S-OTHER"), &ring(&key(1)), T0),
        Err(LicenseError::WrongSite { .. })
    ));
    assert!(matches!(
        verify_at(&out, None, &Keyring::vendor(), T0),
        Err(LicenseError::UnknownKeyId { .. })
    ));
    // Through run_offline with --trust.
    let trust = format!(
        "{}:{}",
        key_id_of(&key(1)),
        public_key_text(&key(1).verifying_key())
    );
    let cmd = parse(&["verify", out_s, "--trust", &trust]).expect("parses");
    assert!(run_offline(cmd).is_ok());
    let cmd = parse(&["verify", out_s]).expect("parses");
    assert!(matches!(
        run_offline(cmd),
        Err(LicenseError::UnknownKeyId { .. })
    ));
}

#[test]
fn verify_rejects_big_and_missing_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b' '; MAX_FILE_BYTES + 1]).expect("write");
    assert!(matches!(
        verify_at(&big, None, &Keyring::vendor(), T0),
        Err(LicenseError::TooLarge { .. })
    ));
    assert!(matches!(
        verify_at(&dir.path().join("nope"), None, &Keyring::vendor(), T0),
        Err(LicenseError::Io { .. })
    ));
}

#[test]
fn sign_refuses_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = keyfile(dir.path());
    let past = sign_at(&sign_cmd(&key_path, &[]), T0 + 400 * DAY);
    assert!(matches!(
        past,
        Err(LicenseError::InvalidInput {
            field: "--expires",
            ..
        })
    ));
    let mut bad_site = sign_cmd(&key_path, &[]);
    if let LicenseCmd::Sign { site, .. } = &mut bad_site {
        *site = "S 1/..".into();
    }
    assert!(matches!(
        sign_at(&bad_site, T0),
        Err(LicenseError::InvalidInput {
            field: "--site",
            ..
        })
    ));
    let mut zero = sign_cmd(&key_path, &[]);
    if let LicenseCmd::Sign { serial, .. } = &mut zero {
        *serial = 0;
    }
    assert!(matches!(
        sign_at(&zero, T0),
        Err(LicenseError::InvalidInput {
            field: "serial",
            ..
        })
    ));
    let late_start = sign_cmd(&key_path, &["--not-before", "2027-03-01"]);
    assert!(matches!(
        sign_at(&late_start, T0),
        Err(LicenseError::InvalidInput {
            field: "expires",
            ..
        })
    ));
    let missing_key = sign_cmd(&dir.path().join("none"), &[]);
    assert!(matches!(
        sign_at(&missing_key, T0),
        Err(LicenseError::Io { .. })
    ));
    let not_a_key = dir.path().join("not-a-key");
    std::fs::write(&not_a_key, "hello").expect("write");
    assert!(matches!(
        sign_at(&sign_cmd(&not_a_key, &[]), T0),
        Err(LicenseError::BadKeyFile { .. })
    ));
}

#[test]
fn time_arguments() {
    assert_eq!(parse_time("f", "1970-01-02", false), Ok(86_400));
    assert_eq!(parse_time("f", "1970-01-02", true), Ok(2 * 86_400));
    assert_eq!(parse_time("f", "1970-01-01T01:00:00Z", true), Ok(3600));
    assert_eq!(
        parse_time("f", " 1970-01-01T03:00:00+02:00 ", false),
        Ok(3600)
    );
    for bad in ["", "tomorrow", "2027-13-01", "2027-01-01T00:00:00"] {
        assert!(
            matches!(
                parse_time("f", bad, false),
                Err(LicenseError::InvalidInput { field: "f", .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn show_and_install_need_the_store() {
    assert_eq!(
        run_offline(LicenseCmd::Show),
        Err(LicenseError::NeedsStore { command: "show" })
    );
    let cmd = parse(&["install", "x.license"]).expect("parses");
    assert_eq!(
        run_offline(cmd),
        Err(LicenseError::NeedsStore { command: "install" })
    );
}

#[test]
fn describe_shows_everything_the_sysadmin_needs() {
    let mut s = LicenseState::new(SITE.into(), T0 - DAY);
    let v = verdict(&s, T0, DEFAULT_TRIAL_DAYS, DEFAULT_GRACE_HOURS);
    let text = describe(&s, &v);
    for want in [
        SITE,
        "Trial until",
        "(trial)",
        "none installed",
        "not locked",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    apply(&mut s, verified(&claims(1, Kind::License)), T0).expect("license");
    let lock = claims(
        2,
        Kind::Lock {
            reason: "unpaid".into(),
        },
    );
    apply(&mut s, verified(&lock), T0).expect("lock");
    let v = verdict(&s, T0, DEFAULT_TRIAL_DAYS, DEFAULT_GRACE_HOURS);
    let text = describe(&s, &v);
    for want in [
        "LOCKED since",
        "unpaid",
        "serial 1",
        "max waiters     12",
        "Last serial:      2",
        "(locked)",
        &key_id_of(&key(1)).to_string(),
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}
