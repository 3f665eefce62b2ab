import FoundationEssentials
public import Hummingbird
import NIOCore

/// A JSON route's body checks, in the contract's order (after the tenant group's 401, 422 and
/// 429): media type (415), size (413, decided from `Content-Length` before reading when it is
/// declared), JSON (400).
public enum RequestReading {
    /// The body as a JSON object, with its text (for values passed on verbatim).
    public static func jsonObject(of request: Request, limit bodyLimit: Int) async throws -> (value: JSONValue, text: String) {
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
