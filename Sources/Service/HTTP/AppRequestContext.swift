public import FoundationEssentials
public import Hummingbird
import Logging

/// The request context of the contacts API, before a route group has resolved the caller.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's workspace, set by ``TenantMiddleware``; handlers read it non-optional from
    /// ``TenantRequestContext``.
    public var tenant: UUID?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}

/// The context of every route that works in a workspace: the tenant is resolved once, before the
/// handler, by the group's ``TenantMiddleware`` (STYLE.md: Hummingbird's child contexts, as
/// hummingbird-auth uses them), so no handler can forget to ask or get it wrong.
public struct TenantRequestContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's workspace: every row the handler touches is in it.
    public let tenant: UUID
    /// The largest body the handler reads (413 above); set per route group by ``BodyLimitMiddleware``.
    public var bodyLimit = 0

    public init(context: AppRequestContext) throws {
        // TenantMiddleware runs first on every such group: without it this is a programming error,
        // answered as an unauthenticated request rather than served without a tenant.
        guard let tenant = context.tenant else { throw APIError.unauthenticated }
        self.coreContext = context.coreContext
        self.tenant = tenant
    }
}
