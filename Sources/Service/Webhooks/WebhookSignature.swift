import Digests
public import FoundationEssentials

/// Standard Webhooks 1.0 (standardwebhooks.com): secrets written `whsec_<base64>`, and the
/// signature `v1,<base64 of HMAC-SHA256 over "id.timestamp.body">` keyed by the secret's bytes.
public enum WebhookSignature {
    /// Bytes of a new secret (the specification asks for 24 to 64).
    static let secretLength = 32

    /// A new random secret.
    static func newSecret() -> [UInt8] { RandomBytes.take(secretLength) }

    /// How the secret is shown to the client, once.
    public static func text(of secret: [UInt8]) -> String { "whsec_" + Data(secret).base64EncodedString() }

    /// The `webhook-signature` value: one `v1,` entry per secret, space-separated (two while a
    /// rotated secret still signs).
    public static func header(id: String, timestamp: Int64, body: [UInt8], secrets: [[UInt8]]) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        return secrets.map { "v1," + Data(SHA256.hmac(key: $0, message: signed)).base64EncodedString() }.joined(separator: " ")
    }
}
