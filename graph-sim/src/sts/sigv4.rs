//! The request's AWS Signature Version 4 `Authorization` header, checked as
//! far as a stand-in without the secret key can: its shape, and that its
//! credential scope names the configured access key, region and `sts`.
//!
//! Takes the header value and the configured access key id and region;
//! answers `Ok(())` or the STS error for it (AWS common errors,
//! <https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html>):
//! none → 403 `MissingAuthenticationToken`; malformed → 400
//! `IncompleteSignature`; another access key → 403 `InvalidClientTokenId`;
//! another region or service → 403 `SignatureDoesNotMatch`. The signature
//! itself is not verified (moto does not either), and the header is never
//! echoed.

use axum::http::StatusCode;

use super::xml::StsError;

/// The one algorithm SigV4 names.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The parts of a SigV4 `Authorization` header this stand-in checks.
#[derive(Debug, PartialEq, Eq)]
struct Scope<'a> {
    access_key_id: &'a str,
    region: &'a str,
    service: &'a str,
}

/// Checks the `Authorization` header of an STS request.
pub fn check(header: Option<&str>, access_key_id: &str, region: &str) -> Result<(), StsError> {
    let Some(header) = header else {
        return Err(StsError::sender(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationToken",
            "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.",
        ));
    };
    let scope = parse(header).ok_or_else(|| {
        StsError::sender(
            StatusCode::BAD_REQUEST,
            "IncompleteSignature",
            "The request signature does not conform to AWS standards: the Authorization header must be \
             'AWS4-HMAC-SHA256 Credential=<access key>/<yyyymmdd>/<region>/sts/aws4_request, \
             SignedHeaders=<headers>, Signature=<64 hex digits>'.",
        )
    })?;
    if scope.access_key_id != access_key_id {
        return Err(StsError::sender(
            StatusCode::FORBIDDEN,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ));
    }
    if scope.region != region {
        return Err(StsError::sender(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            format!("Credential should be scoped to a valid region, not '{}'.", scope.region),
        ));
    }
    if scope.service != "sts" {
        return Err(StsError::sender(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "Credential should be scoped to correct service: 'sts'.",
        ));
    }
    Ok(())
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=<hex>`; `None` if malformed.
fn parse(header: &str) -> Option<Scope<'_>> {
    let (algorithm, rest) = header.trim().split_once(' ')?;
    if algorithm != ALGORITHM {
        return None;
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let signature = signature?;
    if signed_headers?.is_empty() || signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut scope = credential?.split('/');
    let (Some(access_key_id), Some(date), Some(region), Some(service), Some("aws4_request"), None) =
        (scope.next(), scope.next(), scope.next(), scope.next(), scope.next(), scope.next())
    else {
        return None;
    };
    let valid = !access_key_id.is_empty() && date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
    valid.then_some(Scope { access_key_id, region, service })
}

/// A well-formed header for `access_key_id` in `region` (for tests of the
/// protocol; the signature is made up).
pub fn sample_header(access_key_id: &str, region: &str) -> String {
    format!(
        "{ALGORITHM} Credential={access_key_id}/20261124/{region}/sts/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, Signature={}",
        "0123456789abcdef".repeat(4)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<(), StsError>) -> (u16, &'static str) {
        let e = r.unwrap_err();
        (e.status.as_u16(), e.code)
    }

    #[test]
    fn well_formed_headers_for_the_account_pass() {
        assert_eq!(check(Some(&sample_header("testing", "us-east-1")), "testing", "us-east-1"), Ok(()));
        let sdk = "AWS4-HMAC-SHA256 Credential=testing/20261124/us-east-1/sts/aws4_request, \
                   SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-user-agent, \
                   Signature=3c1f0b8e4a9d2f7c6b5a4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b";
        assert_eq!(check(Some(sdk), "testing", "us-east-1"), Ok(()));
    }

    #[test]
    fn each_failure_is_the_sts_error_for_it() {
        assert_eq!(code(check(None, "testing", "us-east-1")), (403, "MissingAuthenticationToken"));
        let other_key = sample_header("AKIAOTHER", "us-east-1");
        assert_eq!(code(check(Some(&other_key), "testing", "us-east-1")), (403, "InvalidClientTokenId"));
        let e = check(Some(&sample_header("testing", "eu-west-1")), "testing", "us-east-1").unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("SignatureDoesNotMatch", "Credential should be scoped to a valid region, not 'eu-west-1'.")
        );
        let s3 = sample_header("testing", "us-east-1").replace("/sts/", "/s3/");
        assert_eq!(code(check(Some(&s3), "testing", "us-east-1")), (403, "SignatureDoesNotMatch"));
        for bad in [
            "Bearer x",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=testing/20261124/us-east-1/sts/aws4_request",
            &sample_header("testing", "us-east-1").replace("Signature=0123", "Signature=xyz3"),
            &sample_header("testing", "us-east-1").replace("20261124", "2026-11"),
            &sample_header("testing", "us-east-1").replace("aws4_request", "aws5_request"),
            &sample_header("", "us-east-1"),
        ] {
            assert_eq!(code(check(Some(bad), "testing", "us-east-1")), (400, "IncompleteSignature"), "{bad}");
        }
    }

    #[test]
    fn errors_never_echo_the_header() {
        let header = sample_header("AKIASECRETLOOKING", "us-east-1");
        let e = check(Some(&header), "testing", "us-east-1").unwrap_err();
        assert!(!e.message.contains("AKIASECRETLOOKING") && !e.message.contains("0123456789abcdef"));
    }
}
