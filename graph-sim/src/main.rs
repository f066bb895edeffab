//! `graph-sim` binary: flags → `SimConfig` → a running simulator.
//!
//! Prints exactly one line to stdout once listening,
//! `GRAPH_SIM_URL=http://127.0.0.1:PORT`, then logs one line per request to
//! stderr (method, path, status — never a secret or bearer token) until
//! SIGINT or SIGTERM.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use clap::Parser;
use graph_sim::config::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID};
use graph_sim::control::GRANTED_PERMISSIONS;
use graph_sim::{Dataset, GraphSim, RateLimit, SimConfig};

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
///
/// Records carry every property Microsoft's metadata declares for their
/// resource and the complex types it reaches (beta sign-ins: the union of
/// the beta SDK's and the beta CSDL's), in the metadata's JSON shape, null
/// where Graph sends null.
///
/// Point a client's Graph base URL and login base URL at the printed
/// GRAPH_SIM_URL and authenticate with the tenant id, client id and client
/// secret below, or with a client assertion signed by the key of the
/// --client-certificate. The app holds AuditLog.Read.All, Directory.Read.All
/// and IdentityRiskEvent.Read.All unless revoked.
#[derive(Debug, Parser)]
#[command(name = "graph-sim", version, verbatim_doc_comment)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// Seed for every random choice; the same seed gives the same records.
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// Number of interactive user sign-ins to generate (served by v1.0 and,
    /// as the same events, by beta).
    #[arg(long, default_value_t = 5000)]
    signins: usize,

    /// Number of directory audit events to generate.
    #[arg(long, default_value_t = 2000)]
    directory_audits: usize,

    /// Number of beta non-interactive user sign-ins to generate.
    #[arg(long, default_value_t = 3000)]
    signins_noninteractive: usize,

    /// Number of beta service principal sign-ins to generate.
    #[arg(long, default_value_t = 500)]
    signins_service_principal: usize,

    /// Number of beta managed identity sign-ins to generate.
    #[arg(long, default_value_t = 300)]
    signins_managed_identity: usize,

    /// Number of provisioning events to generate.
    #[arg(long, default_value_t = 500)]
    provisioning: usize,

    /// Number of risk detections to generate.
    #[arg(long, default_value_t = 200)]
    risk_detections: usize,

    /// Earliest record time, RFC 3339 [default: --to minus 48 hours].
    #[arg(long, value_parser = parse_time)]
    from: Option<DateTime<Utc>>,

    /// End of the record time range (exclusive), RFC 3339 [default: now,
    /// rounded down to the minute].
    #[arg(long, value_parser = parse_time)]
    to: Option<DateTime<Utc>>,

    /// Directory (tenant) id the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_TENANT_ID)]
    tenant_id: String,

    /// Application (client) id the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    client_id: String,

    /// Client secret the token endpoint accepts.
    #[arg(long, env = "GRAPH_SIM_CLIENT_SECRET", hide_env_values = true, default_value = DEFAULT_CLIENT_SECRET)]
    client_secret: String,

    /// PEM file of the app's uploaded certificate (X.509, RSA): client
    /// assertions signed with its key are accepted [default: none, every
    /// assertion fails with AADSTS700027].
    #[arg(long, value_name = "FILE")]
    client_certificate: Option<PathBuf>,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3599)]
    token_lifetime_secs: u64,

    /// Simulate a tenant without Entra ID P1/P2: sign-ins (v1.0 and beta)
    /// and risk detections answer 403; directory audits and provisioning
    /// still work.
    #[arg(long)]
    unlicensed: bool,

    /// Simulate an app without AuditLog.Read.All: /auditLogs answers 403.
    /// The same as --revoke-permission AuditLog.Read.All.
    #[arg(long)]
    missing_permission: bool,

    /// Revoke one of the app's application permissions (AuditLog.Read.All,
    /// Directory.Read.All, IdentityRiskEvent.Read.All): endpoints that need
    /// it answer 403, and tokens lack the role. Repeatable.
    #[arg(long, value_name = "PERMISSION", value_parser = parse_permission)]
    revoke_permission: Vec<String>,

    /// Simulate an expired client secret: the token endpoint answers AADSTS7000222.
    #[arg(long)]
    secret_expired: bool,

    /// Delay every Graph data response by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    page_delay_ms: u64,

    /// Throttle data requests as Graph does: at most REQUESTS starts in any
    /// sliding WINDOW (a humantime duration) for all of /auditLogs; more get
    /// 429 with Retry-After. Graph's documented budget is 5/10s [default: no
    /// limit].
    #[arg(long, value_name = "REQUESTS/WINDOW", value_parser = parse_rate_limit)]
    rate_limit: Option<RateLimit>,

    /// The same for /identityProtection, a separate budget whose 429s carry
    /// no Retry-After. Graph's documented budget is 1/1s [default: no limit].
    #[arg(long, value_name = "REQUESTS/WINDOW", value_parser = parse_rate_limit)]
    identity_protection_rate_limit: Option<RateLimit>,

    /// Return at most this many records per page, whatever $top asks for
    /// [default: $top].
    #[arg(long, value_name = "RECORDS", value_parser = clap::value_parser!(u64).range(1..))]
    max_page_size: Option<u64>,

    /// Instead of serving, write one dataset's records (signins,
    /// directory_audits, provisioning or risk_detections) to stdout as JSON
    /// Lines, oldest first, and exit: input for `entra-archive import`.
    #[arg(long, value_name = "DATASET", value_parser = ["signins", "directory_audits", "provisioning", "risk_detections"])]
    dump: Option<String>,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-11-24T10:00:00Z ({e})"))
}

/// One of the permissions the app can hold, spelled as Graph spells it.
fn parse_permission(s: &str) -> Result<String, String> {
    GRANTED_PERMISSIONS
        .iter()
        .find(|p| p.eq_ignore_ascii_case(s.trim()))
        .map(|p| (*p).to_owned())
        .ok_or_else(|| format!("expected one of {}", GRANTED_PERMISSIONS.join(", ")))
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
    fn config(&self) -> Result<SimConfig, String> {
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
        })
    }
}

/// Registers SIGINT/SIGTERM handlers now (so a signal arriving right after
/// the URL is printed is not lost) and resolves when either arrives.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = match args.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("graph-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let sim = match GraphSim::start_on(config, args.listen).await {
        Ok(sim) => sim,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            // The only input start_on validates is the certificate.
            eprintln!("graph-sim: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("graph-sim: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    if let Some(name) = &args.dump {
        let ds = match name.as_str() {
            "signins" => Dataset::SignIns,
            "directory_audits" => Dataset::DirectoryAudits,
            "provisioning" => Dataset::Provisioning,
            _ => Dataset::RiskDetections,
        };
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for record in sim.records(ds).iter().rev() {
            if writeln!(out, "{}", record.json).is_err() {
                return ExitCode::FAILURE;
            }
        }
        return if out.flush().is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    sim.set_switches(|s| {
        s.unlicensed = args.unlicensed;
        s.missing_permission = args.missing_permission;
        s.revoked_permissions.clone_from(&args.revoke_permission);
        s.secret_expired = args.secret_expired;
        s.page_delay = Duration::from_millis(args.page_delay_ms);
        s.rate_limit = args.rate_limit;
        s.identity_protection_rate_limit = args.identity_protection_rate_limit;
        s.max_page_size = args.max_page_size.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    });
    let stop = match shutdown_signal() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("graph-sim: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "GRAPH_SIM_URL={}", sim.url());
    let _ = stdout.flush();
    let c = sim.config();
    let endpoints: Vec<&str> = Dataset::all().iter().map(|d| d.path()).collect();
    tracing::info!(
        tenant_id = %c.tenant_id,
        client_id = %c.client_id,
        client_certificate = c.client_certificate_pem.is_some(),
        seed = c.seed,
        signins = c.signins,
        directory_audits = c.directory_audits,
        signins_noninteractive = c.signins_noninteractive,
        signins_service_principal = c.signins_service_principal,
        signins_managed_identity = c.signins_managed_identity,
        provisioning = c.provisioning,
        risk_detections = c.risk_detections,
        from = %c.from,
        to = %c.to,
        endpoints = %endpoints.join(" "),
        unlicensed = args.unlicensed,
        permissions = %sim.granted_permissions().join(" "),
        rate_limit = args.rate_limit.map(|l| l.to_string()),
        identity_protection_rate_limit = args.identity_protection_rate_limit.map(|l| l.to_string()),
        max_page_size = args.max_page_size,
        "graph-sim listening"
    );
    stop.await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
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
    fn client_certificate_is_read_from_a_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/certs/app.cert.pem");
        let c = Args::parse_from(["graph-sim", "--client-certificate", path]).config().unwrap();
        assert!(c.client_certificate_pem.unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(Args::parse_from(["graph-sim"]).config().unwrap().client_certificate_pem, None);
        let missing = Args::parse_from(["graph-sim", "--client-certificate", "/nonexistent.pem"]);
        assert!(missing.config().unwrap_err().contains("/nonexistent.pem"));
    }
}
