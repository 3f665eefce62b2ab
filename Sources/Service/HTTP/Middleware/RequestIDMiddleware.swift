import FoundationEssentials
import HTTPTypes
public import Hummingbird
import Logging

/// Gives every request an id (the client's `X-Request-Id` when it is sane, else a new one),
/// puts it in the request's logger metadata, echoes it in the response, and logs one line per
/// request: method, route template (never the raw URI, whose query may hold a phone or an
/// e-mail), status and duration. Tokens and bodies are never logged.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[.requestID].flatMap { Self.isSane($0) ? $0 : nil } ?? ULID().description
        var context = context
        context.logger[metadataKey: "request.id"] = .string(id)
        let started = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[.requestID] = id
        let elapsed = ContinuousClock.now - started
        context.logger.info(
            "request",
            metadata: [
                "http.method": .string(request.method.rawValue),
                "http.route": .string(context.endpointPath ?? "unmatched"),
                "http.status": .stringConvertible(response.status.code),
                "http.duration_ms": .string(decimalText(elapsed.inSeconds * 1000)),
            ])
        return response
    }

    /// Up to 128 visible ASCII characters: anything else could forge log lines.
    static func isSane(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
