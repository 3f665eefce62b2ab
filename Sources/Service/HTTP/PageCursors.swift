import Digests
import FoundationEssentials

/// Opaque list cursors: the last id of a page, versioned and signed (HMAC-SHA256, truncated), so a
/// cursor the server did not issue is recognised and refused (400) instead of being trusted.
/// Instances sharing `secret` accept each other's cursors.
public struct PageCursors: Sendable {
    private let key: [UInt8]
    private static let version: UInt8 = 1

    public init(secret: String) {
        key = SHA256.hash(("contacts.cursor:" + secret).utf8)
    }

    public func issue(after id: ULID) -> String {
        var payload = Data([Self.version])
        withUnsafeBytes(of: id.uuid.uuid) { payload.append(contentsOf: $0) }
        payload.append(contentsOf: SHA256.hmac(key: key, message: payload).prefix(12))
        return payload.base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    /// The id a cursor points after, or `nil` for anything this server did not issue.
    public func read(_ cursor: String) -> ULID? {
        guard cursor.count <= 64 else { return nil }
        var base64 = cursor.replacing("-", with: "+").replacing("_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        guard let data = Data(base64Encoded: base64), data.count == 29, data.first == Self.version else { return nil }
        let payload = data.prefix(17)
        let mac = Array(SHA256.hmac(key: key, message: payload).prefix(12))
        guard SHA256.constantTimeEqual(mac, Array(data.suffix(12))) else { return nil }
        let b = Array(payload.dropFirst())
        return ULID(uuid: UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])))
    }
}
