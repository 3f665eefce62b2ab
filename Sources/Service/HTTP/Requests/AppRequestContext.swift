public import FoundationEssentials
public import Hummingbird
import Logging
public import NIOCore

/// The request context of the contacts API, before a route group has resolved the caller.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's workspace, set by ``TenantMiddleware``; handlers read it non-optional from
    /// ``TenantRequestContext``.
    public var tenant: UUID?
    /// The request's connection: for what only the connection can do (``ContinueGate``, ending a
    /// stalled response).
    public let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// `Expect: 100-continue` answered once the route has checked what it can without the body
/// (token, media type, declared size), not when the head arrives: a client announcing 2 GiB to a
/// route that will refuse it gets the refusal, never an invitation to send (RFC 9110 §10.1.1).
/// ``HTTP1ProtocolGuard`` sends the `100` when the gate opens, if the request asked for one.
public struct ContinueGate: Sendable {
    let channel: (any Channel)?

    /// Sends `100 Continue` if `request` asked for one; nothing otherwise (no hop to the event
    /// loop for the requests that did not ask, which are nearly all).
    public func open(for request: Request) {
        guard request.headers[.expect] != nil else { return }
        channel?.triggerUserOutboundEvent(HTTP1ProtocolGuard.SendContinue(), promise: nil)
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
    public let channel: (any Channel)?
    /// Opened by a route once it will read the body.
    public var continueGate: ContinueGate { ContinueGate(channel: channel) }

    public init(context: AppRequestContext) throws {
        // TenantMiddleware runs first on every such group: without it this is a programming error,
        // answered as an unauthenticated request rather than served without a tenant.
        guard let tenant = context.tenant else { throw APIError.unauthenticated }
        self.coreContext = context.coreContext
        self.tenant = tenant
        self.channel = context.channel
    }
}
