import Digests
import HTTPTypes
public import Hummingbird

/// `Idempotency-Key` on a POST (API.md "Retrying safely"): the body is read whole (it is digested,
/// then handed to the handler), and the request runs through ``IdempotencyStore/run(_:_:)``.
/// Without the header nothing changes: no extra read, no transaction. On each POST group after
/// its ``BodyLimitMiddleware``, whose limit bounds the read.
public struct IdempotencyMiddleware: RouterMiddleware {
    public typealias Context = TenantRequestContext
    let store: IdempotencyStore

    public init(store: IdempotencyStore) { self.store = store }

    static let header = HTTPField.Name("Idempotency-Key")!

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let value = request.headers[Self.header] else { return try await next(request, context) }
        guard let key = IdempotencyKey.parse(value) else { throw APIError.invalidIdempotencyKey }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: context.bodyLimit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.bodyTooLarge(limit: context.bodyLimit)
        }
        var buffered = request
        buffered.body = RequestBody(buffer: body)
        let scope = IdempotencyStore.Scope(
            tenant: context.tenant, key: key, method: "POST", path: request.uri.path, digest: SHA256.hash(body.readableBytesView))
        return try await store.run(scope) { try await next(buffered, context) }
    }
}
