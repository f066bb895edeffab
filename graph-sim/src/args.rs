//! The binary's flags: what `graph-sim --help` says, each flag's default,
//! and their validation into a [`SimConfig`] (plus the switches `main` sets
//! once the simulator runs). Errors name the flag.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use clap::Parser;
use graph_sim::config::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID, TOKEN_EXCHANGE_AUDIENCE};
use graph_sim::control::{GRANTED_PERMISSIONS, OPTIONAL_PERMISSIONS, known_permission};
use graph_sim::{Dataset, FederatedCredential, RateLimit, SimConfig};

/// A local stand-in for Microsoft Graph's activity-report endpoints and the
/// Entra token endpoint (/{tenant}/oauth2/v2.0/token), serving seeded,
/// deterministic records over HTTP:
///
///   /v1.0/auditLogs/signIns                  interactive user sign-ins
///   /beta/auditLogs/signIns                  every sign-in, beta shape; filter
///                                            signInEventTypes/any(t: t eq '…')
///   /v1.0/auditLogs/directoryAudits          directory audit events
///   /v1.0/auditLogs/provisioning             provisioning events ($filter gt/lt)
///   /v1.0/identityProtection/riskDetections  risk detections ($top ≤ 500)
///   /v1.0/identityProtection/servicePrincipalRiskDetections
///                                            workload risk detections ($top ≤ 500;
///                                            needs Workload ID Premium)
///   /beta/auditLogs/customSecurityAttributeAudits
///                                            custom security attribute changes
///                                            ($top ≤ 100; needs
///                                            --grant-permission
///                                            CustomSecAttributeAuditLogs.Read.All)
///   /beta/auditLogs/signUps                  External ID self-service sign-ups
///                                            (needs --external-id-tenant)
///   /beta/networkAccess/logs/traffic         Global Secure Access traffic, keyed by
///                                            transactionId (needs
///                                            --global-secure-access and
///                                            --grant-permission
///                                            NetworkAccess-Reports.Read.All)
///
/// Records carry every property Microsoft's metadata declares for their
/// resource and the complex types it reaches (beta sign-ins: the union of
/// the beta SDK's and the beta CSDL's), in the metadata's JSON shape, null
/// where Graph sends null.
///
/// Point a client's Graph base URL and login base URL at the printed
/// GRAPH_SIM_URL and authenticate with the tenant id, client id and client
/// secret below, with a client assertion signed by the key of the
/// --client-certificate, or with a federated assertion (a JWT from an
/// external identity provider, such as AWS STS GetWebIdentityToken) that a
/// --federated-credential trusts. The app holds AuditLog.Read.All, Directory.Read.All
/// and IdentityRiskEvent.Read.All unless revoked, and the optional
/// permissions it is granted.
#[derive(Debug, Parser)]
#[command(name = "graph-sim", version, verbatim_doc_comment)]
pub(crate) struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) listen: SocketAddr,

    /// Seed for every random choice; the same seed gives the same records.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,

    /// Number of interactive user sign-ins to generate (served by v1.0 and,
    /// as the same events, by beta).
    #[arg(long, default_value_t = 5000)]
    pub(crate) signins: usize,

    /// Number of directory audit events to generate.
    #[arg(long, default_value_t = 2000)]
    pub(crate) directory_audits: usize,

    /// Number of beta non-interactive user sign-ins to generate.
    #[arg(long, default_value_t = 3000)]
    pub(crate) signins_noninteractive: usize,

    /// Number of beta service principal sign-ins to generate.
    #[arg(long, default_value_t = 500)]
    pub(crate) signins_service_principal: usize,

    /// Number of beta managed identity sign-ins to generate.
    #[arg(long, default_value_t = 300)]
    pub(crate) signins_managed_identity: usize,

    /// Number of provisioning events to generate.
    #[arg(long, default_value_t = 500)]
    pub(crate) provisioning: usize,

    /// Number of risk detections to generate.
    #[arg(long, default_value_t = 200)]
    pub(crate) risk_detections: usize,

    /// Number of service principal risk detections to generate.
    #[arg(long, default_value_t = 200)]
    pub(crate) service_principal_risk_detections: usize,

    /// Number of custom security attribute audits to generate.
    #[arg(long, default_value_t = 300)]
    pub(crate) custom_security_attribute_audits: usize,

    /// Number of External ID self-service sign-up events to generate.
    #[arg(long, default_value_t = 150)]
    pub(crate) signups: usize,

    /// Number of Global Secure Access traffic log entries to generate.
    #[arg(long, default_value_t = 2000)]
    pub(crate) network_access_traffic: usize,

    /// Earliest record time, RFC 3339 [default: --to minus 48 hours].
    #[arg(long, value_parser = parse_time)]
    pub(crate) from: Option<DateTime<Utc>>,

    /// End of the record time range (exclusive), RFC 3339 [default: now,
    /// rounded down to the minute].
    #[arg(long, value_parser = parse_time)]
    pub(crate) to: Option<DateTime<Utc>>,

    /// Directory (tenant) id the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_TENANT_ID)]
    pub(crate) tenant_id: String,

    /// Application (client) id the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    pub(crate) client_id: String,

    /// Client secret the token endpoint accepts.
    #[arg(long, env = "GRAPH_SIM_CLIENT_SECRET", hide_env_values = true, default_value = DEFAULT_CLIENT_SECRET)]
    pub(crate) client_secret: String,

    /// PEM file of the app's uploaded certificate (X.509, RSA): client
    /// assertions signed with its key are accepted [default: none, every
    /// assertion fails with AADSTS700027].
    #[arg(long, value_name = "FILE")]
    pub(crate) client_certificate: Option<PathBuf>,

    /// Trust an external identity provider, as a federated identity
    /// credential of the app: client assertions issued by ISSUER about
    /// SUBJECT for AUDIENCE [default audience: api://AzureADTokenExchange]
    /// are accepted (their issuer's keys are fetched from
    /// ISSUER/.well-known/openid-configuration). Repeatable, at most 20
    /// [default: none].
    #[arg(long, value_name = "ISSUER,SUBJECT[,AUDIENCE]", value_parser = parse_federated_credential)]
    pub(crate) federated_credential: Vec<FederatedCredential>,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3599)]
    pub(crate) token_lifetime_secs: u64,

    /// Simulate a tenant without Entra ID P1/P2: sign-ins (v1.0 and beta)
    /// and risk detections answer 403; directory audits and provisioning
    /// still work.
    #[arg(long)]
    pub(crate) unlicensed: bool,

    /// Simulate a tenant without Microsoft Entra Workload ID Premium: service
    /// principal risk detections answer 403.
    #[arg(long)]
    pub(crate) no_workload_id_premium: bool,

    /// Simulate a Microsoft Entra External ID (customer) tenant, the only kind
    /// with sign-up logs [default: a workforce tenant, whose sign-up log
    /// answers 403].
    #[arg(long)]
    pub(crate) external_id_tenant: bool,

    /// Simulate a tenant onboarded to Global Secure Access (Internet or
    /// Private Access) [default: not onboarded, the traffic log answers 403].
    #[arg(long)]
    pub(crate) global_secure_access: bool,

    /// Grant the app an optional application permission
    /// (CustomSecAttributeAuditLogs.Read.All, NetworkAccess-Reports.Read.All)
    /// [default: none; their logs answer 403]. Repeatable.
    #[arg(long, value_name = "PERMISSION", value_parser = parse_optional_permission)]
    pub(crate) grant_permission: Vec<String>,

    /// Record times follow a working week: weekdays 08:00–18:00 UTC five
    /// times as dense as nights and weekends [default: uniform].
    #[arg(long)]
    pub(crate) diurnal: bool,

    /// Simulate an app without AuditLog.Read.All: /auditLogs answers 403.
    /// The same as --revoke-permission AuditLog.Read.All.
    #[arg(long)]
    pub(crate) missing_permission: bool,

    /// Revoke one of the app's application permissions (AuditLog.Read.All,
    /// Directory.Read.All, IdentityRiskEvent.Read.All, or a granted optional
    /// one): endpoints that need it answer 403, and tokens lack the role.
    /// Repeatable.
    #[arg(long, value_name = "PERMISSION", value_parser = parse_permission)]
    pub(crate) revoke_permission: Vec<String>,

    /// Simulate an expired client secret: the token endpoint answers AADSTS7000222.
    #[arg(long)]
    pub(crate) secret_expired: bool,

    /// Delay every Graph data response by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub(crate) page_delay_ms: u64,

    /// Throttle data requests as Graph does: at most REQUESTS starts in any
    /// sliding WINDOW (a humantime duration) for all of /auditLogs; more get
    /// 429 with Retry-After. Graph's documented budget is 5/10s [default: no
    /// limit].
    #[arg(long, value_name = "REQUESTS/WINDOW", value_parser = parse_rate_limit)]
    pub(crate) rate_limit: Option<RateLimit>,

    /// The same for /identityProtection, a separate budget whose 429s carry
    /// no Retry-After. Graph's documented budget is 1/1s [default: no limit].
    #[arg(long, value_name = "REQUESTS/WINDOW", value_parser = parse_rate_limit)]
    pub(crate) identity_protection_rate_limit: Option<RateLimit>,

    /// The same for /networkAccess, a separate budget whose 429s carry
    /// Retry-After. Graph documents none beyond its global limit [default: no
    /// limit].
    #[arg(long, value_name = "REQUESTS/WINDOW", value_parser = parse_rate_limit)]
    pub(crate) network_access_rate_limit: Option<RateLimit>,

    /// Return at most this many records per page, whatever $top asks for
    /// [default: $top].
    #[arg(long, value_name = "RECORDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_page_size: Option<u64>,

    /// Accept only the $filter operators Microsoft documents: ge/le on the
    /// time field of /beta/networkAccess/logs/traffic and
    /// /v1.0/identityProtection/servicePrincipalRiskDetections answer 400
    /// [default: ge, le and eq are accepted there].
    #[arg(long)]
    pub(crate) refuse_undocumented_filters: bool,

    /// Instead of serving, write one dataset's records (by the archive's
    /// name: signins, directory_audits, provisioning, risk_detections,
    /// service_principal_risk_detections, custom_security_attribute_audits,
    /// signups, network_access_traffic) to stdout as JSON Lines, oldest
    /// first, and exit: input for `entra-archive import`.
    #[arg(long, value_name = "DATASET", value_parser = clap::builder::PossibleValuesParser::new(dump_names()))]
    pub(crate) dump: Option<String>,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-11-24T10:00:00Z ({e})"))
}

/// The datasets `--dump` writes, by the archive's names.
fn dump_names() -> Vec<&'static str> {
    Dataset::all().iter().filter_map(|d| d.archive_name()).collect()
}

/// One of the permissions the app can hold, spelled as Graph spells it.
fn parse_permission(s: &str) -> Result<String, String> {
    known_permission(s).map(str::to_owned).ok_or_else(|| {
        let all: Vec<&str> = GRANTED_PERMISSIONS.iter().chain(OPTIONAL_PERMISSIONS).copied().collect();
        format!("expected one of {}", all.join(", "))
    })
}

/// One of the optional permissions, spelled as Graph spells it.
fn parse_optional_permission(s: &str) -> Result<String, String> {
    OPTIONAL_PERMISSIONS
        .iter()
        .find(|p| p.eq_ignore_ascii_case(s.trim()))
        .map(|p| (*p).to_owned())
        .ok_or_else(|| format!("expected one of {}", OPTIONAL_PERMISSIONS.join(", ")))
}

/// `ISSUER,SUBJECT[,AUDIENCE]`: a federated credential, named later by its
/// position.
fn parse_federated_credential(s: &str) -> Result<FederatedCredential, String> {
    const EXPECTED: &str = "expected ISSUER,SUBJECT[,AUDIENCE] such as \
        https://abc.tokens.sts.global.api.aws,arn:aws:iam::123456789012:role/archiver";
    let mut parts = s.splitn(3, ',').map(str::trim);
    let (Some(issuer), Some(subject)) = (parts.next(), parts.next()) else {
        return Err(EXPECTED.to_owned());
    };
    let audience = parts.next().unwrap_or(TOKEN_EXCHANGE_AUDIENCE);
    if issuer.is_empty() || subject.is_empty() || audience.is_empty() {
        return Err(format!("{EXPECTED} (none of them empty)"));
    }
    Ok(FederatedCredential {
        name: String::new(),
        issuer: issuer.to_owned(),
        subject: subject.to_owned(),
        audiences: vec![audience.to_owned()],
    })
}

/// `5/10s`: requests per humantime window.
fn parse_rate_limit(s: &str) -> Result<RateLimit, String> {
    const EXPECTED: &str = "expected REQUESTS/WINDOW such as 5/10s";
    let (requests, window) = s.split_once('/').ok_or_else(|| EXPECTED.to_owned())?;
    let requests: u32 = requests.trim().parse().map_err(|e| format!("{EXPECTED} (requests: {e})"))?;
    let window = humantime::parse_duration(window.trim()).map_err(|e| format!("{EXPECTED} (window: {e})"))?;
    if requests == 0 || window.is_zero() {
        return Err(format!("{EXPECTED} (both must be positive)"));
    }
    Ok(RateLimit { requests, window })
}

impl Args {
    /// The tenant the flags describe.
    pub(crate) fn config(&self) -> Result<SimConfig, String> {
        let (default_from, default_to) = SimConfig::default_window(Utc::now());
        let to = self.to.unwrap_or(default_to);
        let from =
            self.from.unwrap_or_else(|| if self.to.is_some() { to - TimeDelta::hours(48) } else { default_from });
        if from >= to {
            return Err(format!("--from ({from}) must be earlier than --to ({to})"));
        }
        let client_certificate_pem = self
            .client_certificate
            .as_ref()
            .map(|path| {
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read --client-certificate {}: {e}", path.display()))
            })
            .transpose()?;
        Ok(SimConfig {
            seed: self.seed,
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            client_certificate_pem,
            token_lifetime: Duration::from_secs(self.token_lifetime_secs),
            from,
            to,
            signins: self.signins,
            directory_audits: self.directory_audits,
            signins_noninteractive: self.signins_noninteractive,
            signins_service_principal: self.signins_service_principal,
            signins_managed_identity: self.signins_managed_identity,
            provisioning: self.provisioning,
            risk_detections: self.risk_detections,
            service_principal_risk_detections: self.service_principal_risk_detections,
            custom_security_attribute_audits: self.custom_security_attribute_audits,
            signups: self.signups,
            network_access_traffic: self.network_access_traffic,
            workload_id_premium: !self.no_workload_id_premium,
            external_id_tenant: self.external_id_tenant,
            global_secure_access: self.global_secure_access,
            extra_permissions: self.grant_permission.clone(),
            diurnal: self.diurnal,
            federated_credentials: self
                .federated_credential
                .iter()
                .enumerate()
                .map(|(i, fic)| FederatedCredential { name: format!("federated-credential-{}", i + 1), ..fic.clone() })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn window_defaults() {
        let a = Args::parse_from(["graph-sim", "--to", "2026-11-24T10:00:00Z"]);
        let c = a.config().unwrap();
        assert_eq!(c.from.to_rfc3339(), "2026-11-22T10:00:00+00:00");
        let a = Args::parse_from(["graph-sim"]);
        let c = a.config().unwrap();
        assert_eq!(c.to - c.from, TimeDelta::hours(48));
        assert_eq!(c.seed, 42);
        assert_eq!(c.signins, 5000);
        let a = Args::parse_from(["graph-sim", "--from", "2026-11-24T10:00:00Z", "--to", "2026-11-24T09:00:00Z"]);
        assert!(a.config().is_err());
    }

    #[test]
    fn dataset_counts_and_permission_flags() {
        let c = Args::parse_from(["graph-sim"]).config().unwrap();
        assert_eq!(
            (c.signins_noninteractive, c.signins_service_principal, c.signins_managed_identity),
            (3000, 500, 300)
        );
        assert_eq!((c.provisioning, c.risk_detections), (500, 200));
        let a = Args::parse_from([
            "graph-sim",
            "--signins-noninteractive",
            "7",
            "--signins-service-principal",
            "6",
            "--signins-managed-identity",
            "5",
            "--provisioning",
            "4",
            "--risk-detections",
            "3",
            "--unlicensed",
            "--revoke-permission",
            "identityriskevent.read.all",
            "--revoke-permission",
            "Directory.Read.All",
            "--identity-protection-rate-limit",
            "1/1s",
        ]);
        let c = a.config().unwrap();
        assert_eq!(
            (
                c.signins_noninteractive,
                c.signins_service_principal,
                c.signins_managed_identity,
                c.provisioning,
                c.risk_detections
            ),
            (7, 6, 5, 4, 3)
        );
        assert!(a.unlicensed);
        assert_eq!(a.revoke_permission, ["IdentityRiskEvent.Read.All", "Directory.Read.All"]);
        assert_eq!(a.identity_protection_rate_limit, Some(RateLimit::IDENTITY_PROTECTION));
        let bad = Args::try_parse_from(["graph-sim", "--revoke-permission", "User.Read.All"]).unwrap_err();
        assert!(bad.to_string().contains("AuditLog.Read.All"), "{bad}");
    }

    #[test]
    fn newer_logs_their_counts_tenant_and_permissions() {
        let c = Args::parse_from(["graph-sim"]).config().unwrap();
        assert_eq!(
            (
                c.service_principal_risk_detections,
                c.custom_security_attribute_audits,
                c.signups,
                c.network_access_traffic
            ),
            (200, 300, 150, 2000)
        );
        assert!(c.workload_id_premium && !c.external_id_tenant && !c.global_secure_access);
        assert!(c.extra_permissions.is_empty());
        let a = Args::parse_from([
            "graph-sim",
            "--service-principal-risk-detections",
            "4",
            "--custom-security-attribute-audits",
            "3",
            "--signups",
            "2",
            "--network-access-traffic",
            "1",
            "--no-workload-id-premium",
            "--external-id-tenant",
            "--global-secure-access",
            "--grant-permission",
            "networkaccess-reports.read.all",
            "--grant-permission",
            "CustomSecAttributeAuditLogs.Read.All",
            "--revoke-permission",
            "NetworkAccess-Reports.Read.All",
            "--refuse-undocumented-filters",
            "--network-access-rate-limit",
            "5/10s",
        ]);
        let c = a.config().unwrap();
        assert_eq!(
            (
                c.service_principal_risk_detections,
                c.custom_security_attribute_audits,
                c.signups,
                c.network_access_traffic
            ),
            (4, 3, 2, 1)
        );
        assert!(!c.workload_id_premium && c.external_id_tenant && c.global_secure_access);
        assert_eq!(c.extra_permissions, ["NetworkAccess-Reports.Read.All", "CustomSecAttributeAuditLogs.Read.All"]);
        assert_eq!(a.revoke_permission, ["NetworkAccess-Reports.Read.All"]);
        assert!(a.refuse_undocumented_filters);
        assert_eq!(a.network_access_rate_limit, Some(RateLimit::AUDIT_LOGS));
        let bad = Args::try_parse_from(["graph-sim", "--grant-permission", "AuditLog.Read.All"]).unwrap_err();
        assert!(bad.to_string().contains("NetworkAccess-Reports.Read.All"), "{bad}");
    }

    #[test]
    fn dump_takes_the_archives_dataset_names() {
        for name in
            ["signins", "risk_detections", "service_principal_risk_detections", "signups", "network_access_traffic"]
        {
            let a = Args::parse_from(["graph-sim", "--dump", name]);
            assert_eq!(
                Dataset::from_archive_name(a.dump.as_deref().unwrap()).and_then(Dataset::archive_name),
                Some(name)
            );
        }
        assert!(Args::try_parse_from(["graph-sim", "--dump", "signins_beta"]).is_err());
    }

    #[test]
    fn rate_limit_flag() {
        let a = Args::parse_from(["graph-sim", "--rate-limit", "5/10s", "--max-page-size", "100"]);
        assert_eq!(a.rate_limit, Some(RateLimit::AUDIT_LOGS));
        assert_eq!(a.max_page_size, Some(100));
        let a = Args::parse_from(["graph-sim"]);
        assert_eq!((a.rate_limit, a.max_page_size), (None, None));
        assert_eq!(parse_rate_limit("1/1500ms"), Ok(RateLimit { requests: 1, window: Duration::from_millis(1500) }));
        assert_eq!(parse_rate_limit(" 10 / 1m "), Ok(RateLimit { requests: 10, window: Duration::from_secs(60) }));
        for bad in ["5", "5/", "/10s", "x/10s", "5/10", "0/10s", "5/0s", "-1/10s"] {
            assert!(parse_rate_limit(bad).unwrap_err().contains("5/10s"), "{bad}");
        }
        assert!(Args::try_parse_from(["graph-sim", "--max-page-size", "0"]).is_err());
    }

    #[test]
    fn federated_credentials_flag() {
        let a = Args::parse_from([
            "graph-sim",
            "--federated-credential",
            "http://127.0.0.1:9/issuer,arn:aws:iam::123456789012:role/r",
            "--federated-credential",
            "https://token.actions.githubusercontent.com, repo:o/r:environment:prod , api://custom",
        ]);
        let c = a.config().unwrap();
        assert_eq!(
            c.federated_credentials,
            [
                FederatedCredential {
                    name: "federated-credential-1".into(),
                    ..FederatedCredential::new("", "http://127.0.0.1:9/issuer", "arn:aws:iam::123456789012:role/r")
                },
                FederatedCredential {
                    name: "federated-credential-2".into(),
                    issuer: "https://token.actions.githubusercontent.com".into(),
                    subject: "repo:o/r:environment:prod".into(),
                    audiences: vec!["api://custom".into()],
                },
            ]
        );
        assert!(Args::parse_from(["graph-sim"]).config().unwrap().federated_credentials.is_empty());
        for bad in ["https://issuer-only", ",sub", "https://i,", "https://i,s,"] {
            let e = Args::try_parse_from(["graph-sim", "--federated-credential", bad]).unwrap_err();
            assert!(e.to_string().contains("ISSUER,SUBJECT[,AUDIENCE]"), "{bad}: {e}");
        }
    }

    #[test]
    fn client_certificate_is_read_from_a_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/certs/app.cert.pem");
        let c = Args::parse_from(["graph-sim", "--client-certificate", path]).config().unwrap();
        assert!(c.client_certificate_pem.unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(Args::parse_from(["graph-sim"]).config().unwrap().client_certificate_pem, None);
        let missing = Args::parse_from(["graph-sim", "--client-certificate", "/nonexistent.pem"]);
        assert!(missing.config().unwrap_err().contains("/nonexistent.pem"));
    }
}
