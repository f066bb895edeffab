//! The STS Query protocol's response bodies: the `GetWebIdentityToken`
//! result and the error document, as AWS STS sends them and the AWS SDKs
//! parse them.
//!
//! Takes the token, its expiry, an [`StsError`] and the request id; hands
//! on XML text. Shapes from the STS API reference
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetWebIdentityToken.html>)
//! and its common errors
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html>).
//! Error messages never carry a token.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};

/// The namespace of STS 2011-06-15 documents.
const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Who is at fault, STS's `<Type>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The caller (4xx).
    Sender,
    /// STS (5xx).
    Receiver,
}

/// An STS error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsError {
    pub status: StatusCode,
    pub fault: Fault,
    /// `<Code>`, which the SDKs map to typed errors, e.g.
    /// `OutboundWebIdentityFederationDisabledException`.
    pub code: &'static str,
    pub message: String,
}

impl StsError {
    /// A caller's error.
    pub fn sender(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        StsError { status, fault: Fault::Sender, code, message: message.into() }
    }

    /// The `<ErrorResponse>` document.
    pub fn to_xml(&self, request_id: &str) -> String {
        let fault = match self.fault {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
        };
        format!(
            "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{fault}</Type>\n    <Code>{}</Code>\n    \
             <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
            escape(self.code),
            escape(&self.message),
            escape(request_id),
        )
    }
}

/// The `<GetWebIdentityTokenResponse>` document.
pub fn web_identity_token(token: &str, expiration: DateTime<Utc>, request_id: &str) -> String {
    format!(
        "<GetWebIdentityTokenResponse xmlns=\"{NAMESPACE}\">\n  <GetWebIdentityTokenResult>\n    \
         <WebIdentityToken>{}</WebIdentityToken>\n    <Expiration>{}</Expiration>\n  \
         </GetWebIdentityTokenResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  \
         </ResponseMetadata>\n</GetWebIdentityTokenResponse>\n",
        escape(token),
        expiration.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        escape(request_id),
    )
}

/// XML character data.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_document() {
        let e = StsError::sender(StatusCode::FORBIDDEN, "AccessDenied", "User: a<b> is not 'allowed' & so on");
        assert_eq!(
            e.to_xml("r-1"),
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    \
             <Type>Sender</Type>\n    <Code>AccessDenied</Code>\n    <Message>User: a&lt;b&gt; is not \
             &apos;allowed&apos; &amp; so on</Message>\n  </Error>\n  <RequestId>r-1</RequestId>\n\
             </ErrorResponse>\n"
        );
        let down = StsError { fault: Fault::Receiver, ..e };
        assert!(down.to_xml("r").contains("<Type>Receiver</Type>"));
    }

    #[test]
    fn result_document() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T10:05:00.25Z").unwrap().to_utc();
        let xml = web_identity_token("eyJ.a.b", at, "r-2");
        assert!(xml.starts_with("<GetWebIdentityTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"));
        assert!(xml.contains("<WebIdentityToken>eyJ.a.b</WebIdentityToken>"));
        assert!(xml.contains("<Expiration>2026-11-24T10:05:00.250Z</Expiration>"));
        assert!(xml.contains("<ResponseMetadata>\n    <RequestId>r-2</RequestId>"));
    }
}
