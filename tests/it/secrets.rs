//! The client secret never appears in anything the program prints or writes,
//! even at the most verbose log level, and even when Entra rejects it.

use crate::common::*;

const CANARY: &str = "Canary~Secret.Value_5f3a9c0e7b1d";
const WRONG: &str = "Wrong~Secret.Value_0d9e8f7a6b5c";

#[tokio::test(flavor = "multi_thread")]
async fn the_secret_never_reaches_output_or_files() {
    let h = Harness::start(graph_sim::SimConfig { client_secret: CANARY.into(), ..sim_config(20) }).await;
    let end = t("2026-11-20T04:00:00Z");
    let mut outputs = Vec::new();
    for (secret, code) in [(CANARY, 0), (WRONG, 1)] {
        for verbosity in ["-vv", "-q"] {
            let run =
                h.run_with_env(end, &[verbosity], &[("ENTRA_CLIENT_SECRET", secret), ("RUST_LOG", "trace")]).await;
            run.assert_code(code);
            outputs.push(run.stdout.clone());
            outputs.push(run.stderr.clone());
        }
        let run: Run = h
            .command(&["run", "--since", FROM, "--now", "2026-11-20T05:00:00Z"])
            .env("ENTRA_CLIENT_SECRET", secret)
            .output()
            .await
            .unwrap()
            .into();
        outputs.push(run.stdout);
        outputs.push(run.stderr);
    }
    assert!(outputs.iter().any(|o| o.contains("AADSTS7000215")), "the wrong-secret runs did fail on the secret");
    assert!(outputs.iter().map(String::len).sum::<usize>() > 10_000, "trace logging produced output to search");
    for secret in [CANARY, WRONG] {
        for (i, text) in outputs.iter().enumerate() {
            assert!(!text.contains(secret), "output {i} contains the secret");
        }
        for path in walk(h.dir.path()) {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} contains the secret",
                path.display()
            );
        }
    }
}
