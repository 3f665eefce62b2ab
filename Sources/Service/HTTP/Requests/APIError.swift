import HTTPTypes
public import Hummingbird
import NIOCore

/// An error the API answers with: status, a stable `code`, a human `message`, and for validation
/// the `errors` by field. Renders itself as the contract's JSON error body.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var fieldErrors: FieldErrors?
    public var headers: HTTPFields = [:]
    /// More string members of the body, after `code` (409 `phone_taken`'s `contact_id`).
    public var members: [(String, String)] = []

    public init(_ status: HTTPResponse.Status, code: String, message: String, fieldErrors: FieldErrors? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.fieldErrors = fieldErrors
    }

    public static let unauthenticated: APIError = {
        var error = APIError(.unauthorized, code: "unauthenticated", message: "Unauthenticated.")
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }()
    public static let noWorkspace = APIError(
        .unprocessableContent, code: "no_workspace", message: "No workspace configured for this account.")
    public static let notFound = APIError(.notFound, code: "not_found", message: "Not found.")
    public static let unsupportedMediaType = APIError(
        .unsupportedMediaType, code: "unsupported_media_type", message: "The body must be JSON (Content-Type: application/json).")
    /// When the limit is not known where the error is rendered.
    public static let bodyTooLarge = APIError(.contentTooLarge, code: "body_too_large", message: "The body is too large.")
    public static func bodyTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", message: "The body is larger than \(limit) bytes.")
    }
    public static func invalidJSON(_ detail: String) -> APIError {
        APIError(.badRequest, code: "invalid_json", message: "The body is not valid JSON: \(detail).")
    }
    public static let notAnObject = APIError(.badRequest, code: "invalid_json", message: "The body must be a JSON object.")
    public static func validation(_ errors: FieldErrors) -> APIError {
        APIError(.unprocessableContent, code: "validation_failed", message: "The given data was invalid.", fieldErrors: errors)
    }
    /// A request with the same `Idempotency-Key` is still running.
    public static let idempotencyKeyInUse: APIError = {
        var error = APIError(
            .conflict, code: "idempotency_key_in_use", message: "A request with this Idempotency-Key is still running; retry shortly.")
        error.headers[.retryAfter] = "1"
        return error
    }()
    /// The `Idempotency-Key` was used with another body.
    public static let idempotencyKeyReused = APIError(
        .unprocessableContent, code: "idempotency_key_reused", message: "This Idempotency-Key was used with another request body.")
    public static let invalidIdempotencyKey = APIError(
        .badRequest, code: "invalid_idempotency_key",
        message: "Idempotency-Key must be a string of 1 to 255 visible ASCII characters (a Structured Field string or a token).")
    /// update-contact's `new_phone` is another contact's: that contact's id.
    public static func phoneTaken(by other: ULID) -> APIError {
        var error = APIError(.conflict, code: "phone_taken", message: "Another contact of the workspace has this phone number.")
        error.members = [("contact_id", other.description)]
        return error
    }
    public static func unavailable(_ message: String) -> APIError {
        var error = APIError(.serviceUnavailable, code: "unavailable", message: message)
        error.headers[.retryAfter] = "1"
        return error
    }
    public static func rateLimited(_ decision: RateLimiter.Decision) -> APIError {
        var error = APIError(.tooManyRequests, code: "rate_limited", message: "Too many requests for this workspace; retry later.")
        error.headers[.retryAfter] = String(decision.retryAfter)
        error.headers[HTTPField.Name("RateLimit-Limit")!] = String(decision.limit)
        error.headers[HTTPField.Name("RateLimit-Remaining")!] = String(decision.remaining)
        return error
    }
    /// A request NIO's parser refused (bad chunking, a body cut short, a malformed head).
    public static let malformedRequest = APIError(.badRequest, code: "bad_request", message: "The HTTP request is malformed.")
    public static let unsupportedTransferEncoding = APIError(
        .notImplemented, code: "unsupported_transfer_encoding",
        message: "The only Transfer-Encoding served is chunked; or send a Content-Length.")
    public static let unexpected = APIError(
        .internalServerError, code: "internal_error", message: "Internal server error.")

    /// The JSON body.
    public var body: [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.beginObject()
        writer.field("message", message)
        writer.field("code", code)
        for (key, value) in members { writer.field(key, value) }
        if let fieldErrors {
            writer.key("errors")
            Self.write(fieldErrors, to: &writer)
        }
        writer.endObject()
        return writer.bytes
    }

    /// `{"field": ["message", …], …}`.
    public static func write(_ errors: FieldErrors, to writer: inout JSONWriter) {
        writer.beginObject()
        for (field, messages) in errors.entries {
            writer.key(field)
            writer.beginArray()
            for message in messages { writer.string(message) }
            writer.endArray()
        }
        writer.endObject()
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(status: status, bytes: body, headers: headers)
    }
}
