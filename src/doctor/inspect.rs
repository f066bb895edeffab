//! Pure readers the doctor needs: the `roles` claim of an access token, a
//! certificate's `notAfter`, and what a clock difference means. They take
//! bytes and times in and hand back plain values; they never return or
//! print the token or a key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use super::report::Outcome;

/// The application permissions (`roles`) in a JWT access token's payload,
/// read without checking its signature; `None` if it is not a readable JWT.
pub(super) fn token_roles(token: &str) -> Option<Vec<String>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let roles = match claims.get("roles") {
        None | Some(serde_json::Value::Null) => return Some(Vec::new()),
        Some(roles) => roles.as_array()?,
    };
    Some(roles.iter().filter_map(|r| r.as_str().map(str::to_string)).collect())
}

/// One DER element: (tag, content, what follows).
fn der_item(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize), &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The `notAfter` of an X.509 certificate in DER.
pub(super) fn not_after(der: &[u8]) -> Option<DateTime<Utc>> {
    let (_, certificate, _) = der_item(der)?;
    let (_, tbs, _) = der_item(certificate)?;
    let (tag, _, after_first) = der_item(tbs)?;
    // An explicit version ([0]) comes before the serial number when present.
    let serial_and_on = if tag == 0xa0 { after_first } else { tbs };
    let (_, _, rest) = der_item(serial_and_on)?; // serialNumber
    let (_, _, rest) = der_item(rest)?; // signature algorithm
    let (_, _, rest) = der_item(rest)?; // issuer
    let (_, validity, _) = der_item(rest)?;
    let (_, _, rest) = der_item(validity)?; // notBefore
    let (tag, time, _) = der_item(rest)?;
    let text = std::str::from_utf8(time).ok()?.trim_end_matches('Z');
    let full = match tag {
        0x17 => {
            // UTCTime: YY ≥ 50 is 19YY (RFC 5280 §4.1.2.5.1).
            let year: u32 = text.get(..2)?.parse().ok()?;
            format!("{}{text}", if year >= 50 { "19" } else { "20" })
        }
        0x18 => text.to_string(),
        _ => return None,
    };
    NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S").ok().map(|t| t.and_utc())
}

/// Beyond this the clock is worth a warning.
pub(super) const SKEW_WARN: TimeDelta = TimeDelta::seconds(60);
/// Beyond this client assertions (valid a few minutes) are refused.
pub(super) const SKEW_FAIL: TimeDelta = TimeDelta::minutes(5);

/// How far apart the local clock and the server's are, and what it means.
pub(super) fn skew_outcome(local: DateTime<Utc>, server: DateTime<Utc>) -> (Outcome, TimeDelta) {
    let skew = local - server;
    let size = skew.abs();
    let outcome = if size > SKEW_FAIL {
        Outcome::Fail
    } else if size > SKEW_WARN {
        Outcome::Warn
    } else {
        Outcome::Ok
    };
    (outcome, skew)
}

/// Days left before a certificate expires, and what it means: fail when
/// expired, warn under 30 days.
pub(super) fn expiry_outcome(now: DateTime<Utc>, not_after: DateTime<Utc>) -> (Outcome, i64) {
    let days = (not_after - now).num_days();
    let outcome = if not_after <= now {
        Outcome::Fail
    } else if days < 30 {
        Outcome::Warn
    } else {
        Outcome::Ok
    };
    (outcome, days)
}

/// A duration for people: `3d 4h`, `2h 10m`, `12m`, `40s`.
pub(super) fn human(d: TimeDelta) -> String {
    let s = d.num_seconds().abs();
    let sign = if d < TimeDelta::zero() { "-" } else { "" };
    match s {
        s if s >= 86_400 => format!("{sign}{}d {}h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{sign}{}h {}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{sign}{}m", s / 60),
        s => format!("{sign}{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn fixture_not_after(name: &str) -> DateTime<Utc> {
        let path = format!("{}/tests/fixtures/certs/{name}", env!("CARGO_MANIFEST_DIR"));
        let der = CertificateDer::from_pem_file(path).unwrap();
        not_after(der.as_ref()).unwrap()
    }

    #[test]
    fn reads_not_after_of_the_fixture_certificates() {
        // `openssl x509 -noout -enddate` on the fixtures.
        assert_eq!(fixture_not_after("app.cert.pem"), t("2045-01-01T00:00:00Z"));
        assert_eq!(fixture_not_after("expired.cert.pem"), t("2024-06-30T00:00:00Z"));
        assert_eq!(not_after(b"\x30\x03\x02\x01"), None);
    }

    #[test]
    fn roles_come_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"aud":"x","roles":["AuditLog.Read.All","Directory.Read.All"]}"#);
        let token = format!("eyJhbGciOiJub25lIn0.{payload}.c2ln");
        assert_eq!(token_roles(&token).unwrap(), ["AuditLog.Read.All", "Directory.Read.All"]);
        let none = format!("h.{}.s", URL_SAFE_NO_PAD.encode(br#"{"aud":"x"}"#));
        assert_eq!(token_roles(&none).unwrap(), Vec::<String>::new());
        assert_eq!(token_roles("opaque-token"), None);
    }

    #[test]
    fn skew_and_expiry_thresholds() {
        let now = t("2026-11-24T12:00:00Z");
        assert_eq!(skew_outcome(now, now + TimeDelta::seconds(30)).0, Outcome::Ok);
        assert_eq!(skew_outcome(now, now - TimeDelta::seconds(90)).0, Outcome::Warn);
        assert_eq!(skew_outcome(now, now + TimeDelta::minutes(6)).0, Outcome::Fail);
        assert_eq!(expiry_outcome(now, now + TimeDelta::days(90)), (Outcome::Ok, 90));
        assert_eq!(expiry_outcome(now, now + TimeDelta::days(10)).0, Outcome::Warn);
        assert_eq!(expiry_outcome(now, now - TimeDelta::days(1)).0, Outcome::Fail);
        assert_eq!(human(TimeDelta::minutes(130)), "2h 10m");
        assert_eq!(human(TimeDelta::hours(50)), "2d 2h");
    }
}
