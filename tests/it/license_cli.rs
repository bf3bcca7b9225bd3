//! The sysadmin's workflow through the built `posd` binary: keygen, sign, verify, then
//! `license show` and `license install` on a stopped data folder, and the appliance starting
//! licensed from it.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::license::{Vendor, restart, view};

/// Runs `posd` with `--config` and `--data-dir` and the given arguments.
fn posd(config: &Path, data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posd"))
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("POSD_CONFIG")
        .env_remove("POSD_DATA_DIR")
        .env("RUST_LOG", "off")
        .output()
        .expect("the posd binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[track_caller]
fn success(o: &Output) -> String {
    assert!(
        o.status.success(),
        "posd failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        stdout(o)
    );
    stdout(o)
}

#[track_caller]
fn failure(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "posd should have failed: {}",
        stdout(o)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn field(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .trim()
        .to_string()
}

/// keygen → show (site id) → sign → verify → install → show, all on a stopped data folder;
/// a tampered file is refused and changes nothing; then the daemon starts licensed.
#[tokio::test]
async fn the_sysadmin_workflow_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let key = tmp.path().join("vendor.key");
    let config = tmp.path().join("posd.toml");
    std::fs::write(&config, "[license]\ntrial_days = 0\n").unwrap();

    let err = failure(&posd(&config, &data, &["license", "show"]));
    assert!(err.contains("holds no posd database"), "{err}");
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_posd"))
        .args(["--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .args(["user", "add", "boss", "--role", "manager", "--pin", "1234"])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    success(&st);

    let shown = success(&posd(&config, &data, &["license", "show"]));
    let site = field(&shown, "Site id:");
    assert!(site.starts_with("S-"), "{shown}");
    assert!(shown.contains("(license_missing)"), "{shown}");
    assert!(shown.contains("License folder:"), "{shown}");
    let again = success(&posd(&config, &data, &["license", "show"]));
    assert_eq!(
        field(&again, "Site id:"),
        site,
        "the site id is created once"
    );

    let out = success(&posd(
        &config,
        &data,
        &["license", "keygen", "--out", key.to_str().unwrap()],
    ));
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let key_id = field(&out, "key id:");
    let public = field(&out, "public key:");
    let trust = format!("{key_id}:{public}");
    std::fs::write(
        &config,
        format!("[license]\ntrial_days = 0\nextra_keys = [\"{trust}\"]\n"),
    )
    .unwrap();

    let file = tmp.path().join("taverna.license");
    success(&posd(
        &config,
        &data,
        &[
            "license",
            "sign",
            "--key",
            key.to_str().unwrap(),
            "--site",
            &site,
            "--site-name",
            "Taverna",
            "--expires",
            "2099-12-31",
            "--serial",
            "1",
            "--max-waiters",
            "8",
            "--out",
            file.to_str().unwrap(),
        ],
    ));
    let verified = success(&posd(
        &config,
        &data,
        &[
            "license",
            "verify",
            file.to_str().unwrap(),
            "--trust",
            &trust,
        ],
    ));
    assert!(verified.contains("Signature:    valid"), "{verified}");

    let text = std::fs::read_to_string(&file).unwrap();
    let tampered = tmp.path().join("tampered.license");
    let mut bytes = text.clone().into_bytes();
    let mid = bytes.len() / 3;
    bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
    std::fs::write(&tampered, bytes).unwrap();
    let err = failure(&posd(
        &config,
        &data,
        &["license", "install", tampered.to_str().unwrap()],
    ));
    assert!(err.contains("license"), "{err}");
    let still = success(&posd(&config, &data, &["license", "show"]));
    assert!(still.contains("none installed"), "{still}");

    let installed = success(&posd(
        &config,
        &data,
        &["license", "install", file.to_str().unwrap()],
    ));
    assert!(
        installed.contains("license serial 1 installed"),
        "{installed}"
    );
    assert!(installed.contains("(licensed)"), "{installed}");
    let twice = success(&posd(
        &config,
        &data,
        &["license", "install", file.to_str().unwrap()],
    ));
    assert!(twice.contains("already the last applied file"), "{twice}");
    let shown = success(&posd(&config, &data, &["license", "show"]));
    assert!(shown.contains("serial 1, key"), "{shown}");
    assert!(shown.contains("max waiters     8"), "{shown}");

    // The appliance starts licensed from the data folder the CLI prepared.
    let dir = tempfile::TempDir::new_in(tmp.path()).unwrap();
    std::fs::remove_dir(dir.path()).unwrap();
    std::fs::rename(&data, dir.path()).unwrap();
    let vendor = Vendor::new(1);
    let d = restart(dir, &vendor, move |c| c.extra_keys.push(trust)).await;
    let v = view(&d).await;
    assert_eq!(v["site_id"], site.as_str());
    assert_eq!(v["status"], "licensed");
    assert_eq!(v["limits"]["max_waiters"], 8);
    let m = d.login("boss", "1234").await;
    m.get("/api/tables").await.ok();
}
