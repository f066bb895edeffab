//! The account's OIDC issuer: its RSA signing key, the web identity tokens
//! it signs, and the two documents a verifier fetches (OpenID Connect
//! discovery and the JSON Web Key Set).
//!
//! Takes the account's settings and the claims of one token; hands on the
//! signed JWT and the documents. The token carries what AWS's "Understanding
//! token claims" page
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_outbound_token_claims.html>)
//! shows: `iss`, `sub` (the role ARN), `aud` (a string for one audience,
//! an array for several), `iat`, `exp`, `jti`, and under
//! `https://sts.amazonaws.com/` the account (`aws_account`), the region the
//! token was requested in (`source_region`), the caller (`principal_id`, as
//! the STS API reference describes it), for a Lambda function its ARN
//! (`lambda_source_function_arn`) and any request tags (`request_tags`). It
//! also carries `nbf` (= `iat`), which AWS's sample does not show, so
//! verifiers' `nbf` checks can be exercised. The private key never leaves
//! this module, and `Debug` shows only the key id.

use std::collections::BTreeMap;
use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Value, json};

/// The key id in every token's header and in the key set. AWS's RSA key
/// ids are not documented; this follows the `EC384_0` seen on its ES384
/// tokens.
pub const KID: &str = "RSA_0";
/// Where discovery lives under the issuer.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Where the key set lives under the issuer, as AWS documents for outbound
/// identity federation.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The issuer's signing key.
pub struct Issuer {
    url: String,
    key: RsaKeyPair,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer").field("url", &self.url).field("kid", &KID).finish_non_exhaustive()
    }
}

/// The claims of one token.
#[derive(Debug)]
pub struct TokenClaims<'a> {
    pub subject: &'a str,
    pub audiences: &'a [String],
    /// `iat` and `nbf`, seconds since the epoch.
    pub issued_at: i64,
    pub lifetime_secs: i64,
    pub jti: String,
    pub account_id: &'a str,
    pub region: &'a str,
    pub principal_arn: &'a str,
    pub function_arn: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Audience<'a> {
    One(&'a str),
    Many(&'a [String]),
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: Audience<'a>,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: &'a str,
    #[serde(rename = "https://sts.amazonaws.com/")]
    aws: AwsClaims<'a>,
}

#[derive(Serialize)]
struct AwsClaims<'a> {
    aws_account: &'a str,
    source_region: &'a str,
    principal_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lambda_source_function_arn: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    request_tags: &'a BTreeMap<String, String>,
}

impl Issuer {
    /// A fresh RSA 2048 key for the issuer at `url`.
    pub fn generate(url: String) -> std::io::Result<Issuer> {
        let key = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| std::io::Error::other("cannot generate the issuer's RSA key"))?;
        Ok(Issuer { url, key })
    }

    /// The issuer URL, the tokens' `iss`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A signed token with `claims`.
    pub fn token(&self, c: &TokenClaims<'_>) -> String {
        let aud = match c.audiences {
            [one] => Audience::One(one),
            many => Audience::Many(many),
        };
        let claims = Claims {
            iss: &self.url,
            sub: c.subject,
            aud,
            iat: c.issued_at,
            nbf: c.issued_at,
            exp: c.issued_at.saturating_add(c.lifetime_secs),
            jti: &c.jti,
            aws: AwsClaims {
                aws_account: c.account_id,
                source_region: c.region,
                principal_id: c.principal_arn,
                lambda_source_function_arn: c.function_arn,
                request_tags: c.tags,
            },
        };
        self.sign(&serde_json::to_value(&claims).expect("claims serialize"))
    }

    /// A token whose payload is exactly `claims`, signed RS256 with the
    /// issuer's key.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": KID});
        let signed =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signed.as_bytes(), &mut signature)
            .expect("RSA signing with a generated key succeeds");
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The OpenID Connect discovery document.
    pub fn discovery(&self) -> Value {
        json!({
            "issuer": self.url,
            "jwks_uri": format!("{}{JWKS_PATH}", self.url),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })
    }

    /// The key set: the issuer's one RSA key.
    pub fn jwks(&self) -> Value {
        let public = self.key.public_key();
        json!({"keys": [{
            "kty": "RSA",
            "kid": KID,
            "use": "sig",
            "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        }]})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};

    /// The namespace of AWS's own claims.
    const AWS_CLAIMS: &str = "https://sts.amazonaws.com/";

    fn part(token: &str, i: usize) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap()).unwrap()
    }

    #[test]
    fn tokens_carry_awss_claims_and_verify_with_the_published_key() {
        let issuer = Issuer::generate("http://127.0.0.1:1/issuer".into()).unwrap();
        let tags = BTreeMap::new();
        let one = ["api://AzureADTokenExchange".to_owned()];
        let claims = TokenClaims {
            subject: "arn:aws:iam::123456789012:role/r",
            audiences: &one,
            issued_at: 1_800_000_000,
            lifetime_secs: 300,
            jti: "j".into(),
            account_id: "123456789012",
            region: "us-east-1",
            principal_arn: "arn:aws:iam::123456789012:role/r",
            function_arn: Some("arn:aws:lambda:us-east-1:123456789012:function:f"),
            tags: &tags,
        };
        let token = issuer.token(&claims);
        assert_eq!(part(&token, 0), json!({"alg": "RS256", "typ": "JWT", "kid": KID}));
        let c = part(&token, 1);
        assert_eq!(c["iss"], "http://127.0.0.1:1/issuer");
        assert_eq!(c["aud"], "api://AzureADTokenExchange", "one audience is a string");
        assert_eq!(
            (c["iat"].as_i64(), c["nbf"].as_i64(), c["exp"].as_i64()),
            (Some(1_800_000_000), Some(1_800_000_000), Some(1_800_000_300))
        );
        assert_eq!(c[AWS_CLAIMS]["aws_account"], "123456789012");
        assert_eq!(c[AWS_CLAIMS]["source_region"], "us-east-1");
        assert_eq!(c[AWS_CLAIMS]["principal_id"], "arn:aws:iam::123456789012:role/r");
        assert_eq!(c[AWS_CLAIMS]["lambda_source_function_arn"], "arn:aws:lambda:us-east-1:123456789012:function:f");
        assert!(c[AWS_CLAIMS].get("request_tags").is_none());

        let two = ["a".to_owned(), "b".to_owned()];
        let c = part(&issuer.token(&TokenClaims { audiences: &two, function_arn: None, ..claims }), 1);
        assert_eq!(c["aud"], json!(["a", "b"]), "several audiences are an array");
        assert!(c[AWS_CLAIMS].get("lambda_source_function_arn").is_none());

        let jwk = &issuer.jwks()["keys"][0];
        assert_eq!(
            (jwk["kty"].as_str(), jwk["kid"].as_str(), jwk["use"].as_str(), jwk["alg"].as_str()),
            (Some("RSA"), Some(KID), Some("sig"), Some("RS256"))
        );
        let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
        assert_eq!(n.len(), 256, "RSA 2048");
        let (signed, sig) = token.rsplit_once('.').unwrap();
        RsaPublicKeyComponents { n: &n, e: &e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
            .unwrap();
        let d = issuer.discovery();
        assert_eq!(d["jwks_uri"], "http://127.0.0.1:1/issuer/.well-known/jwks.json");
        assert_eq!(d["issuer"], "http://127.0.0.1:1/issuer");
    }
}
