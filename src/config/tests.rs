use super::*;
use crate::destination::Sse;

const TENANT: &str = "6F1C2D3E-4A5B-4C6D-8E7F-90A1B2C3D4E5";
const CLIENT: &str = "0a1b2c3d-1111-4222-8333-444455556666";

fn settings() -> Settings {
    Settings {
        tenant_id: Some(TENANT.into()),
        client_id: Some(CLIENT.into()),
        client_secret: Some(Secret::new("s3cr3t-value\n")),
        ..Settings::defaults()
    }
}

fn error_of(settings: Settings) -> String {
    Config::from_settings(settings).unwrap_err().to_string()
}

#[test]
fn defaults_validate_into_typed_values() {
    let c = Config::from_settings(settings()).unwrap();
    let CredentialConfig::Static(creds) = &c.credentials else { panic!("static credentials") };
    assert_eq!(creds.tenant_id, TENANT.to_lowercase());
    assert!(matches!(&creds.credential, Credential::Secret(s) if s.expose() == "s3cr3t-value"));
    assert_eq!(c.graph_url.as_str(), "https://graph.microsoft.com/");
    assert_eq!(c.login_url.as_str(), "https://login.microsoftonline.com/");
    assert_eq!((c.lag, c.overlap), (Duration::minutes(10), Duration::hours(1)));
    assert_eq!(c.graph_budget, Budget::AUDIT_LOGS);
    assert_eq!(c.deadline_margin, std::time::Duration::from_secs(60));
    assert_eq!(c.file_limits, Limits::default());
    assert_eq!((c.now, c.max_duration), (None, None));
    assert_eq!(c.datasets.len(), crate::datasets::ALL.len(), "every dataset by default");
    assert_eq!(c.dest, Location::Local("./archive".into()));
    assert!(!format!("{c:?}").contains("s3cr3t"));
    let c =
        Config::from_settings(Settings { datasets: "directory_audits, ALL ,signins".into(), ..settings() }).unwrap();
    assert_eq!(c.datasets[0].name, "directory_audits", "order as named, each once");
    assert_eq!(c.datasets.len(), crate::datasets::ALL.len());
}

#[test]
fn defaults_ignore_the_environment() {
    // Every field with an environment variable is at the default clap
    // documents in --help, whatever the process environment holds.
    let command = Settings::augment_args(Command::new("entra-archive"));
    let d = Settings::defaults();
    let documented = |id: &str| {
        let arg = command.get_arguments().find(|a| a.get_id() == id).unwrap();
        arg.get_default_values().first().map(|v| v.to_string_lossy().into_owned())
    };
    assert_eq!(documented("dest").as_deref(), Some(d.dest.as_str()));
    assert_eq!(documented("lag").as_deref(), Some(d.lag.as_str()));
    assert_eq!(documented("datasets").as_deref(), Some("all"));
    assert_eq!((d.tenant_id, d.secret_id, d.client_secret), (None, None, None));
}

#[test]
fn errors_name_the_flag_and_the_variable_clap_declares() {
    assert_eq!(label("tenant_id"), "--tenant-id / ENTRA_TENANT_ID");
    assert_eq!(label("max_duration"), "--max-duration");
    assert_eq!(
        label("identity_protection_budget"),
        "--identity-protection-budget / ARCHIVE_IDENTITY_PROTECTION_BUDGET"
    );
    assert_eq!(label(CLIENT_SECRET_VAR), CLIENT_SECRET_VAR);
}

#[test]
fn every_error_names_its_setting() {
    let cases: Vec<(Settings, &str)> = vec![
        (Settings { tenant_id: None, ..settings() }, "--tenant-id / ENTRA_TENANT_ID"),
        (Settings { tenant_id: Some("contoso.onmicrosoft.com".into()), ..settings() }, "ENTRA_TENANT_ID"),
        (Settings { client_id: Some("1234".into()), ..settings() }, "--client-id / ENTRA_CLIENT_ID"),
        (Settings { datasets: "signins,bogus".into(), ..settings() }, "--datasets / ARCHIVE_DATASETS"),
        (Settings { datasets: " , ".into(), ..settings() }, "ARCHIVE_DATASETS"),
        (Settings { graph_url: "http://graph.example.com".into(), ..settings() }, "--graph-url / GRAPH_BASE_URL"),
        (Settings { login_url: "not a url".into(), ..settings() }, "--login-url / ENTRA_LOGIN_URL"),
        (Settings { now: Some("yesterday".into()), ..settings() }, "--now"),
        (Settings { since: Some("yesterday".into()), ..settings() }, "--since"),
        (Settings { lag: "ten minutes".into(), ..settings() }, "--lag / ARCHIVE_LAG"),
        (Settings { overlap: "90d".into(), ..settings() }, "--overlap / ARCHIVE_OVERLAP"),
        (Settings { dest: "s3://Bucket/prefix".into(), ..settings() }, "--dest / ARCHIVE_DEST"),
        (Settings { dest: "./a".into(), kms_key_id: Some("k".into()), ..settings() }, "ARCHIVE_KMS_KEY_ID"),
        (Settings { graph_budget: "5".into(), ..settings() }, "--graph-budget / ARCHIVE_GRAPH_BUDGET"),
        (Settings { identity_protection_budget: "0/1s".into(), ..settings() }, "ARCHIVE_IDENTITY_PROTECTION_BUDGET"),
        (Settings { deadline_margin: "1d".into(), ..settings() }, "--deadline-margin / ARCHIVE_DEADLINE_MARGIN"),
        (Settings { max_duration: Some("forever".into()), ..settings() }, "--max-duration"),
        (Settings { file_size: "12 parsecs".into(), ..settings() }, "--file-size / ARCHIVE_FILE_SIZE"),
        (
            Settings { secret_id: Some("arn:aws:secretsmanager:x".into()), ..settings() },
            "--secret-id / ENTRA_SECRET_ID",
        ),
    ];
    for (settings, name) in cases {
        let e = error_of(settings);
        assert!(e.contains(name), "{name}: {e}");
    }
    let e = error_of(Settings { client_secret: None, ..settings() });
    assert!(e.contains("ENTRA_CLIENT_SECRET") && e.contains("never taken as a flag"), "{e}");
}

#[test]
fn secrets_manager_settings_need_nothing_else() {
    let s = Settings {
        secret_id: Some("arn:aws:secretsmanager:us-east-1:1:secret:entra".into()),
        dest: "s3://archive-bucket/entra/".into(),
        kms_key_id: Some("alias/entra-archive".into()),
        datasets: "directory_audits".into(),
        ..Settings::defaults()
    };
    let c = Config::from_settings(s).unwrap();
    assert!(
        matches!(c.credentials, CredentialConfig::SecretsManager { ref secret_id } if secret_id.ends_with(":entra"))
    );
    assert_eq!(
        c.dest,
        Location::S3 {
            bucket: "archive-bucket".into(),
            prefix: "entra".into(),
            sse: Sse::Kms { key_id: "alias/entra-archive".into() }
        }
    );
    assert_eq!(c.datasets.len(), 1);
}

#[test]
fn loopback_http_is_allowed_for_test_servers() {
    let c = Config::from_settings(Settings {
        graph_url: "http://127.0.0.1:8400".into(),
        login_url: "http://localhost:8400/".into(),
        ..settings()
    })
    .unwrap();
    assert_eq!(c.graph_url.as_str(), "http://127.0.0.1:8400/");
    assert_eq!(c.login_url.as_str(), "http://localhost:8400/");
}

#[test]
fn duplicate_datasets_are_kept_once_in_the_given_order() {
    let c =
        Config::from_settings(Settings { datasets: "directory_audits, signins,directory_audits".into(), ..settings() })
            .unwrap();
    assert_eq!(c.datasets.iter().map(|d| d.name).collect::<Vec<_>>(), ["directory_audits", "signins"]);
}
