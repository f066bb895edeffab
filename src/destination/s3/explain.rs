//! The S3 client and what to tell people when a call fails.
//!
//! Takes the AWS configuration (for the client) and SDK errors; hands on a
//! client that uses path-style addressing whenever the endpoint is
//! overridden, and one-line messages built from the error's code, HTTP status
//! and message, with the fix: the IAM permission and resource, the bucket, the
//! credentials, the region, the endpoint. The SDK's own `Display` ("service
//! error") says too little. Never puts credentials (or URL user info) in a
//! message: S3's own text passes `redact`.

use std::fmt::Write;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::endpoint::{DefaultResolver, EndpointFuture, Params, ResolveEndpoint};
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{BoxError, ProvideErrorMetadata, SdkError};

use super::{S3Destination, Sse};

/// An S3 client from the standard AWS configuration chain (env, profile,
/// Lambda role). Honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3; when an
/// endpoint is overridden, uses path-style addressing (as moto and most
/// S3-compatible servers need).
pub async fn s3_client(sdk: &aws_config::SdkConfig) -> Client {
    let config = aws_sdk_s3::config::Builder::from(sdk).endpoint_resolver(PathStyleWhenOverridden::default()).build();
    Client::from_conf(config)
}

/// The SDK's endpoint rules, with path-style addressing forced whenever an
/// endpoint URL is configured. (The override may come from
/// AWS_ENDPOINT_URL_S3, which only the SDK can see, so this is decided per
/// request rather than when the client is built.)
#[derive(Debug, Default)]
struct PathStyleWhenOverridden(DefaultResolver);

impl ResolveEndpoint for PathStyleWhenOverridden {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        if params.endpoint().is_none() || params.force_path_style() == Some(true) {
            return ResolveEndpoint::resolve_endpoint(&self.0, params);
        }
        match path_style(params) {
            Ok(forced) => EndpointFuture::new(async move { ResolveEndpoint::resolve_endpoint(&self.0, &forced).await }),
            Err(e) => EndpointFuture::ready(Err(e.into())),
        }
    }
}

/// `params` with `force_path_style` set.
fn path_style(p: &Params) -> Result<Params, aws_sdk_s3::config::endpoint::InvalidParams> {
    let owned = |s: Option<&str>| s.map(str::to_string);
    Params::builder()
        .set_bucket(owned(p.bucket()))
        .set_region(owned(p.region()))
        .set_use_fips(p.use_fips())
        .set_use_dual_stack(p.use_dual_stack())
        .set_endpoint(owned(p.endpoint()))
        .set_force_path_style(Some(true))
        .set_accelerate(p.accelerate())
        .set_use_global_endpoint(p.use_global_endpoint())
        .set_use_object_lambda_endpoint(p.use_object_lambda_endpoint())
        .set_key(owned(p.key()))
        .set_prefix(owned(p.prefix()))
        .set_copy_source(owned(p.copy_source()))
        .set_disable_access_points(p.disable_access_points())
        .set_disable_multi_region_access_points(p.disable_multi_region_access_points())
        .set_use_arn_region(p.use_arn_region())
        .set_use_s3_express_control_endpoint(p.use_s3_express_control_endpoint())
        .set_disable_s3_express_session_auth(p.disable_s3_express_session_auth())
        .build()
}

/// Remembers where requests went (`scheme://host:port`), for "could not reach" messages.
#[derive(Debug, Clone, Default)]
pub(super) struct LastEndpoint(Arc<Mutex<Option<String>>>);

impl LastEndpoint {
    fn describe(&self, client: &Client) -> String {
        let seen = self.0.lock().ok().and_then(|slot| slot.clone());
        seen.unwrap_or_else(|| match client.config().region() {
            Some(region) => format!("the S3 endpoint of {region}"),
            None => "S3 (no region configured: set AWS_REGION)".to_string(),
        })
    }
}

impl Intercept for LastEndpoint {
    fn name(&self) -> &'static str {
        "LastEndpoint"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(origin(context.request().uri()));
        }
        Ok(())
    }
}

/// `scheme://host:port` of a URI, without any user info.
fn origin(uri: &str) -> String {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("", uri));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}")
}

/// An S3 API call, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Call {
    PutObject,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    GetObject,
    ListObjectsV2,
    DeleteObject,
}

impl Call {
    /// The IAM action the call needs.
    fn permission(self) -> &'static str {
        match self {
            Call::PutObject | Call::CreateMultipartUpload | Call::UploadPart | Call::CompleteMultipartUpload => {
                "s3:PutObject"
            }
            Call::AbortMultipartUpload => "s3:AbortMultipartUpload",
            Call::GetObject => "s3:GetObject",
            Call::ListObjectsV2 => "s3:ListBucket",
            Call::DeleteObject => "s3:DeleteObject",
        }
    }

    fn writes(self) -> bool {
        self.permission() == "s3:PutObject"
    }
}

/// One line saying which call failed on what, why, and what to do.
/// `object` is the full object key (or key prefix, for a list). What S3
/// said passes `redact`, so an error that echoes a request shows no
/// credential.
pub(super) fn message<E>(d: &S3Destination, call: Call, object: &str, err: &SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    crate::redact::redacted(&unmasked(d, call, object, err))
}

fn unmasked<E>(d: &S3Destination, call: Call, object: &str, err: &SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut text = format!("S3 {call:?} s3://{}/{object} failed: ", d.bucket);
    if matches!(err, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) {
        let _ = write!(
            text,
            "could not reach S3 at {} ({}). Check the network, AWS_REGION and AWS_ENDPOINT_URL",
            d.endpoint.describe(&d.client),
            chain(err)
        );
        return text;
    }
    let status = err.raw_response().map(|r| r.status().as_u16());
    let Some(code) = err.code() else {
        if let Some(status) = status {
            let _ = write!(text, "HTTP {status}: ");
        }
        text.push_str(&chain(err));
        return text;
    };
    text.push_str(code);
    if let Some(status) = status {
        let _ = write!(text, " ({status})");
    }
    if let Some(message) = err.message() {
        let _ = write!(text, ": {}", message.trim_end_matches('.'));
    }
    text.push_str(&advice(d, call, code));
    text
}

/// An error and its sources, `outer: inner: innermost` (the SDK's own
/// `Display` stops at the outermost, e.g. "dispatch failure").
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.last().is_some_and(|last| last.ends_with(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

fn advice(d: &S3Destination, call: Call, code: &str) -> String {
    let bucket = &d.bucket;
    let kms_key = match &d.sse {
        Sse::Kms { key_id } => Some(key_id.as_str()),
        Sse::BucketDefault => None,
    };
    match code {
        "AccessDenied" | "AllAccessDisabled" => {
            let resource = match (call, d.prefix.as_str()) {
                (Call::ListObjectsV2, _) => format!("arn:aws:s3:::{bucket}"),
                (_, "") => format!("arn:aws:s3:::{bucket}/*"),
                (_, prefix) => format!("arn:aws:s3:::{bucket}/{prefix}/*"),
            };
            let mut text = format!(". The role needs {} on {resource}", call.permission());
            match kms_key {
                Some(key) if call.writes() => {
                    let _ = write!(text, ", and kms:GenerateDataKey and kms:Decrypt on the KMS key {key}");
                }
                Some(key) if call == Call::GetObject => {
                    let _ = write!(text, ", and kms:Decrypt on the KMS key {key}");
                }
                _ => {}
            }
            if call == Call::GetObject {
                let _ = write!(
                    text,
                    " (S3 also answers AccessDenied for a missing key when the role lacks s3:ListBucket on arn:aws:s3:::{bucket})"
                );
            }
            text
        }
        "NoSuchBucket" => format!(". The bucket {bucket} does not exist: check the bucket name in ARCHIVE_DEST"),
        "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken" | "InvalidToken" => {
            ". S3 did not accept the AWS credentials: check the role, AWS_PROFILE or AWS_ACCESS_KEY_ID".to_string()
        }
        "PermanentRedirect" | "AuthorizationHeaderMalformed" => {
            format!(". The bucket {bucket} is in another region: set AWS_REGION to the bucket's region")
        }
        "EntityTooSmall" => ". Every part but the last must be at least 5 MiB".to_string(),
        code if code.starts_with("KMS") => format!(
            ". Check that the KMS key {} exists, is enabled and the role may use it",
            kms_key.unwrap_or("of the bucket")
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_keeps_scheme_and_host_only() {
        assert_eq!(origin("http://127.0.0.1:5000/bkt/a/b?x=1"), "http://127.0.0.1:5000");
        assert_eq!(
            origin("https://bkt.s3.eu-west-1.amazonaws.com/?list-type=2"),
            "https://bkt.s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(origin("https://user:secret@host:9000/b"), "https://host:9000");
    }

    #[test]
    fn access_denied_names_the_action_and_resource() {
        let dir = tempfile::tempdir().unwrap();
        let client = Client::from_conf(aws_sdk_s3::Config::builder().behavior_version_latest().build());
        let kms = Sse::Kms { key_id: "alias/archive".into() };
        let cases = [
            ("p", Sse::BucketDefault, Call::PutObject, ". The role needs s3:PutObject on arn:aws:s3:::bkt/p/*"),
            ("", Sse::BucketDefault, Call::DeleteObject, ". The role needs s3:DeleteObject on arn:aws:s3:::bkt/*"),
            ("p", Sse::BucketDefault, Call::ListObjectsV2, ". The role needs s3:ListBucket on arn:aws:s3:::bkt"),
            (
                "p",
                kms.clone(),
                Call::UploadPart,
                ". The role needs s3:PutObject on arn:aws:s3:::bkt/p/*, and kms:GenerateDataKey and kms:Decrypt on the KMS key alias/archive",
            ),
            (
                "p",
                kms,
                Call::GetObject,
                ". The role needs s3:GetObject on arn:aws:s3:::bkt/p/*, and kms:Decrypt on the KMS key alias/archive (S3 also answers AccessDenied for a missing key when the role lacks s3:ListBucket on arn:aws:s3:::bkt)",
            ),
        ];
        for (prefix, sse, call, want) in cases {
            let d = S3Destination::new(client.clone(), "bkt", prefix, sse, dir.path().into());
            assert_eq!(advice(&d, call, "AccessDenied"), want, "{call:?}");
        }
    }

    async fn resolve(endpoint: Option<&str>) -> String {
        let params = Params::builder()
            .bucket("bkt")
            .region("eu-west-1")
            .set_endpoint(endpoint.map(str::to_string))
            .key("a/b.parquet")
            .build()
            .unwrap();
        PathStyleWhenOverridden::default().resolve_endpoint(&params).await.unwrap().url().to_string()
    }

    #[tokio::test]
    async fn overridden_endpoints_use_path_style_and_aws_does_not() {
        assert_eq!(resolve(Some("http://localhost:9000")).await, "http://localhost:9000/bkt");
        assert_eq!(resolve(None).await, "https://bkt.s3.eu-west-1.amazonaws.com");
    }

    #[test]
    fn path_style_keeps_every_other_parameter() {
        let params = Params::builder()
            .bucket("bkt")
            .region("eu-west-1")
            .use_fips(true)
            .use_dual_stack(true)
            .endpoint("http://x")
            .accelerate(true)
            .use_global_endpoint(true)
            .use_object_lambda_endpoint(true)
            .key("k")
            .prefix("p")
            .copy_source("c")
            .disable_access_points(true)
            .disable_multi_region_access_points(true)
            .use_arn_region(true)
            .use_s3_express_control_endpoint(true)
            .disable_s3_express_session_auth(true);
        let want = params.clone().force_path_style(true).build().unwrap();
        assert_eq!(path_style(&params.build().unwrap()).unwrap(), want);
    }
}
