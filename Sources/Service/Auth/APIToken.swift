import Digests
import FoundationEssentials

/// API tokens: `ctk_` and 43 base64url characters (256 random bits). Only their SHA-256 is stored.
public enum APIToken {
    public static let prefix = "ctk_"

    /// A new random token, to show once.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return prefix + Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    /// The stored form: SHA-256 of the token's UTF-8 bytes.
    public static func hash(_ token: String) -> [UInt8] {
        SHA256.hash(token.utf8)
    }

    /// `bytea` text input (`\x…`) for a hash.
    public static func byteaHex(_ bytes: [UInt8]) -> String {
        "\\x" + hexadecimal(bytes)
    }

    /// Whether `token` can be one of ours at all: checked before any hashing or lookup.
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count <= 128 && token.hasPrefix(prefix)
            && token.utf8.dropFirst(prefix.utf8.count).allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
            }
    }
}
