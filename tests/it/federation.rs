//! Secretless sign-in (issue 18): the app signs in with a federated
//! assertion — AWS STS `GetWebIdentityToken` about this process's own AWS
//! identity, or a token file a platform keeps fresh — and no secret exists
//! anywhere. graph-sim's token endpoint checks the assertion as Entra does
//! (the issuer's discovery document and JWKS fetched over HTTP, signature,
//! `exp`/`nbf`, issuer/subject/audience against the app's federated
//! credentials); graph-sim's STS stand-in speaks the STS Query protocol the
//! AWS SDK sends and signs RS256. S3 is moto.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use graph_sim::sts::{StsConfig, StsSim};
use graph_sim::{FederatedCredential, GraphSim, SimConfig};
use serde_json::Value;

use crate::common::moto::{self, Moto};
use crate::common::runtime_api::{Outcome, RuntimeApi};
use crate::common::world::download_prefix;
use crate::common::*;

const END: &str = "2026-11-20T12:00:00Z";
const AUDIENCE: &str = "api://AzureADTokenExchange";
const BUCKET: &str = "entra-archive-federated";

/// The federated credential an admin adds for the STS stand-in's role.
fn credential_for(sts: &StsSim, subject: &str) -> FederatedCredential {
    FederatedCredential {
        name: "entra-archive-aws".into(),
        issuer: sts.issuer(),
        subject: subject.into(),
        audiences: vec![AUDIENCE.into()],
    }
}

/// An STS stand-in that accepts moto's dummy keys.
async fn sts() -> StsSim {
    StsSim::start(StsConfig {
        access_key_id: moto::ACCESS_KEY.into(),
        region: moto::REGION.into(),
        ..StsConfig::default()
    })
    .await
    .expect("STS stand-in starts")
}

fn role(sts: &StsSim) -> String {
    sts.config().role_arn.clone()
}

/// A tenant whose token endpoint issues short-lived tokens and whose Graph
/// answers slowly in small pages: a run of several seconds that needs
/// several tokens.
fn slow_tenant(seed: u64, fics: Vec<FederatedCredential>) -> SimConfig {
    SimConfig { federated_credentials: fics, token_lifetime: Duration::from_secs(2), ..sim_config(seed) }
}

async fn start_slow(config: SimConfig) -> GraphSim {
    let sim = GraphSim::start(config).await.expect("graph-sim starts");
    sim.set_switches(|s| {
        s.max_page_size = Some(100);
        s.page_delay = Duration::from_millis(200);
    });
    sim
}

/// The binary with the app's IDs as plain settings and no secret: AWS
/// settings for the STS stand-in only.
fn federated_binary(sim: &GraphSim, sts: &StsSim, dest: &str) -> tokio::process::Command {
    let mut cmd = binary(sim, dest);
    cmd.env("ENTRA_CREDENTIAL", "aws-federation")
        .env("ENTRA_TENANT_ID", &sim.config().tenant_id)
        .env("ENTRA_CLIENT_ID", &sim.config().client_id)
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_KEY)
        .env("AWS_REGION", moto::REGION);
    cmd
}

/// `run` with [`federated_binary`] into `archive`, the window ending at [`END`].
async fn federated_run(sim: &GraphSim, sts: &StsSim, archive: &Path) -> Run {
    let dest = archive.display().to_string();
    federated_binary(sim, sts, &dest).args(run_args(t(END))).output().await.unwrap().into()
}

fn run_args(end: DateTime<Utc>) -> Vec<String> {
    ["run", "--json", "--since", FROM, "--now", &now_for_end(end), "--lag", "10m"].map(String::from).to_vec()
}

/// No issued federated token (nor any part of its signature) is in `text`.
fn assert_no_token(sts: &StsSim, what: &str, haystack: &[u8]) {
    for jwt in sts.issued() {
        let signature = jwt.rsplit('.').next().unwrap();
        let found = haystack.windows(signature.len()).any(|w| w == signature.as_bytes());
        assert!(!found, "{what} holds a federated token");
    }
}

fn assert_nothing_written(archive: &Path) {
    let files = if archive.exists() { walk(archive) } else { Vec::new() };
    let written: Vec<_> =
        files.iter().filter(|p| p.extension().is_some_and(|e| e == "parquet" || e == "json")).collect();
    assert!(written.is_empty(), "a refused sign-in wrote {written:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_federation_cli_run_is_exact_refreshes_tokens_and_holds_no_secret() {
    let sts = sts().await;
    let sim = start_slow(slow_tenant(181, vec![credential_for(&sts, &role(&sts))])).await;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let end = t(END);

    let run: Run = federated_run(&sim, &sts, &archive).await;
    run.assert_code(0);
    assert_archive_exact(&sim, &archive, end);

    // Tokens live 2 s and the run takes longer: each new token needed a
    // new STS token, every one requested as Entra documents it.
    let stats = sim.stats();
    assert!(stats.tokens_issued >= 2, "tokens were not refreshed across the run: {stats:?}");
    assert_eq!(stats.federated_tokens_issued, stats.tokens_issued, "every token came from a federated assertion");
    let requests = sts.stats().requests;
    assert_eq!(requests.len() as u64, stats.federated_token_requests, "one STS token per token request");
    for request in &requests {
        assert_eq!(request.audiences, vec![AUDIENCE.to_string()]);
        assert_eq!(request.signing_algorithm.as_deref(), Some("RS256"));
        assert_eq!(request.duration_seconds, Some(300));
    }

    // No secret anywhere: none was given, and no token reached a file or the output.
    assert_no_token(&sts, "stdout", run.stdout.as_bytes());
    assert_no_token(&sts, "stderr", run.stderr.as_bytes());
    for file in walk(&archive) {
        assert_no_token(&sts, &file.display().to_string(), &std::fs::read(&file).unwrap());
    }
    assert!(!run.stderr.contains("eyJ") && !run.stdout.contains("eyJ"), "a JWT in the output");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deployed_function_signs_in_with_its_role_and_never_calls_secrets_manager() {
    let sts = sts().await;
    let sim = start_slow(slow_tenant(182, vec![credential_for(&sts, &role(&sts))])).await;
    let moto = Moto::start().await;
    moto.create_bucket(BUCKET).await;
    let events = ["eventbridge-scheduler.json", "doctor.json"]
        .iter()
        .map(|name| {
            let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        })
        .collect();
    let api = RuntimeApi::start(events).await;
    // The bootstrap binary with the settings infra/template.yaml gives it
    // for Credential=federation, S3 at moto and STS at the stand-in. A
    // deployed function archives up to now: all of graph-sim's records.
    let mut function = binary(&sim, &format!("s3://{BUCKET}/tenants/contoso"));
    function
        .envs(crate::infra::federated_sign_in_env(&sim.config().tenant_id, &sim.config().client_id))
        .env("ENTRA_LOGIN_URL", sim.url()) // the template's is Entra's own
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "entra-archive")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_KEY)
        .env("AWS_REGION", moto::REGION)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = function.spawn().unwrap();
    let outcomes = api.outcomes(2, Duration::from_secs(120)).await;
    let output = {
        let mut child = child;
        child.start_kill().unwrap();
        child.wait_with_output().await.unwrap()
    };
    let logs = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let outcomes = outcomes.unwrap_or_else(|e| panic!("{e}\n{logs}"));
    let Outcome::Response(summary) = &outcomes[0] else { panic!("the scheduled run failed: {outcomes:?}\n{logs}") };
    assert_eq!(summary["complete"], true, "{summary}");
    let Outcome::Response(doctor) = &outcomes[1] else { panic!("doctor failed: {outcomes:?}\n{logs}") };
    for check in ["credentials", "issuer", "token"] {
        let found = doctor["checks"].as_array().unwrap().iter().find(|c| c["check"] == check);
        assert_eq!(found.map(|c| c["result"].clone()), Some(Value::from("ok")), "{check}: {doctor:#}");
    }
    assert_no_token(&sts, "the function's responses and logs", format!("{summary}{doctor}{logs}").as_bytes());

    let dir = tempfile::tempdir().unwrap();
    download_prefix(&moto.sdk_config().await, BUCKET, "tenants/contoso", dir.path()).await;
    for file in walk(dir.path()) {
        assert_no_token(&sts, &file.display().to_string(), &std::fs::read(&file).unwrap());
    }
    assert_archive_exact(&sim, dir.path(), Utc::now());
    assert!(sim.stats().tokens_issued >= 2, "tokens refreshed: {:?}", sim.stats());
    // Secrets Manager speaks JSON over `POST /`; S3 never does. moto logs
    // one line per request: not one went to Secrets Manager.
    let log = moto.log();
    assert!(log.contains("PUT /entra-archive-federated/"), "moto logged the S3 calls:\n{log}");
    assert!(!log.contains("\"POST / HTTP"), "a non-S3 AWS call reached moto:\n{log}");
}

/// A run whose sign-in Entra refuses: exit 1, the code and its fix on
/// stderr, nothing written.
async fn refused(sim: &GraphSim, sts: &StsSim, code: &str, fix: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let run: Run = federated_run(sim, sts, &archive).await;
    assert_ne!(run.code, Some(0), "{code}: the run succeeded\n{}", run.stderr);
    let text = format!("{}\n{}", run.stdout, run.stderr);
    assert!(text.contains(code), "{code} not named:\n{text}");
    for needle in fix {
        assert!(text.contains(needle), "{code}: the fix lacks {needle:?}:\n{text}");
    }
    assert_no_token(sts, "the output", text.as_bytes());
    assert_nothing_written(&archive);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_mismatch_names_its_fix_and_writes_nothing() {
    let sts = sts().await;
    let role = role(&sts);
    let sim = GraphSim::start(sim_config(183)).await.expect("graph-sim starts");
    let register = format!("register-app.sh --federation --issuer {} --subject {role}", sts.issuer());

    // The app trusts another account's issuer.
    let other_issuer =
        FederatedCredential { issuer: "https://other.tokens.sts.global.api.aws".into(), ..credential_for(&sts, &role) };
    sim.set_federated_credentials(vec![other_issuer]);
    refused(&sim, &sts, "AADSTS700211", &[&format!("issuer {}", sts.issuer()), &register]).await;

    // The app trusts another role (a stack created again has a new role).
    sim.set_federated_credentials(vec![credential_for(&sts, "arn:aws:iam::123456789012:role/old-function")]);
    refused(&sim, &sts, "AADSTS700213", &[&format!("subject {role}"), &register]).await;

    // The credential lists another audience.
    sim.set_federated_credentials(vec![FederatedCredential {
        audiences: vec!["api://other".into()],
        ..credential_for(&sts, &role)
    }]);
    refused(&sim, &sts, "AADSTS700212", &[&format!("audience {AUDIENCE}"), "ENTRA_FEDERATION_AUDIENCE"]).await;

    // The token is already expired when Entra sees it (a skewed clock).
    sim.set_federated_credentials(vec![credential_for(&sts, &role)]);
    sts.set_switches(|s| s.expired = true);
    refused(&sim, &sts, "AADSTS700024", &["clock"]).await;
    sts.set_switches(|s| s.expired = false);

    // Outbound federation was never enabled in the account: STS refuses.
    sts.set_switches(|s| s.federation_disabled = true);
    refused(
        &sim,
        &sts,
        "OutboundWebIdentityFederationDisabledException",
        &["aws iam enable-outbound-web-identity-federation"],
    )
    .await;
    sts.set_switches(|s| s.federation_disabled = false);

    // The role may not call GetWebIdentityToken.
    sts.set_switches(|s| s.access_denied = true);
    refused(&sim, &sts, "AccessDenied", &["sts:GetWebIdentityToken"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_still_propagating_is_waited_for() {
    let sts = sts().await;
    let sim = GraphSim::start(sim_config(184)).await.expect("graph-sim starts");
    // Created just now: Entra answers AADSTS70021 for 3 s, then accepts it.
    sim.add_federated_credential(credential_for(&sts, &role(&sts)), Duration::from_secs(3));
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let run: Run = federated_run(&sim, &sts, &archive).await;
    run.assert_code(0);
    assert!(run.stderr.contains("AADSTS70021"), "the wait is told:\n{}", run.stderr);
    assert_archive_exact(&sim, &archive, t(END));
    let stats = sim.stats();
    assert!(stats.federated_token_requests > stats.federated_tokens_issued, "refused first: {stats:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn token_file_is_read_at_each_request_and_follows_rotation() {
    // A Kubernetes service account's token, as the Azure workload identity
    // webhook projects it; it lives 4 s, the run longer: only a file read
    // anew at each token request keeps working.
    let issuer = std::sync::Arc::new(sts().await);
    let subject = "system:serviceaccount:archive:entra-archive";
    let sim = start_slow(slow_tenant(185, vec![credential_for(&issuer, subject)])).await;
    // Pages slow enough that the run outlives the first token several times.
    sim.set_switches(|s| s.page_delay = Duration::from_millis(800));
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let token_file = dir.path().join("azure-identity-token");
    std::fs::write(&token_file, issuer.mint(subject, AUDIENCE, Duration::from_secs(4))).unwrap();

    let mut cmd = binary(&sim, &archive.display().to_string());
    cmd.env("ENTRA_CREDENTIAL", "token-file")
        .env("AZURE_TENANT_ID", &sim.config().tenant_id)
        .env("AZURE_CLIENT_ID", &sim.config().client_id)
        .env("AZURE_FEDERATED_TOKEN_FILE", &token_file)
        .args(run_args(t(END)));
    let child = tokio::spawn(async move { cmd.output().await.unwrap() });
    // The platform rotates the file every second, as kubelet does before expiry.
    let rotating = {
        let (issuer, token_file) = (issuer.clone(), token_file.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let staged = token_file.with_extension("new");
                std::fs::write(&staged, issuer.mint(subject, AUDIENCE, Duration::from_secs(4))).unwrap();
                std::fs::rename(&staged, &token_file).unwrap();
            }
        })
    };
    let run: Run = child.await.unwrap().into();
    rotating.abort();
    run.assert_code(0);
    assert_archive_exact(&sim, &archive, t(END));
    let stats = sim.stats();
    assert!(stats.federated_tokens_issued >= 3, "tokens across the rotations: {stats:?}");

    // A file that is missing names the setting and the fix, writes nothing.
    let gone = tempfile::tempdir().unwrap();
    let run: Run = binary(&sim, &gone.path().join("archive").display().to_string())
        .env("ENTRA_CREDENTIAL", "token-file")
        .env("ENTRA_TENANT_ID", &sim.config().tenant_id)
        .env("ENTRA_CLIENT_ID", &sim.config().client_id)
        .env("AZURE_FEDERATED_TOKEN_FILE", gone.path().join("nothing-here"))
        .args(run_args(t(END)))
        .output()
        .await
        .unwrap()
        .into();
    assert_ne!(run.code, Some(0));
    assert!(
        run.stderr.contains("AZURE_FEDERATED_TOKEN_FILE") && run.stderr.contains("cannot be read"),
        "{}",
        run.stderr
    );
    assert_nothing_written(&gone.path().join("archive"));
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_shows_the_tokens_claims_never_the_token_and_each_fix() {
    let sts = sts().await;
    let role = role(&sts);
    let sim = GraphSim::start(sim_config(186)).await.expect("graph-sim starts");
    sim.set_federated_credentials(vec![credential_for(&sts, &role)]);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("archive").display().to_string();
    let doctor = |sim: &GraphSim| {
        let mut cmd = federated_binary(sim, &sts, &dest);
        cmd.args(["doctor", "--json"]);
        cmd
    };
    let check = |report: &Value, name: &str| -> Value {
        report["checks"].as_array().unwrap().iter().find(|c| c["check"] == name).cloned().unwrap_or(Value::Null)
    };

    let run: Run = doctor(&sim).output().await.unwrap().into();
    let report = run.json();
    let credentials = check(&report, "credentials");
    assert_eq!(credentials["result"], "ok", "{report:#}");
    let evidence = credentials["evidence"].as_str().unwrap();
    for needle in [format!("iss {}", sts.issuer()), format!("sub {role}"), format!("aud {AUDIENCE}"), "expires".into()]
    {
        assert!(evidence.contains(&needle), "{needle}: {evidence}");
    }
    assert_eq!(check(&report, "issuer")["result"], "ok", "{report:#}");
    assert_eq!(check(&report, "token")["result"], "ok", "{report:#}");
    assert_no_token(&sts, "doctor's report", run.stdout.as_bytes());

    // Entra knows another subject: the token check names the fix.
    sim.set_federated_credentials(vec![credential_for(&sts, "arn:aws:iam::123456789012:role/old-function")]);
    let report = Run::from(doctor(&sim).output().await.unwrap()).json();
    let token = check(&report, "token");
    assert_eq!(token["result"], "fail", "{report:#}");
    assert!(token.to_string().contains("AADSTS700213") && token.to_string().contains("--federation"), "{token}");

    // Outbound federation not enabled: the credentials check says how.
    sts.set_switches(|s| s.federation_disabled = true);
    let report = Run::from(doctor(&sim).output().await.unwrap()).json();
    let credentials = check(&report, "credentials");
    assert_eq!(credentials["result"], "fail", "{report:#}");
    assert!(credentials.to_string().contains("aws iam enable-outbound-web-identity-federation"), "{credentials}");
    assert_eq!(check(&report, "token")["result"], "skip", "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_session_ending_soon_gets_the_shortest_token() {
    let sts = sts().await;
    let sim = GraphSim::start(sim_config(187)).await.expect("graph-sim starts");
    sim.set_federated_credentials(vec![credential_for(&sts, &role(&sts))]);
    // A long-lived Lambda environment whose role session ends in 2 minutes:
    // STS refuses a 5-minute token, and a 1-minute one is asked for.
    sts.set_switches(|s| s.session_seconds_left = Some(120));
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let run: Run = federated_run(&sim, &sts, &archive).await;
    run.assert_code(0);
    assert_archive_exact(&sim, &archive, t(END));
    let asked: Vec<Option<i64>> = sts.stats().requests.iter().map(|r| r.duration_seconds).collect();
    assert_eq!(asked[..2], [Some(300), Some(60)], "{asked:?}");

    // Ending within the minute: no token can be had; the fix is a new session.
    sts.set_switches(|s| s.session_seconds_left = Some(30));
    refused(&sim, &sts, "SessionDurationEscalationException", &["renew the session"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_holding_federation_aws_signs_in_with_sts() {
    // For those who keep every setting in Secrets Manager: the secret names
    // the app and says "federation": "aws"; it holds nothing secret.
    let sts = sts().await;
    let config = SimConfig { federated_credentials: vec![credential_for(&sts, &role(&sts))], ..sim_config(188) };
    let world = crate::common::world::World::start(config, |c| {
        serde_json::json!({"tenant_id": c.tenant_id, "client_id": c.client_id, "federation": "aws"}).to_string()
    })
    .await;
    let run: Run =
        world.binary().env("AWS_ENDPOINT_URL_STS", sts.url()).args(run_args(t(END))).output().await.unwrap().into();
    run.assert_code(0);
    let dir = tempfile::tempdir().unwrap();
    world.download(dir.path()).await;
    assert_archive_exact(&world.sim, dir.path(), t(END));
    let stats = world.sim.stats();
    assert!(stats.tokens_issued >= 1 && stats.federated_tokens_issued == stats.tokens_issued, "{stats:?}");
}
