import Digests
public import FoundationEssentials

/// Change feed cursors: a position in one workspace's feed (and, after an export, the few changes
/// its snapshot already showed), signed with the list cursors' key and bound to the workspace, so
/// a cursor of another workspace or one the server did not issue is refused (400). A position is
/// not secret from the workspace that owns the feed, so it is signed, not encrypted.
extension PageCursors {
    private static let changesVersion: UInt8 = 3
    private static let changesMACLength = 12
    /// Most changes an export's cursor leaves out (those that committed between the numbering and
    /// the export's snapshot: a handful); above, the export takes its snapshot again.
    public static let maximumExcludedChanges = 32

    public func issue(_ position: ChangeFeedStore.Position, tenant: UUID) -> String {
        var payload = [Self.changesVersion]
        withUnsafeBytes(of: (position.position ?? -1).bigEndian) { payload += $0 }
        for id in position.excluding.prefix(Self.maximumExcludedChanges) { withUnsafeBytes(of: id.uuid) { payload += $0 } }
        payload += changesMAC(payload, tenant: tenant)
        return Self.base64URL(payload)
    }

    /// The position a cursor stands for, or `nil` for anything this server did not issue to `tenant`.
    public func readChanges(_ cursor: String, tenant: UUID) -> ChangeFeedStore.Position? {
        guard cursor.utf8.count <= 1024, let bytes = Self.bytes(base64URL: cursor),
            bytes.count >= 9 + Self.changesMACLength, (bytes.count - 9 - Self.changesMACLength) % 16 == 0,
            bytes.first == Self.changesVersion
        else { return nil }
        let payload = Array(bytes.dropLast(Self.changesMACLength))
        guard SHA256.constantTimeEqual(changesMAC(payload, tenant: tenant), Array(bytes.suffix(Self.changesMACLength))) else {
            return nil
        }
        let position = payload[1..<9].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        var excluding: [UUID] = []
        var offset = 9
        while offset < payload.count {
            let b = Array(payload[offset..<(offset + 16)])
            excluding.append(
                UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])))
            offset += 16
        }
        return ChangeFeedStore.Position(position: position < 0 ? nil : position, excluding: excluding)
    }

    private func changesMAC(_ payload: [UInt8], tenant: UUID) -> [UInt8] {
        var message = Array("changes".utf8) + payload
        withUnsafeBytes(of: tenant.uuid) { message += $0 }
        return Array(SHA256.hmac(key: macKey, message: message).prefix(Self.changesMACLength))
    }

    /// Base64url without padding (RFC 4648 §5): what every cursor is written in.
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    static func bytes(base64URL text: String) -> [UInt8]? {
        var base64 = text.replacing("-", with: "+").replacing("_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
