//! Scrubs credentials out of text a server sent, before it becomes a message.
//!
//! Takes any text built from a response body, a header or a URL (Graph and
//! token-endpoint errors, AWS error messages) and hands it back with every
//! credential replaced by `***`: JWT-shaped tokens (`eyJ…`), `Bearer …` and
//! `Authorization: …` values, the `client_secret`, `client_assertion`,
//! `private_key_pem` and `access_token` fields (form-encoded, JSON or plain),
//! PEM private-key blocks, and every secret value this process was given
//! ([`remember`]). A server that echoes the request therefore puts nothing of
//! it into logs, errors, summaries, `doctor`, `--json` or Lambda responses.
//! Text without any of these shapes (GUIDs, times, Graph's own messages) is
//! returned untouched, without a copy. Never logs what it removes.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Mutex;

/// What every credential becomes.
const MASK: &str = "***";

/// Values shorter than this are not remembered: they would mask common words.
const MIN_REMEMBERED: usize = 8;

/// How many secret values are remembered (the oldest is forgotten first).
const MAX_REMEMBERED: usize = 16;

/// Fields whose value is a credential, wherever they appear.
const SECRET_FIELDS: [&str; 4] = ["client_secret", "client_assertion", "private_key_pem", "access_token"];

/// Words that are an `Authorization` scheme rather than its credentials.
const AUTH_SCHEMES: [&str; 6] = ["bearer", "basic", "digest", "negotiate", "pop", "sharedkey"];

/// Secret values this process holds, each with the spellings a server may
/// echo it in (as sent in a form, as escaped in JSON).
static REMEMBERED: Mutex<Vec<Vec<String>>> = Mutex::new(Vec::new());

/// Remembers a secret value (the client secret, a private key) so that
/// [`redact`] masks it wherever it turns up. Short values are ignored.
pub(crate) fn remember(value: &str) {
    let value = value.trim();
    if value.len() < MIN_REMEMBERED {
        return;
    }
    let mut spellings = vec![value.to_string()];
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let json = serde_json::to_string(value).expect("strings serialise");
    for other in [form, json[1..json.len() - 1].to_string()] {
        if !spellings.contains(&other) {
            spellings.push(other);
        }
    }
    // Longest first, so a spelling that contains another is masked whole.
    spellings.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut remembered = REMEMBERED.lock().unwrap_or_else(|e| e.into_inner());
    if remembered.iter().any(|known| known[0] == spellings[0]) {
        return;
    }
    if remembered.len() == MAX_REMEMBERED {
        remembered.remove(0);
    }
    remembered.push(spellings);
}

/// `text` with every credential replaced by `***` (borrowed when there was
/// nothing to mask).
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    let passes: [fn(&str) -> Cow<'_, str>; 6] = [remembered, pem_blocks, secret_fields, authorization, bearer, jwts];
    let mut current = Cow::Borrowed(text);
    for pass in passes {
        let masked = match pass(&current) {
            Cow::Owned(s) => Some(s),
            Cow::Borrowed(_) => None,
        };
        if let Some(s) = masked {
            current = Cow::Owned(s);
        }
    }
    current
}

/// [`redact`] into an owned `String`, for message fields.
pub(crate) fn redacted(text: &str) -> String {
    redact(text).into_owned()
}

/// Replaces each span `next(text, from)` finds (the first at or after
/// `from`) with [`MASK`].
fn mask_spans(text: &str, next: impl Fn(&str, usize) -> Option<Range<usize>>) -> Cow<'_, str> {
    let mut out = String::new();
    let mut done = 0;
    while let Some(span) = next(text, done) {
        out.push_str(&text[done..span.start]);
        out.push_str(MASK);
        done = span.end;
    }
    if done == 0 && out.is_empty() {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

/// Where `needle` (ASCII, lower case) next occurs in `text` at or after
/// `from`, ignoring ASCII case.
fn find_ignoring_case(text: &str, needle: &str, from: usize) -> Option<usize> {
    let hay = text.as_bytes().get(from..)?;
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle.as_bytes())).map(|at| from + at)
}

/// The end of the run of bytes from `from` that `keep` accepts (ASCII only,
/// so the end is always a character boundary).
fn run_end(text: &str, from: usize, keep: impl Fn(u8) -> bool) -> usize {
    let bytes = text.as_bytes();
    let mut end = from;
    while end < bytes.len() && bytes[end].is_ascii() && keep(bytes[end]) {
        end += 1;
    }
    end
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A character of an RFC 9110 `token68` (before its `=` padding).
fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// A character of an unquoted credential value (a form field, a token).
/// Closing brackets end one too: a form encodes them, and a secret this
/// process holds is masked whole by [`remembered`] anyway.
fn is_value(b: u8) -> bool {
    !(b.is_ascii_whitespace()
        || matches!(b, b'&' | b'"' | b'\'' | b'\\' | b'<' | b'>' | b',' | b';' | b')' | b']' | b'}'))
}

fn remembered(text: &str) -> Cow<'_, str> {
    let remembered = REMEMBERED.lock().unwrap_or_else(|e| e.into_inner());
    let mut spellings: Vec<&String> = remembered.iter().flatten().filter(|s| text.contains(s.as_str())).collect();
    if spellings.is_empty() {
        return Cow::Borrowed(text);
    }
    spellings.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_string();
    for s in spellings {
        out = out.replace(s.as_str(), MASK);
    }
    Cow::Owned(out)
}

/// `-----BEGIN … PRIVATE KEY-----` through its `-----END …-----` (or the end
/// of the text, when it was cut).
fn pem_blocks(text: &str) -> Cow<'_, str> {
    mask_spans(text, |text, from| {
        let mut at = from;
        loop {
            let start = text.get(at..)?.find("-----BEGIN ")? + at;
            let header_end = text[start + 11..].find("-----").map(|i| start + 11 + i + 5);
            let Some(header_end) = header_end else { return Some(start..text.len()) };
            if !text[start..header_end].contains("PRIVATE KEY") {
                at = header_end;
                continue;
            }
            let end = text[header_end..]
                .find("-----END ")
                .and_then(|i| {
                    let tail = header_end + i + 9;
                    text[tail..].find("-----").map(|j| tail + j + 5)
                })
                .unwrap_or(text.len());
            return Some(start..end);
        }
    })
}

/// The value of `client_secret=…`, `"client_assertion": "…"`,
/// `private_key_pem%3D…` and the like (the name is kept).
fn secret_fields(text: &str) -> Cow<'_, str> {
    mask_spans(text, |text, from| {
        SECRET_FIELDS.iter().filter_map(|name| field_value(text, name, from)).min_by_key(|span| span.start)
    })
}

/// The span of the first value of field `name` at or after `from`.
fn field_value(text: &str, name: &str, from: usize) -> Option<Range<usize>> {
    let mut at = from;
    loop {
        let found = find_ignoring_case(text, name, at)?;
        at = found + name.len();
        let rest = &text[at..];
        let lower = rest.get(..3).map(str::to_ascii_lowercase);
        if rest.starts_with('=') || rest.starts_with(':') {
            at += 1;
        } else if lower.as_deref() == Some("%3d") {
            at += 3;
        } else if rest.starts_with("\":") || rest.starts_with("\\\":") {
            at += rest.find(':').expect("checked") + 1;
        } else {
            continue;
        }
        let (start, end) = value_after(text, at);
        if end > start && !text[start..].starts_with(MASK) {
            return Some(start..end);
        }
    }
}

/// The value that starts at `at` (after spaces and an opening quote): up to
/// the closing quote when quoted, else to the next separator.
fn value_after(text: &str, at: usize) -> (usize, usize) {
    let start = run_end(text, at, |b| b == b' ');
    let quote = text[start..].strip_prefix("\\\"").map(|_| 2).or(text[start..].strip_prefix('"').map(|_| 1));
    match quote {
        Some(len) => {
            let start = start + len;
            let end = text[start..].find(['"', '\\']).map_or(text.len(), |i| start + i);
            (start, end)
        }
        None => (start, run_end(text, start, is_value)),
    }
}

/// The value of an `Authorization` header or field: its scheme and
/// credentials (`Authorization: ***`).
fn authorization(text: &str) -> Cow<'_, str> {
    mask_spans(text, |text, from| {
        let mut at = from;
        loop {
            let found = find_ignoring_case(text, "authorization", at)?;
            at = found + "authorization".len();
            let sep = run_end(text, at, |b| b == b'"' || b == b'\\');
            if !matches!(text.as_bytes().get(sep), Some(b':' | b'=')) {
                continue;
            }
            let (start, mut end) = value_after(text, sep + 1);
            if AUTH_SCHEMES.iter().any(|s| text[start..end].eq_ignore_ascii_case(s)) {
                let credentials = run_end(text, end, |b| b == b' ');
                let after = run_end(text, credentials, is_value);
                if after > credentials {
                    end = after;
                }
            }
            if end > start && !text[start..].starts_with(MASK) {
                return Some(start..end);
            }
        }
    })
}

/// The token after `Bearer ` (the word is kept). Short all-letter words are
/// prose ("Bearer realm"), not tokens.
fn bearer(text: &str) -> Cow<'_, str> {
    mask_spans(text, |text, from| {
        let mut at = from;
        loop {
            let found = find_ignoring_case(text, "bearer", at)?;
            at = found + "bearer".len();
            let start = run_end(text, at, |b| b == b' ' || b == b'\t');
            if start == at {
                continue;
            }
            let end = run_end(text, start, is_token68);
            let token = &text[start..end];
            let word = token.bytes().all(|b| b.is_ascii_alphabetic());
            if token.is_empty() || (word && text[end..].starts_with('=')) {
                continue; // an auth-param, `Bearer realm="…"`
            }
            if token.len() >= 16 || !word {
                return Some(start..run_end(text, end, |b| b == b'='));
            }
        }
    })
}

/// JWTs and anything cut from one: `eyJ` and the base64url segments (with
/// their dots) that follow it.
fn jwts(text: &str) -> Cow<'_, str> {
    mask_spans(text, |text, from| {
        let mut at = from;
        loop {
            let start = text.get(at..)?.find("eyJ")? + at;
            at = start + 3;
            if start > 0 && is_base64url(text.as_bytes()[start - 1]) {
                continue;
            }
            let end = run_end(text, start, |b| is_base64url(b) || b == b'.');
            if end - start >= 10 {
                return Some(start..end);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXNpZw";

    #[test]
    fn each_credential_shape_is_masked() {
        let cases: Vec<(String, &str)> = vec![
            (format!("token {JWT} rejected"), "token *** rejected"),
            (format!("cut: {}", &JWT[..40]), "cut: ***"),
            (format!("Authorization: Bearer {JWT}"), "Authorization: ***"),
            (format!("echo: authorization=Bearer {JWT}&x=1"), "echo: authorization=***&x=1"),
            (r#"{"Authorization":"Basic dXNlcjpwYXNz"}"#.into(), r#"{"Authorization":"***"}"#),
            ("got Bearer opaque-token-123 here".into(), "got Bearer *** here"),
            ("client_id=c&client_secret=sim%7ESecret.Value&scope=x".into(), "client_id=c&client_secret=***&scope=x"),
            ("client_secret=abc~def ghi".into(), "client_secret=*** ghi"),
            ("CLIENT_SECRET%3Dabc%26scope".into(), "CLIENT_SECRET%3D***"),
            (
                format!("client_assertion_type=jwt&client_assertion={JWT}"),
                "client_assertion_type=jwt&client_assertion=***",
            ),
            (r#"{"client_secret": "s3cr3t\"x"}"#.into(), r#"{"client_secret": "***\"x"}"#),
            (r#"{\"private_key_pem\":\"abc\"}"#.into(), r#"{\"private_key_pem\":\"***\"}"#),
            (r#"{"access_token":"opaque"}"#.into(), r#"{"access_token":"***"}"#),
            ("key -----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY----- end".into(), "key *** end"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEv (cut)".into(), "***"),
        ];
        for (text, want) in cases {
            assert_eq!(redact(&text), want, "{text}");
        }
    }

    #[test]
    fn ordinary_text_is_untouched_and_not_copied() {
        let keep = [
            "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5",
            "2026-11-24T09:00:00.6195833Z",
            "/v1.0/auditLogs/signIns?$filter=createdDateTime ge 2026-11-24T08:00:00Z&$top=1000",
            "Lifetime validation failed, the token is expired.",
            "Bearer realm=\"\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            "AADSTS7000215: Invalid client secret provided. Check the client_secret value.",
            "token_type: Bearer",
            "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----",
            "no authorization given",
            "",
        ];
        for text in keep {
            assert!(matches!(redact(text), Cow::Borrowed(t) if t == text), "{text}: {}", redact(text));
        }
    }

    #[test]
    fn remembered_secrets_are_masked_in_every_spelling() {
        let secret = "Rem~ember.Me_0123456789\"x";
        remember(secret);
        remember("short");
        let text = format!("a {secret} b Rem%7Eember.Me_0123456789%22x c {}", serde_json::to_string(secret).unwrap());
        assert_eq!(redact(&text), "a *** b *** c \"***\"");
        assert_eq!(redact("short words stay"), "short words stay");
    }

    #[test]
    fn masking_twice_changes_nothing() {
        let once = redacted(&format!("(Authorization: Bearer {JWT}) (client_secret=abc)"));
        assert_eq!(once, "(Authorization: ***) (client_secret=***)");
        assert!(matches!(redact(&once), Cow::Borrowed(_)), "{}", redact(&once));
    }
}
