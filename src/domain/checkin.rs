//! Where a check-in is accepted or refused: the rules, in order, as plain functions
//! (`scan_method` for what the code names, `judge` for time, rotation, campaign and place),
//! and the answer each refusal gets. The database then adds the rules it enforces itself (one
//! check-in per visitor, point and Macau day; one answer per nonce).

use chrono::{Duration, NaiveDateTime};

use super::geo;
use super::payload::{check_rotation, PayloadError};
use crate::error::{AppError, Code};
use crate::types::{CheckinMethod, PointKind};

/// How late an offline scan may be uploaded.
pub const MAX_OFFLINE_UPLOAD: Duration = Duration::hours(6);
/// Phones' clocks run a little ahead.
pub const CLOCK_SKEW: Duration = Duration::seconds(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InvalidPayload,
    PayloadExpired,
    /// A rotating point's code scanned offline and sent after it had changed twice: the code
    /// is judged when it arrives, so offline scans do not work at rotating points.
    LateOfflineScan,
    OutsideGeofence,
    LocationRequired,
    CampaignNotActive,
    /// The point has been retired by the campaign's operators.
    PointRetired,
    /// One check-in per visitor, point and Macau day (held by the database).
    AlreadyCheckedIn,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::InvalidPayload => "invalid_payload",
            Refusal::PayloadExpired | Refusal::LateOfflineScan => "payload_expired",
            Refusal::OutsideGeofence => "outside_geofence",
            Refusal::LocationRequired => "location_required",
            Refusal::CampaignNotActive => "campaign_not_active",
            Refusal::PointRetired => "point_retired",
            Refusal::AlreadyCheckedIn => "already_checked_in",
        }
    }

    /// The answer the visitor gets.
    pub fn error(self) -> AppError {
        let (code, detail) = match self {
            Refusal::LateOfflineScan => {
                return AppError::rule_with(
                    Code::PayloadExpired,
                    "This point's code changes every few seconds, so a scan saved offline cannot be sent later; scan the code on the screen again while online.",
                    serde_json::json!({"reason": "offline_scan_too_late"}),
                )
            }
            Refusal::InvalidPayload => (
                Code::InvalidPayload,
                "This code is not a valid check-in code.",
            ),
            Refusal::PayloadExpired => (
                Code::PayloadExpired,
                "This code has expired; scan the code shown now.",
            ),
            Refusal::OutsideGeofence => (
                Code::OutsideGeofence,
                "You are too far from this check-in point.",
            ),
            Refusal::LocationRequired => (
                Code::LocationRequired,
                "This check-in point needs your location.",
            ),
            Refusal::CampaignNotActive => (
                Code::CampaignNotActive,
                "This campaign is not running at the moment.",
            ),
            Refusal::PointRetired => (Code::PointRetired, "This check-in point has been retired."),
            Refusal::AlreadyCheckedIn => (
                Code::AlreadyCheckedIn,
                "You have already checked in here today; come back tomorrow.",
            ),
        };
        AppError::rule(code, detail)
    }
}

/// The method a check-in is recorded with. A short code typed from the poster names the point
/// whatever mode the scan screen was in, so the check-in takes the point's own kind; a
/// rotating point has no short code that counts. A plain QR stand only takes QR scans (an AR
/// check-in needs an AR marker).
pub fn scan_method(
    point_kind: PointKind,
    point_rotating: bool,
    typed_code: bool,
    method: CheckinMethod,
) -> Result<CheckinMethod, Refusal> {
    if typed_code {
        if point_rotating {
            return Err(Refusal::InvalidPayload);
        }
        return Ok(match point_kind {
            PointKind::Qr => CheckinMethod::Qr,
            PointKind::Ar => CheckinMethod::Ar,
        });
    }
    if point_kind == PointKind::Qr && method == CheckinMethod::Ar {
        return Err(Refusal::InvalidPayload);
    }
    Ok(method)
}

#[derive(Debug, Clone, Copy)]
pub struct PointRules {
    pub lat: f64,
    pub lng: f64,
    pub radius_m: i32,
    pub require_location: bool,
    pub rotating: bool,
    pub rotate_seconds: i32,
}

#[derive(Debug, Clone, Copy)]
pub struct CampaignWindow {
    pub published: bool,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy)]
pub struct Scan {
    /// The period of a rotating code, from its verified payload.
    pub counter: Option<i64>,
    pub received_at: NaiveDateTime,
    pub claimed_scan_at: Option<NaiveDateTime>,
    pub location: Option<(f64, f64)>,
}

/// The accepted scan time (the client's, when it can be trusted).
pub fn judge(
    point: &PointRules,
    campaign: &CampaignWindow,
    scan: &Scan,
) -> Result<NaiveDateTime, Refusal> {
    let scanned_at = match scan.claimed_scan_at {
        None => scan.received_at,
        Some(t) if t > scan.received_at + CLOCK_SKEW => return Err(Refusal::InvalidPayload),
        Some(t) if t < scan.received_at - MAX_OFFLINE_UPLOAD => {
            return Err(Refusal::PayloadExpired)
        }
        Some(t) => t.min(scan.received_at),
    };
    if point.rotating {
        let Some(counter) = scan.counter else {
            return Err(Refusal::InvalidPayload);
        };
        // Judged at the time it reaches the server, whatever scan time the phone claims: a
        // photo of the screen shared online stops working after two periods.
        let period = i64::from(point.rotate_seconds);
        check_rotation(counter, period, scan.received_at.and_utc().timestamp()).map_err(
            |e| match e {
                PayloadError::Expired
                    if scan
                        .claimed_scan_at
                        .is_some_and(|t| t < scan.received_at - Duration::seconds(period)) =>
                {
                    Refusal::LateOfflineScan
                }
                PayloadError::Expired => Refusal::PayloadExpired,
                PayloadError::Invalid => Refusal::InvalidPayload,
            },
        )?;
    } else if scan.counter.is_some() {
        return Err(Refusal::InvalidPayload);
    }
    if !campaign.published || scanned_at < campaign.starts_at || scanned_at >= campaign.ends_at {
        return Err(Refusal::CampaignNotActive);
    }
    match scan.location {
        Some((lat, lng)) => {
            if !geo::valid_coordinates(lat, lng) {
                return Err(Refusal::OutsideGeofence);
            }
            if geo::distance_m(lat, lng, point.lat, point.lng) > f64::from(point.radius_m) {
                return Err(Refusal::OutsideGeofence);
            }
        }
        None if point.require_location => return Err(Refusal::LocationRequired),
        None => {}
    }
    Ok(scanned_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2022, 9, 30)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }
    fn point(rotating: bool) -> PointRules {
        PointRules {
            lat: 22.1533,
            lng: 113.5561,
            radius_m: 100,
            require_location: false,
            rotating,
            rotate_seconds: 30,
        }
    }
    fn window() -> CampaignWindow {
        CampaignWindow {
            published: true,
            starts_at: t(0, 0),
            ends_at: t(23, 0),
        }
    }
    fn scan() -> Scan {
        Scan {
            counter: None,
            received_at: t(12, 0),
            claimed_scan_at: None,
            location: None,
        }
    }

    #[test]
    fn plain_scan_is_accepted_at_receive_time() {
        assert_eq!(judge(&point(false), &window(), &scan()), Ok(t(12, 0)));
    }

    #[test]
    fn geofence_uses_real_distance() {
        let near = Scan {
            location: Some((22.1537, 113.5563)),
            ..scan()
        };
        assert!(judge(&point(false), &window(), &near).is_ok());
        let far = Scan {
            location: Some((22.1600, 113.5561)),
            ..scan()
        };
        assert_eq!(
            judge(&point(false), &window(), &far),
            Err(Refusal::OutsideGeofence)
        );
        let strict = PointRules {
            require_location: true,
            ..point(false)
        };
        assert_eq!(
            judge(&strict, &window(), &scan()),
            Err(Refusal::LocationRequired)
        );
    }

    #[test]
    fn campaign_dates_and_status_are_enforced() {
        let closed = CampaignWindow {
            ends_at: t(11, 0),
            ..window()
        };
        assert_eq!(
            judge(&point(false), &closed, &scan()),
            Err(Refusal::CampaignNotActive)
        );
        let draft = CampaignWindow {
            published: false,
            ..window()
        };
        assert_eq!(
            judge(&point(false), &draft, &scan()),
            Err(Refusal::CampaignNotActive)
        );
    }

    #[test]
    fn offline_scans_keep_their_scan_time_within_bounds() {
        let late = Scan {
            claimed_scan_at: Some(t(10, 0)),
            ..scan()
        };
        assert_eq!(judge(&point(false), &window(), &late), Ok(t(10, 0)));
        let too_late = Scan {
            claimed_scan_at: Some(t(5, 59)),
            ..scan()
        };
        assert_eq!(
            judge(&point(false), &window(), &too_late),
            Err(Refusal::PayloadExpired)
        );
        let future = Scan {
            claimed_scan_at: Some(t(12, 10)),
            ..scan()
        };
        assert_eq!(
            judge(&point(false), &window(), &future),
            Err(Refusal::InvalidPayload)
        );
    }

    #[test]
    fn rotating_code_is_judged_against_trusted_scan_time() {
        let now = t(12, 0);
        let c_now = now.and_utc().timestamp() / 30;
        let fresh = Scan {
            counter: Some(c_now - 1),
            ..scan()
        };
        assert!(judge(&point(true), &window(), &fresh).is_ok());
        let stale = Scan {
            counter: Some(c_now - 2),
            ..scan()
        };
        assert_eq!(
            judge(&point(true), &window(), &stale),
            Err(Refusal::PayloadExpired)
        );
        // Scanned offline five minutes ago, while that code was current: judged on arrival,
        // so refused, and told apart from a stale photo.
        let offline = Scan {
            counter: Some(c_now - 10),
            claimed_scan_at: Some(t(11, 55)),
            ..scan()
        };
        assert_eq!(
            judge(&point(true), &window(), &offline),
            Err(Refusal::LateOfflineScan)
        );
        assert_eq!(Refusal::LateOfflineScan.code(), "payload_expired");
        // A code two periods old is refused whatever scan time is claimed.
        for claimed in [None, Some(t(12, 0)), Some(t(11, 59)), Some(t(11, 0))] {
            let old = Scan {
                counter: Some(c_now - 2),
                claimed_scan_at: claimed,
                ..scan()
            };
            assert!(judge(&point(true), &window(), &old).is_err(), "{claimed:?}");
        }
        let static_for_rotating = scan();
        assert_eq!(
            judge(&point(true), &window(), &static_for_rotating),
            Err(Refusal::InvalidPayload)
        );
    }

    #[test]
    fn scan_method_follows_the_point() {
        use CheckinMethod as M;
        use PointKind as K;
        assert_eq!(scan_method(K::Qr, false, false, M::Qr), Ok(M::Qr));
        assert_eq!(scan_method(K::Ar, false, false, M::Qr), Ok(M::Qr));
        assert_eq!(
            scan_method(K::Qr, false, false, M::Ar),
            Err(Refusal::InvalidPayload)
        );
        assert_eq!(scan_method(K::Ar, false, true, M::Qr), Ok(M::Ar));
        assert_eq!(
            scan_method(K::Qr, true, true, M::Qr),
            Err(Refusal::InvalidPayload)
        );
    }

    #[test]
    fn refusals_answer_their_codes() {
        for r in [
            Refusal::InvalidPayload,
            Refusal::PayloadExpired,
            Refusal::LateOfflineScan,
            Refusal::OutsideGeofence,
            Refusal::LocationRequired,
            Refusal::CampaignNotActive,
            Refusal::PointRetired,
            Refusal::AlreadyCheckedIn,
        ] {
            match r.error() {
                AppError::Rule { code, .. } => assert_eq!(code.as_str(), r.code()),
                other => panic!("{other:?}"),
            }
        }
    }
}
