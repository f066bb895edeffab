//! No command prints the client secret or a bearer token, at any log level,
//! on success or on failure.

use crate::common::*;

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
