//! Opaque keyset cursors: the position `(occurred_at, seq)` (or `seq` alone) of the last event of a
//! page, base64url-encoded so that clients treat it as a token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::Millis;

const VERSION: u8 = 1;

/// Where the next page starts: strictly after this position in the page's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub occurred_at: Millis,
    pub seq: u64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(17);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.occurred_at.0.to_be_bytes());
        bytes.extend_from_slice(&self.seq.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(token: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != 17 || bytes[0] != VERSION {
            return None;
        }
        let occurred_at = i64::from_be_bytes(bytes[1..9].try_into().ok()?);
        let seq = u64::from_be_bytes(bytes[9..17].try_into().ok()?);
        Some(Cursor {
            occurred_at: Millis(occurred_at),
            seq,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn cursors_round_trip(at in any::<i64>(), seq in any::<u64>()) {
            let c = Cursor { occurred_at: Millis(at), seq };
            prop_assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
    }

    #[test]
    fn garbage_is_not_a_cursor() {
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }
}
