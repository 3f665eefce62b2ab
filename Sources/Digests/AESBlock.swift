import COpenSSL

/// AES-256 on exactly one 16-byte block, from the system's libcrypto: a keyed permutation of
/// 16-byte values. Used to make an id opaque where it must travel through a client and come back
/// (list cursors): unique inputs need no mode, nonce or padding.
public struct AESBlock: Sendable {
    private let key: [UInt8]

    /// `key`: 32 bytes (derive it from a secret with ``SHA256/hmac(key:message:)``).
    public init(key: [UInt8]) {
        precondition(key.count == 32, "AES-256 takes a 32-byte key")
        self.key = key
    }

    public func encrypt(_ block: [UInt8]) -> [UInt8] { transform(block, encrypt: true) }
    public func decrypt(_ block: [UInt8]) -> [UInt8] { transform(block, encrypt: false) }

    private func transform(_ block: [UInt8], encrypt: Bool) -> [UInt8] {
        precondition(block.count == 16, "one AES block is 16 bytes")
        let context = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: 32)
        var written: Int32 = 0
        var ok = EVP_CipherInit_ex(context, EVP_aes_256_ecb(), nil, key, nil, encrypt ? 1 : 0) == 1
        ok = ok && EVP_CIPHER_CTX_set_padding(context, 0) == 1
        ok = ok && EVP_CipherUpdate(context, &output, &written, block, 16) == 1
        precondition(ok && written == 16, "AES-256 on one block failed")
        return Array(output.prefix(16))
    }
}
