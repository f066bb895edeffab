//! The token endpoint over HTTP: success, and each AADSTS error a client can
//! provoke, with the exact error/code pairing and no secret in any response.

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;

fn with(form: &[(&'static str, String)], key: &'static str, value: Option<&str>) -> Vec<(&'static str, String)> {
    let mut out: Vec<_> = form.iter().filter(|(k, _)| *k != key).cloned().collect();
    if let Some(v) = value {
        out.push((key, v.to_owned()));
    }
    out
}

fn claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn expect_error(
    sim: &graph_sim::GraphSim,
    form: &[(&'static str, String)],
    status: StatusCode,
    error: &str,
    code: u64,
) -> serde_json::Value {
    let (got, body) = post_token(sim, form).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], serde_json::json!([code]), "{body}");
    let desc = body["error_description"].as_str().unwrap();
    assert!(desc.starts_with(&format!("AADSTS{code}: ")), "{desc}");
    assert!(desc.contains("\r\nTrace ID: "), "{desc}");
    assert!(desc.contains("\r\nCorrelation ID: "), "{desc}");
    assert!(desc.contains(&format!("\r\nTimestamp: {}", body["timestamp"].as_str().unwrap())));
    assert_eq!(body["error_uri"], format!("https://login.microsoftonline.com/error?code={code}"));
    assert!(!body.to_string().contains(&sim.config().client_secret));
    body
}

#[tokio::test]
async fn issues_a_jwt_shaped_token() {
    let sim = start().await;
    let (status, body) = post_token(&sim, &token_form(&sim)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    let c = claims(body["access_token"].as_str().unwrap());
    let tenant = &sim.config().tenant_id;
    assert_eq!(c["iss"], format!("https://sts.windows.net/{tenant}/"));
    assert_eq!(c["tid"], tenant.as_str());
    assert_eq!(c["appid"], sim.config().client_id.as_str());
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(
        c["roles"],
        serde_json::json!(["AuditLog.Read.All", "Directory.Read.All", "IdentityRiskEvent.Read.All"])
    );
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3599);
    assert_eq!(c["nbf"], c["iat"]);

    // The sim's own URL is an accepted resource too.
    let form = with(&token_form(&sim), "scope", Some(&format!("{}/.default", sim.url())));
    let (status, body) = post_token(&sim, &form).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(claims(body["access_token"].as_str().unwrap())["aud"], sim.url());

    // Token requests are logged by path only.
    let log = sim.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path_and_query, format!("/{tenant}/oauth2/v2.0/token"));
    assert_eq!(log[0].status, 200);
}

#[tokio::test]
async fn each_aadsts_error() {
    let sim = start().await;
    let good = token_form(&sim);

    let (status, body) = {
        let url = format!("{}/00000000-0000-0000-0000-00000000dead/oauth2/v2.0/token", sim.url());
        let resp = client().post(url).form(&good).send().await.unwrap();
        (resp.status(), resp.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_codes"][0], 90002);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS90002: Tenant '00000000-0000-0000-0000-00000000dead' not found.")
    );

    expect_error(&sim, &with(&good, "grant_type", None), StatusCode::BAD_REQUEST, "unsupported_grant_type", 70003)
        .await;
    expect_error(
        &sim,
        &with(&good, "grant_type", Some("password")),
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        70003,
    )
    .await;

    let body = expect_error(
        &sim,
        &with(&good, "client_id", Some("99999999-9999-4999-8999-999999999999")),
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
    )
    .await;
    let desc = body["error_description"].as_str().unwrap();
    assert!(
        desc.contains(
            "Application with identifier '99999999-9999-4999-8999-999999999999' was not found in the directory"
        )
    );

    expect_error(&sim, &with(&good, "client_secret", None), StatusCode::UNAUTHORIZED, "invalid_client", 7000218).await;

    let assertion = with(&good, "client_secret", None);
    let assertion = with(&assertion, "client_assertion", Some("eyJhbGciOiJQUzI1NiJ9.e30.c2ln"));
    let assertion =
        with(&assertion, "client_assertion_type", Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
    expect_error(&sim, &assertion, StatusCode::UNAUTHORIZED, "invalid_client", 700027).await;

    let body = expect_error(
        &sim,
        &with(&good, "client_secret", Some("not-the-secret")),
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000215,
    )
    .await;
    assert!(!body.to_string().contains("not-the-secret"));

    expect_error(
        &sim,
        &with(&good, "scope", Some("https://graph.microsoft.com/")),
        StatusCode::BAD_REQUEST,
        "invalid_scope",
        70011,
    )
    .await;
    expect_error(
        &sim,
        &with(&good, "scope", Some("https://graph.microsoft.com/AuditLog.Read.All")),
        StatusCode::BAD_REQUEST,
        "invalid_scope",
        70011,
    )
    .await;
    expect_error(&sim, &with(&good, "scope", None), StatusCode::BAD_REQUEST, "invalid_scope", 70011).await;

    sim.set_switches(|s| s.secret_expired = true);
    let body = expect_error(&sim, &good, StatusCode::UNAUTHORIZED, "invalid_client", 7000222).await;
    assert!(body["error_description"].as_str().unwrap().contains("are expired"));
    // Expiry is checked before the secret is compared.
    expect_error(
        &sim,
        &with(&good, "client_secret", Some("wrong")),
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000222,
    )
    .await;
    sim.set_switches(|s| s.secret_expired = false);
    assert_eq!(post_token(&sim, &good).await.0, StatusCode::OK);

    // Nothing logged carries a secret.
    for r in sim.requests() {
        assert!(!r.path_and_query.contains("secret"), "{r:?}");
    }
}

#[tokio::test]
async fn correlation_id_follows_client_request_id() {
    let sim = start().await;
    let cid = "0f0e0d0c-0b0a-4908-8706-050403020100";
    let resp = client()
        .post(token_url(&sim))
        .header("client-request-id", cid)
        .form(&with(&token_form(&sim), "client_secret", Some("bad")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["client-request-id"], cid);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["correlation_id"], cid);
}

#[tokio::test]
async fn missing_permission_drops_the_role() {
    let sim = start().await;
    sim.set_switches(|s| s.missing_permission = true);
    let c = claims(&token(&sim).await);
    assert_eq!(c["roles"], serde_json::json!(["Directory.Read.All", "IdentityRiskEvent.Read.All"]));
}

#[tokio::test]
async fn roles_are_the_granted_permissions_at_issue_time() {
    let sim = start().await;
    let before = token(&sim).await;
    sim.set_switches(|s| {
        s.revoked_permissions = vec!["IdentityRiskEvent.Read.All".into(), "directory.read.all".into()]
    });
    let after = token(&sim).await;
    assert_eq!(claims(&after)["roles"], serde_json::json!(["AuditLog.Read.All"]));
    assert_eq!(sim.granted_permissions(), ["AuditLog.Read.All"]);
    // A token keeps the roles it was issued with.
    assert_eq!(claims(&before)["roles"].as_array().unwrap().len(), 3);
    sim.set_switches(|s| {
        s.revoked_permissions.clear();
        s.missing_permission = true;
        s.revoked_permissions.push("IdentityRiskEvent.Read.All".into());
    });
    assert_eq!(claims(&token(&sim).await)["roles"], serde_json::json!(["Directory.Read.All"]));
}

#[tokio::test]
async fn rotated_secret_replaces_the_old_one() {
    let sim = start().await;
    let old_token = token(&sim).await;
    let old_form = token_form(&sim);

    sim.set_client_secret("rotated~Secret.Value_9876543210zyxwvuZYXWVU");
    let body = expect_error(&sim, &old_form, StatusCode::UNAUTHORIZED, "invalid_client", 7000215).await;
    assert!(!body.to_string().contains("rotated~Secret"));

    let new_form = with(&old_form, "client_secret", Some("rotated~Secret.Value_9876543210zyxwvuZYXWVU"));
    let (status, body) = post_token(&sim, &new_form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["appidacr"], "1");

    // A token issued before the rotation keeps working until it expires.
    let page = get(&sim, "/v1.0/auditLogs/signIns?$top=1", Some(&old_token)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
}
