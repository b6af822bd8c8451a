//! Viewer tokens: short-lived, signed, read-only credentials for one organization that an
//! integrator's backend mints (`POST /v1/viewer-tokens`) to embed the Activity Logs page for its
//! customer. Optionally limited to one actor, one resource or some areas, and to exporting.
//!
//! Form: `trail_vt_` + base64url(JSON claims) + `.` + base64url(Ed25519 signature of
//! `trail-viewer-token.v1.` + the encoded claims). The signing key is generated once and kept in
//! the store's instance settings, so every node sharing a database accepts every node's tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use trail_core::Millis;
use trail_store::Store;

/// Every viewer token starts with this, so secret scanners can spot leaked ones.
pub const PREFIX: &str = "trail_vt_";
const SIGNED_CONTEXT: &[u8] = b"trail-viewer-token.v1.";
const SETTING: &str = "viewer_token_signing_key";

/// What a viewer token grants. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewerClaims {
    /// The organization.
    pub org: String,
    /// Issued at.
    pub iat: i64,
    /// Expires at: the token is refused from then on.
    pub exp: i64,
    /// Only events whose `actor.id` is this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Only events whose `resource.id` is this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Only events of these areas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub areas: Option<Vec<String>>,
    /// Whether the viewer may export what it sees.
    #[serde(default)]
    pub export: bool,
    /// Who is viewing, as the integrator names them: recorded as the actor of the viewer's
    /// audited reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer: Option<ViewerIdentity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewerIdentity {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The key that signs and checks viewer tokens.
pub struct ViewerTokenKey(SigningKey);

impl std::fmt::Debug for ViewerTokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ViewerTokenKey([redacted])")
    }
}

impl ViewerTokenKey {
    /// The instance's key: generated and stored on first use; every node then reads the same one.
    pub async fn load(store: &dyn Store) -> anyhow::Result<ViewerTokenKey> {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        store
            .init_instance_setting(SETTING, &hex::encode(seed))
            .await?;
        let stored = store
            .get_instance_setting(SETTING)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the viewer token key was not stored"))?;
        hex::decode_to_slice(stored.trim(), &mut seed)
            .map_err(|e| anyhow::anyhow!("the stored viewer token key is corrupt ({e})"))?;
        Ok(ViewerTokenKey(SigningKey::from_bytes(&seed)))
    }

    pub fn sign(&self, claims: &ViewerClaims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signature = self.0.sign(&signed_bytes(&payload));
        format!(
            "{PREFIX}{payload}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }

    /// The claims of a token this instance signed that has not expired at `now`; otherwise why
    /// not (`malformed`, `not valid` for a bad signature, `expired`).
    pub fn verify(&self, token: &str, now: Millis) -> Result<ViewerClaims, &'static str> {
        let body = token.strip_prefix(PREFIX).ok_or("malformed")?;
        let (payload, signature) = body.split_once('.').ok_or("malformed")?;
        let signature: [u8; 64] = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or("malformed")?;
        self.0
            .verifying_key()
            .verify_strict(&signed_bytes(payload), &Signature::from_bytes(&signature))
            .map_err(|_| "not valid")?;
        let claims: ViewerClaims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or("malformed")?;
        if claims.exp <= now.0 {
            return Err("expired");
        }
        Ok(claims)
    }
}

fn signed_bytes(payload: &str) -> Vec<u8> {
    [SIGNED_CONTEXT, payload.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ViewerTokenKey {
        ViewerTokenKey(SigningKey::from_bytes(&[7; 32]))
    }

    fn claims() -> ViewerClaims {
        ViewerClaims {
            org: "org_1".into(),
            iat: 1_000,
            exp: 10_000,
            actor: Some("usr_1".into()),
            resource: None,
            areas: Some(vec!["members".into()]),
            export: false,
            viewer: None,
        }
    }

    #[test]
    fn round_trips_until_it_expires() {
        let token = key().sign(&claims());
        assert!(token.starts_with(PREFIX));
        assert_eq!(key().verify(&token, Millis(9_999)), Ok(claims()));
        assert_eq!(key().verify(&token, Millis(10_000)), Err("expired"));
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let token = key().sign(&claims());
        let (payload, signature) = token.strip_prefix(PREFIX).unwrap().split_once('.').unwrap();
        let mut widened = claims();
        widened.actor = None;
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&widened).unwrap());
        let forged = format!("{PREFIX}{forged_payload}.{signature}");
        assert_eq!(key().verify(&forged, Millis(0)), Err("not valid"));
        let other = ViewerTokenKey(SigningKey::from_bytes(&[8; 32]));
        assert_eq!(other.verify(&token, Millis(0)), Err("not valid"));
        assert_eq!(
            key().verify(&format!("{PREFIX}{payload}"), Millis(0)),
            Err("malformed")
        );
        assert_eq!(key().verify("trail_abc", Millis(0)), Err("malformed"));
    }
}
