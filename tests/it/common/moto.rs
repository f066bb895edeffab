//! A moto server (a fake AWS) on loopback for end-to-end tests against real
//! HTTP: S3 now, Secrets Manager and others through the same `SdkConfig`.
//!
//! Takes the `moto_server` of the venv the Makefile builds (or the one
//! ENTRA_ARCHIVE_MOTO names); hands on its endpoint, an `SdkConfig` with dummy
//! credentials (`test`/`test`, us-east-1) pointing at it, S3 clients, and raw
//! query-protocol calls (IAM) for what the crate has no SDK for. Each `Moto` is
//! its own process with its own state, killed on drop.
//!
//! moto checks `If-Match`/`If-None-Match` and then writes, with no lock
//! between, on a thread per request; S3 does both as one step. Under CPython's
//! GIL racing writers rarely land in that gap (64 racing updates never did
//! here), but tests that race writers must not flake on it, so the harness
//! runs moto's own `main` with its app behind a lock: one request at a time,
//! like S3's atomic conditional writes.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;

/// The region every client is configured for.
pub const REGION: &str = "us-east-1";
/// The dummy credentials moto accepts while IAM checks are off.
pub const ACCESS_KEY: &str = "test";
pub const SECRET_KEY: &str = "test";

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// `moto.server.main`, with the app it serves handling one request at a time.
const SERIALISED_MOTO: &str = r#"
import sys, threading
import moto.server as server

serve = server.run_simple

def serve_serialised(host, port, app, **options):
    lock = threading.Lock()
    def one_at_a_time(environ, start_response):
        with lock:
            return list(app(environ, start_response))
    serve(host, port, one_at_a_time, **options)

server.run_simple = serve_serialised
server.main(sys.argv[1:])
"#;

/// A running moto server.
pub struct Moto {
    child: Child,
    endpoint: String,
    log: tempfile::NamedTempFile,
}

/// Where `moto_server` is: ENTRA_ARCHIVE_MOTO, else the repository's venv.
pub fn moto_server() -> PathBuf {
    std::env::var_os("ENTRA_ARCHIVE_MOTO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server"))
}

/// The Python a `moto_server` script runs with (its `#!` line), if it is one.
fn interpreter(script: &Path) -> Option<PathBuf> {
    let text = std::fs::read(script).ok()?;
    let first = text.split(|b| *b == b'\n').next()?;
    let mut words = std::str::from_utf8(first).ok()?.strip_prefix("#!")?.split_whitespace();
    let program = words.next()?;
    let python = if program.ends_with("/env") { words.next()? } else { program };
    let python = PathBuf::from(python);
    let is_python = python.file_name().is_some_and(|n| n.to_string_lossy().starts_with("python"));
    is_python.then_some(python)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port").port()
}

impl Moto {
    /// Starts a fresh server.
    pub async fn start() -> Moto {
        Moto::start_with_env(&[]).await
    }

    /// Starts a fresh server with extra environment, e.g.
    /// `MOTO_S3_DEFAULT_MAX_KEYS` (the page size of ListObjects).
    pub async fn start_with_env(env: &[(&str, &str)]) -> Moto {
        let bin = moto_server();
        assert!(
            bin.exists(),
            "{} not found: run `make venv` (it installs moto[server] into .venv), \
             or set ENTRA_ARCHIVE_MOTO to a moto_server binary",
            bin.display()
        );
        let mut last_log = String::new();
        for _attempt in 0..5 {
            match Moto::try_start(&bin, env).await {
                Ok(moto) => return moto,
                Err(log) => last_log = log,
            }
        }
        panic!("moto_server did not start; its last output:\n{last_log}");
    }

    /// Starts on a free port; `Err(output)` if the process exits first (the
    /// port was taken in between) or does not answer in time.
    async fn try_start(bin: &Path, env: &[(&str, &str)]) -> Result<Moto, String> {
        let port = free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let out = log.reopen().unwrap();
        let err = out.try_clone().unwrap();
        let mut command = match interpreter(bin) {
            Some(python) => {
                let mut c = Command::new(python);
                c.args(["-c", SERIALISED_MOTO]);
                c
            }
            None => Command::new(bin),
        };
        let child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
        let mut moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}"), log };
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = moto.child.try_wait() {
                return Err(moto.log());
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(moto);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("no answer on port {port} after {START_TIMEOUT:?}\n{}", moto.log()))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// What the server printed so far (one line per request).
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(self.log.path()) {
            let _ = std::io::Read::read_to_string(&mut file, &mut text);
        }
        text
    }

    /// AWS configuration pointing at this server, with the dummy credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_as(ACCESS_KEY, SECRET_KEY).await
    }

    /// AWS configuration pointing at this server, signing as `access_key`.
    pub async fn sdk_config_as(&self, access_key: &str, secret_key: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new(access_key, secret_key, None, None, "moto"))
            .endpoint_url(&self.endpoint)
            .load()
            .await
    }

    /// An S3 client for this server, built the way the program builds one.
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        entra_archive::destination::s3_client(&self.sdk_config().await).await
    }

    /// Creates a bucket.
    pub async fn create_bucket(&self, name: &str) {
        self.s3()
            .await
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {name}: {e:?}"));
    }

    /// A raw AWS query-protocol call (IAM, STS …): form parameters in, XML
    /// out. Unsigned (moto routes it by the credential scope of the
    /// Authorization header), so it works only while IAM checks are off.
    pub async fn aws_query(&self, service: &str, params: &[(&str, &str)]) -> String {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/{REGION}/{service}/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let response = reqwest::Client::new()
            .post(format!("{}/", self.endpoint))
            .header("Authorization", authorization)
            .form(params)
            .send()
            .await
            .expect("moto answers");
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success(), "{service} {params:?}: {status}\n{body}");
        body
    }

    /// From now on moto checks every request's signature and IAM policies
    /// (`INITIAL_NO_AUTH_ACTION_COUNT = 0`): the dummy credentials stop
    /// working, only access keys created through IAM do.
    pub async fn require_iam_auth(&self) {
        let response = reqwest::Client::new()
            .post(format!("{}/moto-api/reset-auth", self.endpoint))
            .body("0")
            .send()
            .await
            .expect("moto answers");
        assert!(response.status().is_success(), "reset-auth: {response:?}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of the first `<tag>` element in an XML answer.
pub fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..end])
}
