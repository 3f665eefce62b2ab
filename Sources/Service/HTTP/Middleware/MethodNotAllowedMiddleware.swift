import HTTPTypes
import Hummingbird

/// Turns the router's "no route" into 405 with `Allow` (RFC 9110 §15.5.6) when the path is served
/// with other methods. Added after every route, so it wraps only the router's not-found answer.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each path the router serves, with its methods (HEAD wherever GET is: the router generates it).
    let routes: [(path: RouterPath, methods: Set<HTTPRequest.Method>)]

    init(servedBy router: Router<Context>) {
        var routes: [(path: RouterPath, methods: Set<HTTPRequest.Method>)] = []
        for route in router.routes {
            if let index = routes.firstIndex(where: { $0.path == route.path }) {
                routes[index].methods.insert(route.method)
            } else {
                routes.append((route.path, [route.method]))
            }
            if route.method == .get, let index = routes.firstIndex(where: { $0.path == route.path }) {
                routes[index].methods.insert(.head)
            }
        }
        self.routes = routes
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let methods = self.methods(at: request.uri.path)
            guard !methods.isEmpty else { throw error }
            var refusal = APIError(.methodNotAllowed, code: "method_not_allowed", message: "Method not allowed on this path.")
            refusal.headers[.allow] = methods.map(\.rawValue).sorted().joined(separator: ", ")
            throw refusal
        }
    }

    /// The methods served at `path`; empty when no route matches it.
    func methods(at path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/")
        return routes.reduce(into: Set()) { methods, route in
            let components = route.path.components
            if components.count == segments.count, zip(components, segments).allSatisfy({ $0 ~= $1 }) {
                methods.formUnion(route.methods)
            }
        }
    }
}
