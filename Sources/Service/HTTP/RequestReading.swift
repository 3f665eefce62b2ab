public import FoundationEssentials
public import Hummingbird
import NIOCore

/// The checks every JSON route makes, in the contract's order: authentication (401, or 422 when
/// the account has no workspace), then the body: media type (415), size (413), JSON (400).
public struct RequestReading: Sendable {
    let authenticator: Authenticator
    /// Bodies larger than this are refused with 413 before they are read whole.
    let bodyLimit: Int
    let rateLimiter: RateLimiter

    public init(authenticator: Authenticator, bodyLimit: Int, rateLimiter: RateLimiter = RateLimiter(.off)) {
        self.authenticator = authenticator
        self.bodyLimit = bodyLimit
        self.rateLimiter = rateLimiter
    }

    /// The caller's workspace (the tenant).
    public func tenant(of request: Request) async throws -> UUID {
        guard let caller = try await authenticator.caller(authorization: request.headers[.authorization]) else {
            throw APIError.unauthenticated
        }
        guard let workspace = caller.workspaceID else { throw APIError.noWorkspace }
        if rateLimiter.isOn {
            let decision = rateLimiter.take(workspace)
            guard decision.allowed else { throw APIError.rateLimited(decision) }
        }
        return workspace
    }

    /// The body as a JSON object, with its text (for values passed on verbatim).
    public func jsonObject(of request: Request) async throws -> (value: JSONValue, text: String) {
        guard Self.isJSON(request.headers[.contentType]) else { throw APIError.unsupportedMediaType }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > bodyLimit {
            throw APIError.bodyTooLarge(limit: bodyLimit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit: bodyLimit)
        }
        let value: JSONValue
        do {
            value = try buffer.withUnsafeReadableBytes { bytes in try JSONParser.parse(bytes) }
        } catch let error as JSONParseError {
            switch error.reason {
            case .tooDeep:
                guard let field = error.topLevelKey else { throw APIError.invalidJSON("nested too deeply") }
                var errors = FieldErrors()
                errors.add(field, "\(field) is nested too deeply (at most \(JSONParser.maximumDepth - 1) levels)")
                throw APIError.validation(errors)
            case .syntax(let reason):
                throw APIError.invalidJSON("\(reason) at byte \(error.offset)")
            }
        }
        guard case .object = value else { throw APIError.notAnObject }
        return (value, String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    /// `application/json`, with or without parameters (`; charset=utf-8`).
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace().lowercased() }
        return mediaType == "application/json"
    }
}
