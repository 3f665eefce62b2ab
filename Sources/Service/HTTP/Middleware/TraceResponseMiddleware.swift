import HTTPTypes
import Hummingbird
import Instrumentation
import Tracing

/// Tells the client which trace its request joined: the request span's context, written as
/// W3C Trace Context Level 2's `traceresponse` header (`00-<trace id>-<span id>-<flags>`), so a
/// caller that sent a `traceparent` can find our spans, and one that did not learns the new trace.
/// Runs inside Hummingbird's `TracingMiddleware`, which honours the incoming `traceparent`.
struct TraceResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard let current = ServiceContext.current else { return response }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(current, into: &carrier, using: DictionaryInjector())
        if let traceparent = carrier["traceparent"] {
            response.headers[HTTPField.Name("traceresponse")!] = traceparent
        }
        return response
    }
}

private struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}
