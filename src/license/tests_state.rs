//! Tests of the enforcement state machine: every `apply` rule and every `verdict` branch,
//! including replayed unlocks, grace boundaries and a clock set back a year.
#![cfg(test)]

use super::test_support::{DAY, HOUR, SITE, T0, claims, key, ring, signed, verified};
use super::*;

const TRIAL: u32 = DEFAULT_TRIAL_DAYS;
const GRACE: u32 = DEFAULT_GRACE_HOURS;

fn fresh() -> LicenseState {
    LicenseState::new(SITE.to_string(), T0 - 2 * DAY)
}

fn lock(serial: u64) -> Claims {
    claims(
        serial,
        Kind::Lock {
            reason: "unpaid invoice".into(),
        },
    )
}

fn licensed(serial: u64) -> LicenseState {
    let mut s = fresh();
    apply(&mut s, verified(&claims(serial, Kind::License)), T0).expect("applies");
    s
}

#[test]
fn license_applies_and_serves() {
    let mut s = fresh();
    let c = claims(1, Kind::License);
    let applied = apply(&mut s, verified(&c), T0).expect("applies");
    assert_eq!(
        applied,
        Applied::Licensed {
            serial: 1,
            expires_at: c.expires_at
        }
    );
    assert_eq!(s.last_serial, 1);
    let v = verdict(&s, T0, TRIAL, GRACE);
    assert_eq!(
        v,
        Verdict::Licensed {
            expires_at: c.expires_at,
            limits: c.limits
        }
    );
    assert_eq!(v.blocking_status(), None);
    assert_eq!(v.limits().max_waiters, Some(12));
    let active = s.active.as_ref().expect("active");
    assert_eq!(active.key_id, key_id_of(&key(1)));
    assert_eq!(active.site_name, "Taverna Test");
}

#[test]
fn wrong_site_is_refused_and_changes_nothing() {
    let mut s = fresh();
    let before = s.clone();
    let mut c = claims(1, Kind::License);
    c.site_id = "S-OTHER".into();
    assert_eq!(
        apply(&mut s, verified(&c), T0),
        Err(LicenseError::WrongSite {
            expected: SITE.into(),
            found: "S-OTHER".into()
        })
    );
    assert_eq!(s, before);
}

#[test]
fn lock_then_old_unlock_replayed_does_nothing() {
    let mut s = licensed(1);
    let old_unlock = verified(&claims(2, Kind::Unlock));
    apply(&mut s, old_unlock.clone(), T0).expect("first unlock applies");
    apply(&mut s, verified(&lock(3)), T0).expect("lock applies");
    let v = verdict(&s, T0, TRIAL, GRACE);
    assert_eq!(v.blocking_status(), Some(423));
    assert_eq!(v.code(), "locked");
    let before = s.clone();
    assert_eq!(
        apply(&mut s, old_unlock, T0 + HOUR),
        Err(LicenseError::SerialNotNewer {
            serial: 2,
            last_serial: 3
        })
    );
    assert_eq!(s, before);
    assert_eq!(verdict(&s, T0, TRIAL, GRACE).blocking_status(), Some(423));
    // A newer unlock lifts it and the license serves again.
    assert_eq!(
        apply(&mut s, verified(&claims(4, Kind::Unlock)), T0 + HOUR),
        Ok(Applied::Unlocked {
            serial: 4,
            was_locked: true
        })
    );
    assert_eq!(verdict(&s, T0 + HOUR, TRIAL, GRACE).code(), "licensed");
}

#[test]
fn older_license_never_replaces_newer() {
    let mut s = licensed(5);
    let before = s.clone();
    let mut c = claims(4, Kind::License);
    c.expires_at = T0 + 400 * DAY;
    assert!(matches!(
        apply(&mut s, verified(&c), T0),
        Err(LicenseError::SerialNotNewer { .. })
    ));
    assert_eq!(s, before);
}

#[test]
fn same_file_again_is_a_no_op_but_same_serial_other_file_is_refused() {
    let mut s = fresh();
    let c = claims(1, Kind::License);
    apply(&mut s, verified(&c), T0).expect("applies");
    let before = s.clone();
    assert_eq!(
        apply(&mut s, verified(&c), T0 + DAY),
        Ok(Applied::AlreadyApplied { serial: 1 })
    );
    assert_eq!(s, before);
    let mut other = c;
    other.site_name = "Renamed".into();
    assert!(matches!(
        apply(&mut s, verified(&other), T0),
        Err(LicenseError::SerialNotNewer { .. })
    ));
}

#[test]
fn not_yet_valid_and_expired_files_are_refused() {
    let mut s = fresh();
    let before = s.clone();
    let mut c = claims(1, Kind::License);
    c.not_before = T0 + DAY;
    assert_eq!(
        apply(&mut s, verified(&c), T0),
        Err(LicenseError::NotYetValid {
            not_before: T0 + DAY,
            now: T0
        })
    );
    let c = claims(1, Kind::License);
    assert_eq!(
        apply(&mut s, verified(&c), c.expires_at),
        Err(LicenseError::Expired {
            expires_at: c.expires_at,
            now: c.expires_at
        })
    );
    assert_eq!(s, before);
    // At not_before exactly it applies.
    let mut c = claims(1, Kind::License);
    c.not_before = T0;
    assert!(apply(&mut s, verified(&c), T0).is_ok());
}

#[test]
fn expiry_grace_and_after_grace() {
    let s = licensed(1);
    let exp = T0 + 30 * DAY;
    assert_eq!(verdict(&s, exp - 1, TRIAL, GRACE).code(), "licensed");
    let grace = Verdict::Grace {
        expired_at: exp,
        grace_ends: exp + 24 * HOUR,
        limits: claims(1, Kind::License).limits,
    };
    assert_eq!(verdict(&s, exp, TRIAL, GRACE), grace);
    assert_eq!(verdict(&s, exp + 23 * HOUR, TRIAL, GRACE), grace);
    assert_eq!(grace.blocking_status(), None);
    assert_eq!(grace.limits().max_waiters, Some(12));
    let expired = verdict(&s, exp + 24 * HOUR, TRIAL, GRACE);
    assert_eq!(expired, Verdict::Expired { expired_at: exp });
    assert_eq!(expired.blocking_status(), Some(402));
    assert!(expired.message(SITE).contains(SITE));
    // No grace configured: blocked at once.
    assert_eq!(verdict(&s, exp, TRIAL, 0).code(), "license_expired");
}

#[test]
fn clock_set_back_a_year_extends_nothing() {
    // The license expired 40 days after T0 - 0; the appliance saw T0 + 40 days.
    let mut s = licensed(1);
    assert!(observe_clock(&mut s, T0 + 40 * DAY));
    assert_eq!(s.clock_high_water, T0 + 40 * DAY);
    let set_back = T0 + 40 * DAY - 365 * DAY;
    assert!(!observe_clock(&mut s, set_back));
    assert_eq!(s.clock_high_water, T0 + 40 * DAY);
    let now = effective_now(set_back, s.clock_high_water);
    assert_eq!(now, T0 + 40 * DAY);
    assert_eq!(verdict(&s, now, TRIAL, GRACE).blocking_status(), Some(402));

    // Same for the trial: it ended, and setting the clock back does not revive it.
    let mut t = fresh();
    observe_clock(&mut t, T0 + 20 * DAY);
    let now = effective_now(T0 - 365 * DAY, t.clock_high_water);
    assert_eq!(verdict(&t, now, TRIAL, GRACE).code(), "trial_ended");
    // Clock moving forward again raises the mark.
    assert_eq!(
        effective_now(T0 + 21 * DAY, t.clock_high_water),
        T0 + 21 * DAY
    );
}

#[test]
fn applying_a_file_raises_the_high_water_to_its_issue_time() {
    // Pi booted with a clock stuck in the past; the vendor's signature vouches for issued_at.
    let mut s = LicenseState::new(SITE.into(), T0 - 10 * DAY);
    let mut c = claims(1, Kind::License);
    c.not_before = T0 - 20 * DAY;
    c.issued_at = T0;
    apply(&mut s, verified(&c), T0 - 10 * DAY).expect("applies");
    assert_eq!(s.clock_high_water, T0);
    // But never lowers it.
    let mut c2 = claims(2, Kind::License);
    c2.issued_at = T0 - 100 * DAY;
    c2.not_before = T0 - 100 * DAY;
    apply(&mut s, verified(&c2), T0).expect("applies");
    assert_eq!(s.clock_high_water, T0);
}

#[test]
fn trial_runs_then_ends_and_can_be_disabled() {
    let s = LicenseState::new(SITE.into(), T0);
    let ends = T0 + 14 * DAY;
    assert_eq!(
        verdict(&s, T0, TRIAL, GRACE),
        Verdict::Trial { ends_at: ends }
    );
    assert_eq!(verdict(&s, ends - 1, TRIAL, GRACE).blocking_status(), None);
    let over = verdict(&s, ends, TRIAL, GRACE);
    assert_eq!(
        over,
        Verdict::Unlicensed(Unlicensed::TrialEnded { ended_at: ends })
    );
    assert_eq!(over.blocking_status(), Some(402));
    let off = verdict(&s, T0, 0, GRACE);
    assert_eq!(off, Verdict::Unlicensed(Unlicensed::NoLicense));
    assert_eq!(off.code(), "license_missing");
    let mut never = s;
    never.trial_started_at = None;
    assert_eq!(verdict(&never, T0, TRIAL, GRACE).code(), "license_missing");
}

#[test]
fn trial_does_not_come_back_after_a_license_expired() {
    let s = licensed(1);
    // Trial started at T0 - 2 days; a 400-day trial would still run, but a license was used.
    assert_eq!(
        verdict(&s, T0 + 60 * DAY, 400, GRACE).code(),
        "license_expired"
    );
}

#[test]
fn demo_always_serves_even_when_locked() {
    let mut s = licensed(1);
    apply(&mut s, verified(&lock(2)), T0).expect("lock");
    s.demo = true;
    let v = verdict(&s, T0 + 999 * DAY, 0, 0);
    assert_eq!(v, Verdict::Demo);
    assert_eq!(v.blocking_status(), None);
    assert_eq!(v.code(), "demo");
}

#[test]
fn lock_beats_license_and_license_does_not_unlock() {
    let mut s = licensed(1);
    assert_eq!(
        apply(&mut s, verified(&lock(2)), T0 + HOUR),
        Ok(Applied::Locked {
            serial: 2,
            reason: "unpaid invoice".into()
        })
    );
    let v = verdict(&s, T0 + HOUR, TRIAL, GRACE);
    assert_eq!(
        v,
        Verdict::Locked {
            reason: "unpaid invoice".into(),
            since: T0 + HOUR
        }
    );
    assert!(v.message(SITE).contains("unpaid invoice"));
    apply(&mut s, verified(&claims(3, Kind::License)), T0 + HOUR).expect("new license");
    assert_eq!(verdict(&s, T0 + HOUR, TRIAL, GRACE).code(), "locked");
    // A lock without any license also gives 423, not 402.
    let mut bare = fresh();
    apply(&mut bare, verified(&lock(1)), T0).expect("lock");
    assert_eq!(verdict(&bare, T0, 0, GRACE).blocking_status(), Some(423));
}

#[test]
fn unlock_when_not_locked_still_consumes_its_serial() {
    let mut s = licensed(1);
    assert_eq!(
        apply(&mut s, verified(&claims(2, Kind::Unlock)), T0),
        Ok(Applied::Unlocked {
            serial: 2,
            was_locked: false
        })
    );
    assert_eq!(s.last_serial, 2);
    assert_eq!(verdict(&s, T0, TRIAL, GRACE).code(), "licensed");
}

#[test]
fn hand_edited_future_license_is_not_yet_valid() {
    let mut s = licensed(1);
    if let Some(l) = s.active.as_mut() {
        l.not_before = T0 + DAY;
    }
    let v = verdict(&s, T0, TRIAL, GRACE);
    assert_eq!(
        v,
        Verdict::Unlicensed(Unlicensed::NotYetValid {
            not_before: T0 + DAY
        })
    );
    assert_eq!(v.blocking_status(), Some(402));
    assert_eq!(v.code(), "license_not_yet_valid");
}

#[test]
fn extreme_times_do_not_overflow() {
    let mut s = fresh();
    let mut c = claims(1, Kind::License);
    c.expires_at = i64::MAX;
    apply(&mut s, verified(&c), T0).expect("applies");
    assert_eq!(
        verdict(&s, i64::MAX - 1, u32::MAX, u32::MAX).code(),
        "licensed"
    );
    assert_eq!(
        verdict(&s, i64::MAX, u32::MAX, u32::MAX).code(),
        "license_expired"
    );
    let t = LicenseState::new(SITE.into(), i64::MAX - 5);
    assert_eq!(verdict(&t, i64::MAX - 1, u32::MAX, GRACE).code(), "trial");
    assert_eq!(verdict(&t, i64::MAX, u32::MAX, GRACE).code(), "trial_ended");
    assert!(fmt_time(i64::MAX).starts_with("unix "));
}

#[test]
fn install_verifies_then_applies() {
    let mut s = fresh();
    let ring = ring(&key(1));
    let before = s.clone();
    assert!(install(&mut s, b"garbage", &ring, T0).is_err());
    assert_eq!(s, before);
    let text = signed(&claims(1, Kind::License));
    assert!(matches!(
        install(&mut s, text.as_bytes(), &ring, T0),
        Ok(Applied::Licensed { serial: 1, .. })
    ));
}

#[test]
fn state_survives_postcard_round_trip() {
    let mut s = licensed(1);
    apply(&mut s, verified(&lock(2)), T0).expect("lock");
    s.demo = true;
    let bytes = postcard::to_stdvec(&s).expect("encodes");
    let back: LicenseState = postcard::from_bytes(&bytes).expect("decodes");
    assert_eq!(back, s);
}

#[test]
fn site_ids_are_readable_and_valid() {
    assert_eq!(new_site_id(&[0; 10]), "S-0000-0000-0000-0000");
    assert_eq!(new_site_id(&[0xff; 10]), "S-ZZZZ-ZZZZ-ZZZZ-ZZZZ");
    assert_eq!(
        new_site_id(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        "S-0000-0000-0000-0001"
    );
    let a = new_site_id(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let b = new_site_id(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
    assert_ne!(a, b);
    assert!(check_site_id(&a).is_ok());
    assert_eq!(a.len(), 21);
}

#[test]
fn every_verdict_has_a_status_code_and_message() {
    let l = Limits::default();
    let cases = [
        (
            Verdict::Licensed {
                expires_at: T0,
                limits: l,
            },
            None,
        ),
        (
            Verdict::Grace {
                expired_at: T0,
                grace_ends: T0 + DAY,
                limits: l,
            },
            None,
        ),
        (Verdict::Trial { ends_at: T0 }, None),
        (Verdict::Demo, None),
        (Verdict::Unlicensed(Unlicensed::NoLicense), Some(402)),
        (
            Verdict::Unlicensed(Unlicensed::TrialEnded { ended_at: T0 }),
            Some(402),
        ),
        (Verdict::Expired { expired_at: T0 }, Some(402)),
        (
            Verdict::Locked {
                reason: "r".into(),
                since: T0,
            },
            Some(423),
        ),
    ];
    for (v, status) in cases {
        assert_eq!(v.blocking_status(), status, "{v:?}");
        let msg = v.message(SITE);
        assert!(!msg.is_empty());
        if status == Some(402) {
            assert!(msg.contains(SITE), "{msg}");
        }
    }
}
