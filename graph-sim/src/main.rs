//! `graph-sim` binary: flags (`args`) → `SimConfig` → a running simulator.
//!
//! Prints exactly one line to stdout once listening,
//! `GRAPH_SIM_URL=http://127.0.0.1:PORT`, then logs one line per request to
//! stderr (method, path, status — never a secret or bearer token) until
//! SIGINT or SIGTERM.

mod args;

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use args::Args;
use clap::Parser;
use graph_sim::{Dataset, GraphSim};

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
            // The certificate, a granted permission (the flags admit only
            // modelled ones) or the federated credentials (more than 20, or
            // one repeated).
            eprintln!("graph-sim: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("graph-sim: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    if let Some(name) = &args.dump {
        let ds = Dataset::from_archive_name(name).expect("clap admits only the dump names");
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
        s.network_access_rate_limit = args.network_access_rate_limit;
        s.refuse_undocumented_filters = args.refuse_undocumented_filters;
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
        federated_credentials = c.federated_credentials.len(),
        seed = c.seed,
        signins = c.signins,
        directory_audits = c.directory_audits,
        signins_noninteractive = c.signins_noninteractive,
        signins_service_principal = c.signins_service_principal,
        signins_managed_identity = c.signins_managed_identity,
        provisioning = c.provisioning,
        risk_detections = c.risk_detections,
        service_principal_risk_detections = c.service_principal_risk_detections,
        custom_security_attribute_audits = c.custom_security_attribute_audits,
        signups = c.signups,
        network_access_traffic = c.network_access_traffic,
        workload_id_premium = c.workload_id_premium,
        external_id_tenant = c.external_id_tenant,
        global_secure_access = c.global_secure_access,
        diurnal = c.diurnal,
        from = %c.from,
        to = %c.to,
        endpoints = %endpoints.join(" "),
        unlicensed = args.unlicensed,
        permissions = %sim.granted_permissions().join(" "),
        rate_limit = args.rate_limit.map(|l| l.to_string()),
        identity_protection_rate_limit = args.identity_protection_rate_limit.map(|l| l.to_string()),
        network_access_rate_limit = args.network_access_rate_limit.map(|l| l.to_string()),
        max_page_size = args.max_page_size,
        refuse_undocumented_filters = args.refuse_undocumented_filters,
        "graph-sim listening"
    );
    stop.await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}
