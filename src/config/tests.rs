use super::*;
use crate::destination::Sse;
use crate::federation::Federation;
use crate::testing::t;

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

/// The clock in the tests below: now, unless `--now` says otherwise.
const CLOCK: &str = "2026-11-24T10:00:00Z";

/// `Ok` or the error's text, measured from [`CLOCK`].
fn check_at(settings: Settings) -> std::result::Result<Config, String> {
    Config::from_settings_at(settings, t(CLOCK)).map_err(|e| e.to_string())
}

fn since(since: &str) -> Settings {
    Settings { since: Some(since.into()), ..settings() }
}

/// Asserts `outcome` is `Ok` when `needles` is empty, else an error holding each needle.
fn assert_outcome<T>(case: &str, outcome: std::result::Result<T, String>, needles: &[&str]) {
    match (outcome, needles) {
        (Ok(_), []) => {}
        (Ok(_), _) => panic!("{case}: accepted, expected an error with {needles:?}"),
        (Err(e), []) => panic!("{case}: refused: {e}"),
        (Err(e), _) => assert!(needles.iter().all(|n| e.contains(n)), "{case}: {e} lacks one of {needles:?}"),
    }
}

#[test]
fn times_lie_between_2000_and_a_day_from_now_within_what_graph_keeps() {
    let retention = ["--since", "30 days", "7 days on free tenants", "return nothing", "backfill"];
    let cases: Vec<(&str, Settings, Vec<&str>)> = vec![
        (
            "issue 14 finding 11: a --since centuries back is refused, not a panic after the lease",
            since("1600-01-01T00:00:00Z"),
            vec!["--since", "before 2000-01-01T00:00:00Z"],
        ),
        ("issue 14 finding 11: year 1 is refused", since("0001-01-01T00:00:00Z"), vec!["--since", "2000"]),
        (
            "issue 14 finding 11: a --since in the future archives nothing, so it is refused",
            since("2026-11-30T00:00:00Z"),
            vec!["--since", "in the future"],
        ),
        (
            "issue 14 finding 11: a --since after now − lag is refused",
            since("2026-11-24T09:55:00Z"),
            vec!["--since", "not before now − lag (2026-11-24T09:50:00Z)"],
        ),
        ("issue 14 finding 11: just before now − lag is fine", since("2026-11-24T09:49:59Z"), vec![]),
        (
            "issue 14 finding 11: a --since decades back would cost a million requests",
            since("2000-01-01T00:00:00Z"),
            [&retention[..], &["--allow-beyond-retention / ARCHIVE_ALLOW_BEYOND_RETENTION"]].concat(),
        ),
        ("issue 14 finding 11: 31 days back is beyond retention", since("2026-10-24T10:00:00Z"), retention.to_vec()),
        ("issue 14 finding 11: exactly 30 days back is kept", since("2026-10-25T10:00:00Z"), vec![]),
        (
            "issue 14 finding 11: --allow-beyond-retention lets an old --since through",
            Settings { allow_beyond_retention: true, ..since("2001-01-01T00:00:00Z") },
            vec![],
        ),
        (
            "issue 14 finding 11: --allow-beyond-retention does not allow year 1600",
            Settings { allow_beyond_retention: true, ..since("1600-01-01T00:00:00Z") },
            vec!["--since", "2000"],
        ),
        (
            "issue 14 finding 11: --now far in the future is refused",
            Settings { now: Some("2100-01-01T00:00:00Z".into()), ..settings() },
            vec!["--now", "in the future"],
        ),
        (
            "issue 14 finding 11: --now before 2000 is refused",
            Settings { now: Some("1999-12-31T23:59:59Z".into()), ..settings() },
            vec!["--now", "2000"],
        ),
        (
            "issue 14 finding 11: --now within a day of the clock is fine",
            Settings { now: Some("2026-11-25T09:00:00Z".into()), ..settings() },
            vec![],
        ),
        (
            "issue 14 finding 11: --since is measured from --now, not the clock",
            Settings { now: Some("2026-11-21T00:10:00Z".into()), ..since("2026-11-22T00:00:00Z") },
            vec!["--since", "not before now − lag (2026-11-21T00:00:00Z)"],
        ),
        (
            "issue 14 finding 11: a replay with --now keeps its own 30 days",
            Settings { now: Some("2026-11-21T00:10:00Z".into()), ..since("2026-11-20T00:00:00Z") },
            vec![],
        ),
    ];
    for (case, settings, needles) in cases {
        assert_outcome(case, check_at(settings), &needles);
    }
}

#[test]
fn backfill_ranges_lie_within_what_graph_keeps() {
    let with =
        |extra: Settings, from: &str, to: &str| backfill_range(&extra, from, to, t(CLOCK)).map_err(|e| e.to_string());
    let allowed = Settings { allow_beyond_retention: true, ..settings() };
    let cases: Vec<(&str, Settings, &str, &str, Vec<&str>)> = vec![
        (
            "issue 14 finding 11: backfill --from year 1 is refused, not a panic after the lease",
            settings(),
            "0001-01-01T00:00:00Z",
            "2026-11-20T00:00:00Z",
            vec!["--from", "before 2000-01-01T00:00:00Z"],
        ),
        (
            "issue 14 finding 11: --to far in the future is refused",
            settings(),
            "2026-11-20T00:00:00Z",
            "2100-01-01T00:00:00Z",
            vec!["--to", "in the future"],
        ),
        (
            "issue 14 finding 11: --to before --from",
            settings(),
            "2026-11-21T00:00:00Z",
            "2026-11-20T00:00:00Z",
            vec!["--from", "before --to"],
        ),
        (
            "issue 14 finding 11: --from beyond retention is refused",
            settings(),
            "2026-10-01T00:00:00Z",
            "2026-10-02T00:00:00Z",
            vec!["--from", "30 days", "--allow-beyond-retention"],
        ),
        (
            "issue 14 finding 11: --allow-beyond-retention lets an old --from through",
            allowed,
            "2026-10-01T00:00:00Z",
            "2026-10-02T00:00:00Z",
            vec![],
        ),
        (
            "issue 14 finding 11: --from after now − lag has nothing to read",
            settings(),
            "2026-11-24T09:55:00Z",
            "2026-11-24T12:00:00Z",
            vec!["--from", "not before now − lag"],
        ),
        (
            "issue 14 finding 11: --to after now − lag is accepted; the window ends at now − lag",
            settings(),
            "2026-11-24T00:00:00Z",
            "2026-11-24T12:00:00Z",
            vec![],
        ),
        (
            "issue 14 finding 11: --now is checked for a backfill too",
            Settings { now: Some("2100-01-01T00:00:00Z".into()), ..settings() },
            "2026-11-20T00:00:00Z",
            "2026-11-21T00:00:00Z",
            vec!["--now"],
        ),
    ];
    for (case, extra, from, to, needles) in cases {
        assert_outcome(case, with(extra, from, to), &needles);
    }
    assert_eq!(
        with(settings(), "2026-11-24T00:00:00Z", "2026-11-24T12:00:00Z").unwrap(),
        (t("2026-11-24T00:00:00Z"), t("2026-11-24T12:00:00Z")),
        "the range as given; run::window cuts the end"
    );
}

#[test]
fn durations_are_checked_against_their_maximum_and_each_other() {
    let cases: Vec<(&str, Settings, Vec<&str>)> = vec![
        (
            "issue 14 finding 11: the deadline-margin maximum is 10m, not \"0h\"",
            Settings { deadline_margin: "11m".into(), ..settings() },
            vec!["--deadline-margin / ARCHIVE_DEADLINE_MARGIN", "at most 10m"],
        ),
        (
            "issue 14 finding 11: 10m is the margin's maximum",
            Settings { deadline_margin: "10m".into(), ..settings() },
            vec![],
        ),
        (
            "issue 14 finding 11: the lag's maximum",
            Settings { lag: "25h".into(), ..settings() },
            vec!["--lag", "at most 1day"],
        ),
        (
            "issue 14 finding 11: the overlap's maximum",
            Settings { overlap: "31d".into(), ..settings() },
            vec!["--overlap", "at most 30days"],
        ),
        (
            "issue 14 finding 11: the max-duration's maximum",
            Settings { max_duration: Some("8d".into()), ..settings() },
            vec!["--max-duration", "at most 7days"],
        ),
        (
            "issue 14 finding 2: --max-duration under --deadline-margin could never start work",
            Settings { max_duration: Some("30s".into()), ..settings() },
            vec!["--max-duration", "--deadline-margin / ARCHIVE_DEADLINE_MARGIN 1m", "no work could ever start"],
        ),
        (
            "issue 14 finding 2: --max-duration equal to --deadline-margin likewise",
            Settings { max_duration: Some("5m".into()), deadline_margin: "5m".into(), ..settings() },
            vec!["--max-duration"],
        ),
        (
            "issue 14 finding 2: a second to spare is enough",
            Settings { max_duration: Some("61s".into()), ..settings() },
            vec![],
        ),
        (
            "issue 14 finding 4: --overlap 0 is accepted (with a warning)",
            Settings { overlap: "0s".into(), ..settings() },
            vec![],
        ),
    ];
    for (case, settings, needles) in cases {
        assert_outcome(case, check_at(settings), &needles);
    }
}

#[test]
fn dataset_names_are_case_insensitive_everywhere() {
    let names = |list: &str| parse_datasets(list).map(|defs| defs.iter().map(|d| d.name).collect::<Vec<_>>());
    // (case, list, the names it selects: None if refused)
    type Case<'a> = (&'a str, &'a str, Option<Vec<&'a str>>);
    let cases: Vec<Case> = vec![
        ("issue 14 finding 11: SignIns names signins", "SignIns", Some(vec!["signins"])),
        (
            "issue 14 finding 11: mixed case in a list",
            " Directory_Audits ,SIGNINS",
            Some(vec!["directory_audits", "signins"]),
        ),
        ("issue 14 finding 11: ALL is all", "ALL", Some(crate::datasets::ALL.iter().map(|d| d.name).collect())),
        ("issue 14 finding 11: an unknown name is still refused", "SignOns", None),
    ];
    for (case, list, expected) in cases {
        match (names(list), expected) {
            (Ok(got), Some(expected)) => assert_eq!(got, expected, "{case}"),
            (Err(e), None) => assert!(e.to_string().contains("unknown dataset \"SignOns\""), "{case}: {e}"),
            (got, _) => panic!("{case}: {got:?}"),
        }
    }
    let c = Config::from_settings(Settings { datasets: "SignIns".into(), ..settings() }).unwrap();
    assert_eq!(c.datasets[0].name, "signins", "issue 14 finding 11: --datasets too");
}

#[test]
fn a_leading_tilde_is_the_home_directory() {
    let home = std::path::Path::new("/home/ana");
    // (case, --dest, HOME, the folder or a piece of the error)
    type Case<'a> = (&'a str, &'a str, Option<&'a std::path::Path>, std::result::Result<&'a str, &'a str>);
    let cases: Vec<Case> = vec![
        (
            "issue 14 finding 11: ~/archive is under HOME, not a folder named ~",
            "~/archive",
            Some(home),
            Ok("/home/ana/archive"),
        ),
        ("issue 14 finding 11: ~ alone is HOME", "~", Some(home), Ok("/home/ana")),
        ("issue 14 finding 11: ~/ is HOME", "~/", Some(home), Ok("/home/ana/")),
        ("issue 14 finding 11: a ~ further in is a name", "./~/archive", Some(home), Ok("./~/archive")),
        ("issue 14 finding 11: no HOME, no guess", "~/archive", None, Err("HOME is not set")),
        ("issue 14 finding 11: ~user is not supported", "~ana/archive", Some(home), Err("~user is not supported")),
        ("issue 14 finding 11: nor ~user alone", "~ana", Some(home), Err("~user is not supported")),
    ];
    for (case, dest, home, expected) in cases {
        match (values::destination(dest, None, home), expected) {
            (Ok(got), Ok(path)) => assert_eq!(got, Location::Local(path.into()), "{case}"),
            (Err(e), Err(needle)) => {
                let e = e.to_string();
                assert!(e.contains("--dest / ARCHIVE_DEST") && e.contains(needle), "{case}: {e}");
            }
            (got, _) => panic!("{case}: {got:?}"),
        }
    }
}

#[test]
fn federated_credentials_need_tenant_and_client_and_refuse_any_secret() {
    let federated = |kind: &str| Settings { credential: Some(kind.into()), client_secret: None, ..settings() };
    let c = Config::from_settings(federated("aws-federation")).unwrap();
    let CredentialConfig::Static(creds) = &c.credentials else { panic!("static credentials") };
    assert!(matches!(creds.credential, Credential::Federated(Federation::Aws)));
    assert_eq!((creds.tenant_id.as_str(), creds.client_id.as_str()), (TENANT.to_lowercase().as_str(), CLIENT));
    assert_eq!(c.federation_audience, "api://AzureADTokenExchange");
    for (login, audience) in [
        ("https://login.microsoftonline.us", "api://AzureADTokenExchangeUSGov"),
        ("https://login.chinacloudapi.cn", "api://AzureADTokenExchangeChina"),
    ] {
        let c = Config::from_settings(Settings { login_url: login.into(), ..federated("aws-federation") }).unwrap();
        assert_eq!(c.federation_audience, audience, "{login}");
    }
    let given = Settings { federation_audience: Some("api://custom".into()), ..federated("aws-federation") };
    assert_eq!(Config::from_settings(given).unwrap().federation_audience, "api://custom");

    let c = Config::from_settings(Settings {
        federated_token_file: Some("/var/run/token".into()),
        ..federated("Token-File")
    })
    .unwrap();
    let CredentialConfig::Static(creds) = &c.credentials else { panic!("static credentials") };
    assert!(
        matches!(&creds.credential, Credential::Federated(Federation::TokenFile(p)) if p.to_str() == Some("/var/run/token"))
    );

    let cases = [
        (
            Settings { client_secret: Some(Secret::new("leftover-secret")), ..federated("aws-federation") },
            "ENTRA_CLIENT_SECRET",
        ),
        (
            Settings {
                secret_id: Some("arn:x".into()),
                tenant_id: None,
                client_id: None,
                ..federated("aws-federation")
            },
            "--secret-id / ENTRA_SECRET_ID",
        ),
        (Settings { tenant_id: None, ..federated("aws-federation") }, "--tenant-id / ENTRA_TENANT_ID"),
        (
            Settings { client_id: Some("not-a-guid".into()), ..federated("aws-federation") },
            "--client-id / ENTRA_CLIENT_ID",
        ),
        (federated("token-file"), "--federated-token-file / AZURE_FEDERATED_TOKEN_FILE"),
        (federated("kerberos"), "--credential / ENTRA_CREDENTIAL"),
        (
            Settings { federation_audience: Some("two words".into()), ..federated("aws-federation") },
            "--federation-audience",
        ),
    ];
    for (settings, needle) in cases {
        let e = error_of(settings);
        assert!(e.contains(needle), "{needle}: {e}");
        assert!(!e.contains("leftover-secret"), "{e}");
    }
}
