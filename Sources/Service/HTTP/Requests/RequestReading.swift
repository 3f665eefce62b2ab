import FoundationEssentials
public import Hummingbird
import NIOCore

/// A JSON route's body checks, in the contract's order (after the tenant group's 401, 422 and
/// 429): media type and content coding (415), size (413, decided from `Content-Length` before
/// reading when it is declared), then `100 Continue` if asked for, then JSON (400).
public enum RequestReading {
    /// The body as a JSON object, with its text (for values passed on verbatim).
    public static func jsonObject(of request: Request, context: TenantRequestContext) async throws -> (value: JSONValue, text: String) {
        let bodyLimit = context.bodyLimit
        guard Self.isJSON(request.headers[.contentType]) else { throw APIError.unsupportedMediaType }
        try refuseContentCoding(request)
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > bodyLimit {
            throw APIError.bodyTooLarge(limit: bodyLimit)
        }
        context.continueGate.open(for: request)
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
                // Only metadata may nest (32 levels); anything nested past what the parser reads
                // at all is past that too.
                errors.add(field, field == "metadata" ? Metadata.tooDeep : "\(field) is nested too deeply")
                throw APIError.validation(errors)
            case .syntax(let reason):
                throw APIError.invalidJSON("\(reason) at byte \(error.offset)")
            }
        }
        guard case .object = value else { throw APIError.notAnObject }
        return (value, String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    /// A body in a content coding (`gzip`, `br`…) would be read as if it were plain: 415 with
    /// `Accept-Encoding: identity` (RFC 9110 §15.5.16), since none is decoded here.
    public static func refuseContentCoding(_ request: Request) throws {
        guard request.headers.contains(.contentEncoding) else { return }  // nearly every request: one lookup
        let codings = request.headers[values: .contentEncoding].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingWhitespace().lowercased() }.filter { !$0.isEmpty && $0 != "identity" }
        guard let coding = codings.first else { return }
        var error = APIError(
            .unsupportedMediaType, code: "unsupported_content_encoding",
            message: "The body must not be encoded (Content-Encoding: \(coding) is not accepted).")
        error.headers[.acceptEncoding] = "identity"
        throw error
    }

    /// `application/json`, with or without parameters (`; charset=utf-8`).
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace().lowercased() }
        return mediaType == "application/json"
    }
}
