public import Hummingbird

/// Resolves the caller's workspace from `Authorization: Bearer`, in the contract's order: 401
/// (missing, unknown or revoked token), 422 `no_workspace`, then the workspace's rate limit (429).
/// Runs on the tenant routes' group, after routing, so an unknown path is a 404 and a wrong method
/// a 405 whatever the token (API.md's precedence).
public struct TenantMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let authenticator: Authenticator
    let rateLimiter: RateLimiter

    public init(authenticator: Authenticator, rateLimiter: RateLimiter) {
        self.authenticator = authenticator
        self.rateLimiter = rateLimiter
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let caller = try await authenticator.caller(authorization: request.headers[.authorization]) else {
            throw APIError.unauthenticated
        }
        guard let workspace = caller.workspaceID else { throw APIError.noWorkspace }
        if rateLimiter.isOn {
            let decision = rateLimiter.take(workspace)
            guard decision.allowed else { throw APIError.rateLimited(decision) }
        }
        var context = context
        context.tenant = workspace
        return try await next(request, context)
    }
}
