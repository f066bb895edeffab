//! No command prints the client secret or a bearer token, at any log level,
//! on success or on failure — not even when Entra or Graph echoes the request
//! in its error (graph-sim's echo switch).

use crate::common::runtime_api::{Outcome, RuntimeApi};
use crate::common::world::{World, certificate_json};
use crate::common::*;
use entra_archive::lambda::App;
use entra_archive::{Aws, RetryPolicy};
use graph_sim::SimConfig;
use graph_sim::control::Echo;
use serde_json::json;

fn leaks(text: &str, secret: &str) -> Option<&'static str> {
    if text.contains(secret) {
        Some("the client secret")
    } else if text.contains("eyJ") {
        // graph-sim's access tokens are JWTs, which start with "eyJ".
        Some("a bearer token")
    } else {
        None
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_command_prints_the_secret_or_the_token_even_at_trace_level() {
    let h = Harness::start(sim_config(90)).await;
    let secret = h.sim.config().client_secret.clone();
    let now = now_for_end(t("2026-11-20T04:00:00Z"));
    let commands: Vec<Vec<&str>> = vec![
        vec!["-vvv", "run", "--since", FROM, "--now", &now],
        vec!["-vvv", "run", "--json", "--since", FROM, "--now", &now],
        vec!["-vvv", "backfill", "--from", FROM, "--to", "2026-11-20T02:00:00Z", "--now", &now],
        vec!["-vvv", "doctor"],
        vec!["-vvv", "doctor", "--json"],
        vec!["-vvv", "verify"],
        vec!["datasets"],
    ];
    for args in &commands {
        let out = h.command(args).output().await.unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(text.len() > 100, "{args:?} printed something to check:\n{text}");
        if let Some(what) = leaks(&text, &secret) {
            panic!("{args:?} printed {what}:\n{text}");
        }
    }
    // And when Entra rejects the secret (its error echoes nothing of it either).
    let out = h
        .command(&["-vvv", "run", "--since", FROM, "--now", &now])
        .env("ENTRA_CLIENT_SECRET", "wrong-secret-value-123")
        .output()
        .await
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success());
    assert!(!text.contains("wrong-secret-value-123") && !text.contains("eyJ"), "{text}");
}

/// A quick retry policy, so failures that are retried end fast in-process.
fn quick_retry() -> RetryPolicy {
    let ms = std::time::Duration::from_millis;
    RetryPolicy { max_retries: 2, min_delay: ms(10), max_delay: ms(20), max_wait: ms(500) }
}

/// The secret as the token request's form carries it.
fn form_encoded(secret: &str) -> String {
    url::form_urlencoded::byte_serialize(secret.as_bytes()).collect()
}

/// Panics when `text` (what `what` printed or answered) holds a credential:
/// `secrets` verbatim or form-encoded, or anything JWT-shaped (graph-sim's
/// access tokens and the client assertion start with "eyJ").
fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} shows a secret:\n{text}");
        assert!(!text.contains(&form_encoded(secret)), "{what} shows a secret as the form sent it:\n{text}");
    }
    assert!(!text.contains("eyJ"), "{what} shows a token or an assertion:\n{text}");
}

/// Everything a command printed.
async fn printed(cmd: &mut tokio::process::Command) -> String {
    let out = cmd.output().await.unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The commands each echo test runs: `run` (text and JSON, default verbosity
/// and `-v`, bounded so retries end in seconds) and `doctor` (text and JSON).
fn commands(now: &str) -> Vec<Vec<&str>> {
    let run = ["run", "--since", FROM, "--now", now, "--max-duration", "3s", "--deadline-margin", "1s"];
    vec![
        run.to_vec(),
        [&run[..], &["--json"]].concat(),
        [&["-v"], &run[..]].concat(),
        [&["-v"], &run[..], &["--json"]].concat(),
        vec!["doctor"],
        vec!["doctor", "--json"],
    ]
}

/// Issue 14, finding 6: a token endpoint whose 500 body or error_description
/// echoes the request put `client_secret=…` in the `retrying` warnings, in
/// `doctor` text and JSON, and labelled its 500 "Graph failed". Now nothing
/// of the secret shows, and the failure is the token endpoint's.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_endpoint_that_echoes_the_request_shows_nothing_of_it() {
    let h = Harness::start(sim_config(91)).await;
    let secret = h.sim.config().client_secret.clone();
    let now = now_for_end(t("2026-11-20T04:00:00Z"));
    for (echo, label) in
        [(Echo::TokenServerError, "Entra's token endpoint"), (Echo::TokenInvalidRequest, "AADSTS90000")]
    {
        h.sim.set_switches(|s| s.echo_request = Some(echo));
        for args in commands(&now) {
            let text = printed(&mut h.command(&args)).await;
            let what = format!("{echo:?} {args:?}");
            assert_clean(&what, &text, &[&secret]);
            assert!(text.contains("client_secret=***"), "{what}: the echo was read, and masked:\n{text}");
            assert!(text.contains(label) && !text.contains("Graph failed"), "{what}: labelled {label}:\n{text}");
            if echo == Echo::TokenServerError && args[0] == "run" {
                assert!(text.contains("retrying"), "{what}: the 500 was retried, with a warning:\n{text}");
            }
        }
    }
}

/// Issue 14, finding 6: a Graph error body echoing `Authorization` put
/// `Bearer eyJ…` in stderr and `--json`. Now the token shows nowhere.
#[tokio::test(flavor = "multi_thread")]
async fn a_graph_that_echoes_the_bearer_token_shows_nothing_of_it() {
    let h = Harness::start(sim_config(92)).await;
    let secret = h.sim.config().client_secret.clone();
    let now = now_for_end(t("2026-11-20T04:00:00Z"));
    for status in [500, 400] {
        h.sim.set_switches(|s| s.echo_request = Some(Echo::Graph(status)));
        // doctor probes each dataset for up to a minute when Graph keeps
        // failing; the 500 reaches doctor in the Lambda test, retried quickly.
        let commands = commands(&now).into_iter().filter(|args| status == 400 || args.contains(&"run"));
        for args in commands {
            let text = printed(&mut h.command(&args)).await;
            let what = format!("Graph {status} {args:?}");
            assert_clean(&what, &text, &[&secret]);
            assert!(text.contains("echo: Authorization: ***"), "{what}: the echo was read, and masked:\n{text}");
        }
    }
}

/// Issue 14, finding 6: the Lambda handler's responses and errors, for every
/// echo, in-process; and the binary under the Lambda Runtime API, whose
/// JSON logs and EMF metrics lines are read too.
#[tokio::test(flavor = "multi_thread")]
async fn the_lambda_shows_nothing_an_endpoint_echoed() {
    let h = Harness::start(sim_config(93)).await;
    let secret = h.sim.config().client_secret.clone();
    let end = t("2026-11-20T04:00:00Z");
    let echoes = [Echo::TokenServerError, Echo::TokenInvalidRequest, Echo::Graph(500), Echo::Graph(400)];
    for echo in echoes {
        h.sim.set_switches(|s| s.echo_request = Some(echo));
        let app = App::new(h.settings(end, "100000/1s"), Aws::standard(), quick_retry());
        for event in [json!({"action": "run"}), json!({"action": "doctor"})] {
            let answer = match app.handle(event.clone(), None).await {
                Ok(response) => response.to_string(),
                Err(e) => format!("{}: {}", e.kind, e.message),
            };
            let what = format!("{echo:?} {event}");
            assert_clean(&what, &answer, &[&secret]);
            assert!(answer.contains("=***") || answer.contains(": ***"), "{what}: the echo was read:\n{answer}");
            if echo == Echo::TokenServerError {
                assert!(answer.contains("Entra's token endpoint") && !answer.contains("Graph failed"), "{answer}");
            }
        }
    }

    for echo in [Echo::TokenInvalidRequest, Echo::Graph(400)] {
        h.sim.set_switches(|s| s.echo_request = Some(echo));
        let api = RuntimeApi::start(vec![json!({"action": "run"}), json!({"action": "doctor"})]).await;
        let mut child = h
            .command(&[])
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "entra-archive")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("RUST_LOG", "debug")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let outcomes = api.outcomes(2, std::time::Duration::from_secs(60)).await;
        child.start_kill().unwrap();
        let output = child.wait_with_output().await.unwrap();
        let logs = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        let outcomes = outcomes.unwrap_or_else(|e| panic!("{e}\n{logs}"));
        let what = format!("{echo:?} under the Runtime API");
        assert!(logs.contains("RunSucceeded"), "{what}: EMF lines were printed:\n{logs}");
        assert_clean(&what, &format!("{outcomes:?}\n{logs}"), &[&secret]);
        let Outcome::Error { message, .. } = &outcomes[0] else { panic!("{what}: the run failed: {outcomes:?}") };
        assert!(message.contains("***"), "{what}: the echo was read:\n{message}");
    }
}

/// Issue 14, finding 6, with a certificate: the client assertion (a JWT)
/// and the private key show nowhere when the token endpoint echoes the
/// request, in the Lambda's answers or the CLI's output.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_assertion_echoed_by_the_token_endpoint_shows_nowhere() {
    let cert = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs/app.cert.pem"));
    let key = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs/app.key.pem"));
    let key = key.unwrap();
    let key_line = key.lines().nth(1).unwrap().to_string();
    let sim = SimConfig { client_certificate_pem: Some(cert.unwrap()), ..sim_config(94) };
    let world = World::start(sim, certificate_json).await;
    let end = t("2026-11-20T04:00:00Z");
    for (echo, label) in
        [(Echo::TokenServerError, "Entra's token endpoint"), (Echo::TokenInvalidRequest, "AADSTS90000")]
    {
        world.sim.set_switches(|s| s.echo_request = Some(echo));
        let app = App::new(world.settings(end), Aws::given(world.aws.clone()), quick_retry());
        for event in [json!({"action": "run"}), json!({"action": "doctor"})] {
            let answer = match app.handle(event.clone(), None).await {
                Ok(response) => response.to_string(),
                Err(e) => format!("{}: {}", e.kind, e.message),
            };
            let what = format!("{echo:?} {event}");
            assert_clean(&what, &answer, &[&key_line]);
            assert!(answer.contains("client_assertion=***"), "{what}: the echo was read, and masked:\n{answer}");
            assert!(answer.contains(label) && !answer.contains("Graph failed"), "{what}: labelled {label}:\n{answer}");
        }
        let now = now_for_end(end);
        for args in [commands(&now)[1].clone(), vec!["doctor", "--json"]] {
            let text = printed(world.binary().args(&args)).await;
            let what = format!("{echo:?} {args:?}");
            assert_clean(&what, &text, &[&key_line]);
            assert!(text.contains("client_assertion=***"), "{what}: the echo was read, and masked:\n{text}");
        }
    }
}
