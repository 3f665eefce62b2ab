import COpenSSL

/// SHA-256 and HMAC-SHA256 from the system's OpenSSL libcrypto, which libpq already loads into
/// the process: one crypto library mapped instead of two, and no Foundation pulled in with it
/// (swift-crypto imports Foundation on Linux, which alone costs several MB of resident memory).
public enum SHA256 {
    public static let byteCount = 32

    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = Array(bytes).withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == byteCount, "EVP_Digest(SHA-256) failed")
        return digest
    }

    /// The digest as 64 lowercase hexadecimal digits.
    public static func hexHash(_ bytes: some Collection<UInt8>) -> String {
        hexadecimal(hash(bytes))
    }

    public static func hmac(key: [UInt8], message: some Collection<UInt8>) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let result = Array(message).withUnsafeBytes { input in
            key.withUnsafeBytes { keyBytes in
                HMAC(
                    EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count), input.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    input.count, &mac, &length)
            }
        }
        precondition(result != nil && length == byteCount, "HMAC(SHA-256) failed")
        return mac
    }

    /// Whether two byte strings are equal, in time that does not depend on where they differ.
    public static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        return left.withUnsafeBytes { l in right.withUnsafeBytes { r in CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0 } }
    }
}

/// Lowercase hexadecimal, two digits a byte (digests, `bytea` literals).
public func hexadecimal(_ bytes: some Collection<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}
