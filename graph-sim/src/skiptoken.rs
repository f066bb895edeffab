//! Opaque `$skiptoken` values: a keyset position sealed to one query.
//!
//! A token carries the (time, id) of the last record a page returned, plus a
//! truncated SHA-256 over a per-sim key, the dataset path and the canonical
//! filter range. Decoding checks that seal, so a tampered token, one from
//! another sim, or one replayed against a different filter is rejected instead
//! of silently returning the wrong records. Tokens are lowercase hex.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;
const MAC_LEN: usize = 16;

/// Position after which the next page starts (exclusive, newest-first order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// Event time of the last record returned.
    pub time: DateTime<Utc>,
    /// Id of the last record returned.
    pub id: String,
}

/// Secret that seals skip tokens of one simulator instance.
#[derive(Clone)]
pub struct SkipTokenKey([u8; 32]);

impl std::fmt::Debug for SkipTokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SkipTokenKey(***)")
    }
}

impl SkipTokenKey {
    /// Derives the key from the sim's seed and tenant, so tokens are
    /// reproducible across runs of the same configuration.
    pub fn new(seed: u64, tenant: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"graph-sim skiptoken v1\0");
        h.update(seed.to_be_bytes());
        h.update(tenant.as_bytes());
        SkipTokenKey(h.finalize().into())
    }

    fn mac(&self, scope: &str, payload: &[u8]) -> [u8; MAC_LEN] {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update((scope.len() as u64).to_be_bytes());
        h.update(scope.as_bytes());
        h.update(payload);
        let full: [u8; 32] = h.finalize().into();
        let mut out = [0; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// Encodes `cursor` for the query identified by `scope` (dataset path and
    /// canonical filter).
    pub fn encode(&self, scope: &str, cursor: &Cursor) -> String {
        let id = cursor.id.as_bytes();
        let mut payload = Vec::with_capacity(1 + 12 + 4 + id.len() + MAC_LEN);
        payload.push(VERSION);
        payload.extend_from_slice(&cursor.time.timestamp().to_be_bytes());
        payload.extend_from_slice(&cursor.time.timestamp_subsec_nanos().to_be_bytes());
        payload.extend_from_slice(&(id.len() as u32).to_be_bytes());
        payload.extend_from_slice(id);
        let mac = self.mac(scope, &payload);
        payload.extend_from_slice(&mac);
        hex_encode(&payload)
    }

    /// Decodes a token produced by [`SkipTokenKey::encode`] for the same
    /// scope; `None` for anything else.
    pub fn decode(&self, scope: &str, token: &str) -> Option<Cursor> {
        let bytes = hex_decode(token)?;
        let (payload, mac) = bytes.split_at_checked(bytes.len().checked_sub(MAC_LEN)?)?;
        if self.mac(scope, payload) != mac {
            return None;
        }
        let (&version, rest) = payload.split_first()?;
        if version != VERSION {
            return None;
        }
        let (secs, rest) = rest.split_first_chunk::<8>()?;
        let (nanos, rest) = rest.split_first_chunk::<4>()?;
        let (len, id) = rest.split_first_chunk::<4>()?;
        if id.len() != u32::from_be_bytes(*len) as usize {
            return None;
        }
        let time = DateTime::from_timestamp(i64::from_be_bytes(*secs), u32::from_be_bytes(*nanos))?;
        let id = String::from_utf8(id.to_vec()).ok()?;
        Some(Cursor { time, id })
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 0xf)] as char);
    }
    s
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    s.as_bytes().chunks(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor {
            time: DateTime::parse_from_rfc3339("2026-11-24T08:15:41.6195833Z").unwrap().to_utc(),
            id: "SSGM_b662f17a-4e4d-4e1c-9248-cdec180024b2_MCDC4_88453290".to_owned(),
        }
    }

    const SCOPE: &str = "/v1.0/auditLogs/directoryAudits\n[*,*]";

    #[test]
    fn round_trips() {
        let key = SkipTokenKey::new(42, "tenant");
        let token = key.encode(SCOPE, &cursor());
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key.decode(SCOPE, &token), Some(cursor()));
        // Deterministic for the same key and input.
        assert_eq!(SkipTokenKey::new(42, "tenant").encode(SCOPE, &cursor()), token);
    }

    #[test]
    fn rejects_tampering_in_every_position() {
        let key = SkipTokenKey::new(42, "tenant");
        let token = key.encode(SCOPE, &cursor());
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert_eq!(key.decode(SCOPE, &tampered), None, "position {i}");
        }
        assert_eq!(key.decode(SCOPE, &token[..token.len() - 2]), None);
        assert_eq!(key.decode(SCOPE, &token.to_uppercase()), None);
        assert_eq!(key.decode(SCOPE, ""), None);
        assert_eq!(key.decode(SCOPE, "zz"), None);
    }

    #[test]
    fn rejects_foreign_scope_and_key() {
        let key = SkipTokenKey::new(42, "tenant");
        let token = key.encode(SCOPE, &cursor());
        assert_eq!(key.decode("/v1.0/auditLogs/signIns\n[*,*]", &token), None);
        assert_eq!(key.decode("/v1.0/auditLogs/directoryAudits\n[*,2026-01-01T00:00:00Z]", &token), None);
        assert_eq!(SkipTokenKey::new(43, "tenant").decode(SCOPE, &token), None);
        assert_eq!(SkipTokenKey::new(42, "other").decode(SCOPE, &token), None);
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", SkipTokenKey::new(1, "t")), "SkipTokenKey(***)");
    }
}
