//! `doctor`'s checks of a federated credential (`aws-federation`,
//! `token-file`): that an assertion can be had (STS issues one; the token
//! file holds one), what it says — issuer, subject, audience, expiry; never
//! the token — and that its issuer publishes the key that signed it, as
//! Entra will look for it. Whether Entra accepts it is the `token` check
//! that follows, whose refusals name the fix (`error::federated_advice`).

use chrono::Utc;

use super::{Check, Outcome};
use crate::compose::Services;
use crate::federation::{self, ENABLE_COMMAND, Federation, STS_ORIGIN, TOKEN_FILE_VAR};

/// Pushes the `credentials` and `issuer` checks; true when an assertion was
/// had (the token check can follow).
pub(super) async fn check(checks: &mut Vec<Check>, services: &Services, source: &Federation, who: &str) -> bool {
    let assertion = match services.assertions.fetch(source).await {
        Ok(assertion) => assertion,
        Err(e) => {
            let fix = match source {
                Federation::Aws => format!(
                    "see the message. Outbound identity federation must be enabled once per AWS account (`{ENABLE_COMMAND}`), and the role needs sts:GetWebIdentityToken for audience {}",
                    services.assertions.audience()
                ),
                Federation::TokenFile(_) => {
                    format!("the platform must write the workload's OIDC token to {TOKEN_FILE_VAR}")
                }
            };
            checks.push(Check::new("credentials", Outcome::Fail, e.to_string(), fix));
            checks.push(Check::skip("issuer", "a federated token"));
            return false;
        }
    };
    let origin = match source {
        Federation::Aws => STS_ORIGIN.to_string(),
        Federation::TokenFile(path) => format!("token file {}", path.display()),
    };
    let Some(claims) = federation::peek(assertion.expose()) else {
        checks.push(Check::new(
            "credentials",
            Outcome::Fail,
            format!("{origin} gave something that is not a JWT (not shown)"),
            "Entra accepts only a signed JWT as a federated assertion",
        ));
        checks.push(Check::skip("issuer", "a readable federated token"));
        return false;
    };
    // A real token's life is measured by the wall clock, whatever --now says.
    let wall = Utc::now();
    let expiry = match claims.expires {
        Some(exp) => format!("expires {} ({} s from now)", exp.to_rfc3339(), (exp - wall).num_seconds()),
        None => "no expiry".to_string(),
    };
    let evidence = format!(
        "{} for {who}: {origin} issued a token (not shown): iss {}, sub {}, aud {}, {expiry}",
        source.name(),
        claims.issuer,
        claims.subject,
        claims.audience
    );
    let expired = claims.expires.is_some_and(|exp| exp <= wall);
    checks.push(match expired {
        true => Check::new(
            "credentials",
            Outcome::Fail,
            evidence,
            "the token has already expired: check this host's clock (NTP), or the platform that refreshes the token file",
        ),
        false => Check::new(
            "credentials",
            Outcome::Ok,
            evidence,
            format!(
                "the app's federated credential must name this issuer and subject (infra/entra/register-app.sh --federation --issuer {} --subject {})",
                claims.issuer, claims.subject
            ),
        ),
    });
    checks.push(match federation::issuer_keys(&services.http, &claims).await {
        Ok(found) => Check::ok("issuer", format!("{}: {found}", claims.issuer)),
        Err(problem) => Check::new(
            "issuer",
            Outcome::Fail,
            problem,
            "Entra fetches the issuer's OpenID discovery document and JWKS to check the token: they must be reachable over HTTPS from the internet",
        ),
    });
    true
}
