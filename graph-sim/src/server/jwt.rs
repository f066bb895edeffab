//! Access tokens shaped like the ones Entra issues for client credentials.
//!
//! A token is `base64url(header).base64url(claims).base64url(signature)` with
//! the v1 app-only claims Graph tokens carry (`aud`, `iss`, `tid`, `appid`,
//! `roles`, …). The signature is random bytes: nothing verifies it, the
//! server recognises its own tokens by lookup. Tokens are never logged.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use crate::generate::guid;

/// What goes into one token.
#[derive(Debug)]
pub struct TokenSpec<'a> {
    pub audience: &'a str,
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    /// How the client authenticated: `"1"` secret, `"2"` certificate.
    pub appidacr: &'static str,
    pub roles: Vec<&'static str>,
    /// Seconds since the Unix epoch.
    pub issued_at: i64,
    pub lifetime_secs: u64,
}

#[derive(Serialize)]
struct Header {
    typ: &'static str,
    alg: &'static str,
    x5t: &'static str,
    kid: &'static str,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    app_displayname: &'a str,
    appid: &'a str,
    appidacr: &'a str,
    idp: String,
    idtyp: &'a str,
    oid: String,
    roles: &'a [&'static str],
    sub: String,
    tid: &'a str,
    uti: String,
    ver: &'a str,
}

/// Mints a token; entropy comes from `rng`.
pub fn mint(spec: &TokenSpec<'_>, rng: &mut ChaCha20Rng) -> String {
    let header = Header { typ: "JWT", alg: "RS256", x5t: "graph-sim", kid: "graph-sim" };
    let issuer = format!("https://sts.windows.net/{}/", spec.tenant_id);
    let oid = guid(rng);
    let uti: [u8; 16] = rng.random();
    let claims = Claims {
        aud: spec.audience,
        iss: issuer.clone(),
        iat: spec.issued_at,
        nbf: spec.issued_at,
        exp: spec.issued_at.saturating_add(i64::try_from(spec.lifetime_secs).unwrap_or(i64::MAX)),
        app_displayname: "graph-sim client",
        appid: spec.client_id,
        appidacr: spec.appidacr,
        idp: issuer,
        idtyp: "app",
        oid: oid.clone(),
        roles: &spec.roles,
        sub: oid,
        tid: spec.tenant_id,
        uti: URL_SAFE_NO_PAD.encode(uti),
        ver: "1.0",
    };
    let mut signature = [0u8; 256];
    rng.fill(&mut signature[..]);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).expect("header serializes")),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims serialize")),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn token_is_three_base64url_parts_with_the_claims() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let t = mint(
            &TokenSpec {
                audience: "https://graph.microsoft.com",
                tenant_id: "tid",
                client_id: "cid",
                appidacr: "1",
                roles: vec!["AuditLog.Read.All", "Directory.Read.All"],
                issued_at: 1_800_000_000,
                lifetime_secs: 3599,
            },
            &mut rng,
        );
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "https://sts.windows.net/tid/");
        assert_eq!(claims["tid"], "tid");
        assert_eq!(claims["appid"], "cid");
        assert_eq!(claims["aud"], "https://graph.microsoft.com");
        assert_eq!(claims["exp"], 1_800_003_599);
        assert_eq!(claims["nbf"], claims["iat"]);
        assert_eq!(claims["roles"], serde_json::json!(["AuditLog.Read.All", "Directory.Read.All"]));
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["typ"], "JWT");
    }
}
