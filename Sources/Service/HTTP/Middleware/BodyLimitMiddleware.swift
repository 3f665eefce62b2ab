public import Hummingbird

/// Sets the largest body the group's handlers read: single writes and batches differ.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = TenantRequestContext
    let bytes: Int

    public init(bytes: Int) { self.bytes = bytes }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.bodyLimit = bytes
        return try await next(request, context)
    }
}
