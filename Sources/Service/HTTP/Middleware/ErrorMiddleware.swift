public import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PGStore

/// Turns every error into the contract's JSON error body, so no route can leak a plain-text or
/// empty error: Hummingbird's own (404, 413), the database's (``DatabaseErrors``: 503 when it is
/// unreachable or the pool is exhausted, 422 for a value it refused), and anything unexpected
/// (500, logged, nothing internal in the body).
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let error = (error as? PGError) ?? (error as? PGTransactionError)?.databaseError {
                Observability.recordDatabaseError(sqlStateClass: error.sqlState.map { String($0.rawValue.prefix(2)) } ?? "connection")
            }
            let apiError = Self.apiError(for: error)
            if apiError.code == DatabaseErrors.refusedValueCode {
                context.logger.warning("the database refused a validated value", metadata: ["pg.error": "\(error)"])
            } else if apiError.status == .internalServerError {
                // `description`, not `debugDescription`: a server message may quote a phone or an e-mail.
                context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            } else if apiError.status == .serviceUnavailable {
                context.logger.warning("database unavailable", metadata: ["error": "\(error)"])
            }
            return JSONResponse.make(status: apiError.status, bytes: apiError.body, headers: apiError.headers)
        }
    }

    static func apiError(for error: any Error) -> APIError {
        if let mapped = DatabaseErrors.apiError(for: error) { return mapped }
        switch error {
        case let error as APIError:
            return error
        case is HTTPParserError:
            return .malformedRequest
        case is CancellationError:
            // The request's task was cancelled (shutdown, or a client gone): nothing was half
            // written (each write is one statement or one transaction), and nobody may be reading.
            return .unavailable("The request was cancelled; retry.")
        case is NIOTooManyBytesError:
            return .bodyTooLarge
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound
            case .contentTooLarge: return .bodyTooLarge
            case .methodNotAllowed: return APIError(.methodNotAllowed, code: "method_not_allowed", message: "Method not allowed.")
            default:
                return APIError(error.status, code: "http_error", message: error.body ?? error.status.reasonPhrase)
            }
        case let error as any HTTPResponseError:
            return APIError(error.status, code: "http_error", message: error.status.reasonPhrase)
        default:
            return .unexpected
        }
    }
}
