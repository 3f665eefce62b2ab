import Digests
public import FoundationEssentials

/// List cursors: opaque, and good only for the listing that issued them.
///
/// A cursor holds the last id of a page, encrypted (AES-256, one block), and a MAC (HMAC-SHA256,
/// truncated to 12 bytes) over that and over the workspace and the filters it was issued for. So a
/// client can neither read an id from it, nor forge one, nor replay it in another workspace or
/// with other filters: each of those is refused (400) instead of paging through something else.
/// Instances sharing `secret` accept each other's cursors.
public struct PageCursors: Sendable {
    let macKey: [UInt8]
    private let cipher: AESBlock
    private static let version: UInt8 = 2
    private static let macLength = 12

    public init(secret: String) {
        let master = SHA256.hash(("contacts.cursor:" + secret).utf8)
        macKey = SHA256.hmac(key: master, message: Array("mac".utf8))
        cipher = AESBlock(key: SHA256.hmac(key: master, message: Array("id".utf8)))
    }

    /// The cursor for the page after `id`, in `scope` (the workspace and the filters).
    public func issue(after id: ULID, scope: Scope) -> String {
        var payload = [Self.version]
        payload += cipher.encrypt(withUnsafeBytes(of: id.uuid.uuid) { Array($0) })
        payload += mac(payload, scope).prefix(Self.macLength)
        return Self.base64URL(payload)
    }

    /// The id a cursor points after, or `nil` for anything this server did not issue for `scope`.
    public func read(_ cursor: String, scope: Scope) -> ULID? {
        guard cursor.utf8.count <= 64 else { return nil }
        guard let bytes = Self.bytes(base64URL: cursor), bytes.count == 17 + Self.macLength, bytes.first == Self.version else {
            return nil
        }
        guard let payload = verified(bytes, scope) else { return nil }
        let b = cipher.decrypt(Array(payload.dropFirst()))
        return ULID(
            uuid: UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])))
    }

    /// The cursor for the page after the name `name` (the tag list's): the name itself, which the
    /// client has already seen, MAC'd with `scope` so that it can neither be forged nor moved.
    public func issue(afterName name: String, scope: Scope) -> String {
        var payload = [Self.nameVersion]
        payload += name.utf8
        payload += mac(payload, scope).prefix(Self.macLength)
        return Self.base64URL(payload)
    }

    /// The name a name cursor points after, or `nil` for anything this server did not issue for `scope`.
    public func readName(_ cursor: String, scope: Scope) -> String? {
        guard cursor.utf8.count <= 400, let bytes = Self.bytes(base64URL: cursor), bytes.count > 1 + Self.macLength,
            bytes.first == Self.nameVersion
        else { return nil }
        guard let payload = verified(bytes, scope) else { return nil }
        return String(validating: payload.dropFirst(), as: UTF8.self)
    }

    private static let nameVersion: UInt8 = 3

    /// The payload of a cursor's bytes whose MAC (its last ``macLength`` bytes) is this server's
    /// for `scope`, or `nil`.
    private func verified(_ bytes: [UInt8], _ scope: Scope) -> [UInt8]? {
        let payload = Array(bytes.dropLast(Self.macLength))
        guard SHA256.constantTimeEqual(Array(mac(payload, scope).prefix(Self.macLength)), Array(bytes.suffix(Self.macLength))) else {
            return nil
        }
        return payload
    }

    private func mac(_ payload: [UInt8], _ scope: Scope) -> [UInt8] {
        SHA256.hmac(key: macKey, message: payload + scope.bytes)
    }

    /// What a cursor is bound to: the workspace, and each filter's normalized value (`limit` is
    /// not a filter: a client may change the page size between pages).
    public struct Scope: Sendable {
        let bytes: [UInt8]

        public init(tenant: UUID, filters: [String?]) {
            var bytes = withUnsafeBytes(of: tenant.uuid) { Array($0) }
            for filter in filters {
                // Absent and empty differ; each value is length-prefixed, so no two lists collide.
                guard let filter else {
                    bytes.append(0)
                    continue
                }
                bytes.append(1)
                withUnsafeBytes(of: UInt32(filter.utf8.count).bigEndian) { bytes += $0 }
                bytes += filter.utf8
            }
            self.bytes = bytes
        }
    }
}
