//! What a federated assertion says about itself, read without checking it.
//!
//! Takes a JWT's text and hands back its `iss`, `sub`, `aud`, `exp` and
//! header `kid`, decoded from the payload and header without verifying the
//! signature: for `doctor` to show who the token says we are (never the token
//! itself), for the fixes in Entra's refusals to name the issuer and subject
//! to register, and to find the signing key in the issuer's JWKS. Entra does
//! the verifying.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use serde_json::Value;

pub(crate) use crate::error::AssertionClaims;

/// Reads the claims of `jwt` (`header.payload.signature`); `None` when it is
/// not a JWT with a JSON payload.
pub(crate) fn peek(jwt: &str) -> Option<AssertionClaims> {
    let mut parts = jwt.trim().split('.');
    let (header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let decode = |part: &str| -> Option<Value> { serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok() };
    let header = decode(header)?;
    let claims = decode(payload)?;
    let text = |v: &Value| v.as_str().map(str::to_string);
    let audience = match &claims["aud"] {
        Value::String(one) => one.clone(),
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    };
    Some(AssertionClaims {
        issuer: text(&claims["iss"]).unwrap_or_default(),
        subject: text(&claims["sub"]).unwrap_or_default(),
        audience,
        expires: claims["exp"].as_i64().and_then(|s| DateTime::from_timestamp(s, 0)),
        key_id: text(&header["kid"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: Value, claims: Value) -> String {
        let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", part(header), part(claims))
    }

    #[test]
    fn reads_issuer_subject_audience_expiry_and_key() {
        let token = jwt(
            serde_json::json!({"alg": "RS256", "kid": "k1"}),
            serde_json::json!({"iss": "https://abc.tokens.sts.global.api.aws", "sub": "arn:aws:iam::1:role/r",
                "aud": "api://AzureADTokenExchange", "exp": 1_800_000_000}),
        );
        let c = peek(&token).unwrap();
        assert_eq!(c.issuer, "https://abc.tokens.sts.global.api.aws");
        assert_eq!(c.subject, "arn:aws:iam::1:role/r");
        assert_eq!(c.audience, "api://AzureADTokenExchange");
        assert_eq!(c.expires.unwrap().timestamp(), 1_800_000_000);
        assert_eq!(c.key_id.as_deref(), Some("k1"));
    }

    #[test]
    fn audience_lists_are_joined_and_garbage_is_none() {
        let token = jwt(serde_json::json!({}), serde_json::json!({"aud": ["a", "b"]}));
        assert_eq!(peek(&token).unwrap().audience, "a, b");
        for bad in ["", "abc", "a.b", "a.b.c.d", "eyJ.eyJ.x"] {
            assert!(peek(bad).is_none(), "{bad}");
        }
    }
}
