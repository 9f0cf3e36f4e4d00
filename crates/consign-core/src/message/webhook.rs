//! Webhook signatures as the Standard Webhooks specification defines them: the headers
//! `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">`, secrets written `whsec_<base64>`, and several signatures at once
//! while a secret is being rotated. Pure: the caller supplies the instant and the secret's
//! random bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix every secret is written with.
pub const SECRET_PREFIX: &str = "whsec_";

/// A signing secret: the key bytes, shown to the endpoint's owner as `whsec_<base64>`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    // Never printed: logs and panics must not leak a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    /// A new secret from 24 random bytes (the reference libraries use 24 to 64).
    pub fn from_random(bytes: [u8; 24]) -> Self {
        WebhookSecret(bytes.to_vec())
    }

    /// Reads `whsec_<base64>`; the key must be 24 to 64 bytes.
    pub fn parse(s: &str) -> Result<Self, String> {
        let b64 = s
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| format!("a secret starts with '{SECRET_PREFIX}'"))?;
        let key = STANDARD
            .decode(b64)
            .map_err(|e| format!("the part after '{SECRET_PREFIX}' is not base64: {e}"))?;
        if !(24..=64).contains(&key.len()) {
            return Err(format!(
                "the key is {} bytes; it must be 24 to 64",
                key.len()
            ));
        }
        Ok(WebhookSecret(key))
    }

    /// The written form, `whsec_<base64>`.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The three headers of one delivery attempt. `secrets` are every secret in force (the new one
/// and, during a rotation, the old): the receiver accepts the message if any signature checks.
pub fn signed_headers(
    secrets: &[WebhookSecret],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> [(&'static str, String); 3] {
    let signatures: Vec<String> = secrets
        .iter()
        .map(|s| s.sign(msg_id, timestamp, body))
        .collect();
    [
        ("webhook-id", msg_id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signatures.join(" ")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the specification's reference libraries (svix/webhooks, tests of the
    /// Python and JavaScript packages): this secret, id, timestamp and payload sign to this.
    #[test]
    fn signs_as_the_reference_implementation_does() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = secret.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_round_trip_and_bad_ones_are_named() {
        let s = WebhookSecret::from_random([7; 24]);
        assert_eq!(WebhookSecret::parse(&s.expose()).unwrap(), s);
        assert!(WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(WebhookSecret::parse("whsec_!!!").is_err());
        assert!(
            WebhookSecret::parse("whsec_AAAA")
                .unwrap_err()
                .contains("24 to 64")
        );
        assert_eq!(format!("{s:?}"), "WebhookSecret(…)");
    }

    #[test]
    fn a_rotation_signs_with_every_secret() {
        let (a, b) = (
            WebhookSecret::from_random([1; 24]),
            WebhookSecret::from_random([2; 24]),
        );
        let h = signed_headers(&[a.clone(), b.clone()], "msg_1", 10, b"{}");
        assert_eq!(h[0], ("webhook-id", "msg_1".to_string()));
        assert_eq!(h[1], ("webhook-timestamp", "10".to_string()));
        let sigs: Vec<&str> = h[2].1.split(' ').collect();
        assert_eq!(
            sigs,
            vec![a.sign("msg_1", 10, b"{}"), b.sign("msg_1", 10, b"{}")]
        );
    }
}
