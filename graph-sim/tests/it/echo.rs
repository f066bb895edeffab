//! The echo switch over HTTP: the token endpoint and Graph answer errors
//! that carry the request back (the client secret, the client assertion,
//! the bearer token), for clients to prove they never print them.

use crate::common::*;
use graph_sim::control::Echo;
use reqwest::StatusCode;

const PAGE: &str = "/v1.0/auditLogs/signIns?$top=20";

#[tokio::test]
async fn the_token_endpoint_echoes_the_form() {
    let sim = start().await;
    let form = token_form(&sim);
    let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish();

    sim.set_switches(|s| s.echo_request = Some(Echo::TokenServerError));
    let r = client().post(token_url(&sim)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.text().await.unwrap(), encoded, "the body is the form, verbatim");

    sim.set_switches(|s| s.echo_request = Some(Echo::TokenInvalidRequest));
    let (status, body) = post_token(&sim, &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!((body["error"].as_str(), body["error_codes"][0].as_u64()), (Some("invalid_request"), Some(90000)));
    let description = body["error_description"].as_str().unwrap();
    assert!(description.starts_with(&format!("AADSTS90000: echo: {encoded}\r\n")), "{description}");
    assert!(encoded.contains("client_secret=sim%7ESecret.Value_"), "{encoded}");

    sim.set_switches(|s| s.echo_request = None);
    assert_eq!(post_token(&sim, &form).await.0, StatusCode::OK);
    assert_eq!(sim.stats().tokens_issued, 1, "echoed requests issue no token");
}

#[tokio::test]
async fn graph_echoes_the_bearer_token_without_consuming_faults() {
    let sim = start().await;
    sim.set_switches(|s| s.echo_request = Some(Echo::Graph(500)));
    let tok = token(&sim).await;
    sim.push_fault(graph_sim::Fault::GatewayTimeout);
    let r = get(&sim, PAGE, Some(&tok)).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.error_code(), "InternalServerError");
    assert_eq!(r.error_message(), format!("echo: Authorization: Bearer {tok}"));
    assert!(tok.starts_with("eyJ"));

    sim.set_switches(|s| s.echo_request = Some(Echo::Graph(400)));
    let r = get(&sim, PAGE, Some(&tok)).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "BadRequest".to_owned()));
    assert!(r.error_message().contains(&tok));
    // Authentication still comes first.
    assert_eq!(get(&sim, PAGE, None).await.status, StatusCode::UNAUTHORIZED);

    sim.set_switches(|s| s.echo_request = None);
    assert_eq!(get(&sim, PAGE, Some(&tok)).await.status, StatusCode::GATEWAY_TIMEOUT, "the fault waited");
    assert_eq!(get(&sim, PAGE, Some(&tok)).await.status, StatusCode::OK);
}
