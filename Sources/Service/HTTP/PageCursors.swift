import Crypto
import Foundation

/// Opaque list cursors: the last id of a page, versioned and signed (HMAC-SHA256, truncated), so a
/// cursor the server did not issue is recognised and refused (400) instead of being trusted.
/// Instances sharing `secret` accept each other's cursors.
public struct PageCursors: Sendable {
    /// The key's bytes (`SymmetricKey` is not `Sendable`; it is rebuilt per use, cheaply).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    private static let version: UInt8 = 1

    public init(secret: String) {
        keyBytes = Array(SHA256.hash(data: Data(("contacts.cursor:" + secret).utf8)))
    }

    public func issue(after id: ULID) -> String {
        var payload = Data([Self.version])
        withUnsafeBytes(of: id.uuid.uuid) { payload.append(contentsOf: $0) }
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key)
        payload.append(contentsOf: Data(mac).prefix(12))
        return payload.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The id a cursor points after, or `nil` for anything this server did not issue.
    public func read(_ cursor: String) -> ULID? {
        guard cursor.count <= 64 else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        guard let data = Data(base64Encoded: base64), data.count == 29, data.first == Self.version else { return nil }
        let payload = data.prefix(17)
        let mac = Data(HMAC<SHA256>.authenticationCode(for: payload, using: key)).prefix(12)
        guard mac == data.suffix(12) else { return nil }
        let b = Array(payload.dropFirst())
        return ULID(uuid: UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])))
    }
}
