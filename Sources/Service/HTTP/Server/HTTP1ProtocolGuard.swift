import HTTPTypes
import NIOCore
import NIOHTTP1

/// HTTP/1.1 below the router: what NIO's parser and Hummingbird leave to the application.
///
/// - A request that cannot be parsed gets the contract's JSON error body (400, or 501 for a
///   `Transfer-Encoding` we do not implement), not an empty 400 or a 500, and the connection is
///   closed. While a request is being handled, the parse error reaches its body reader as an
///   ``APIError`` instead, so the route answers it (a chunk size `zz`, a body cut short).
/// - HTTP/1.1 needs exactly one `Host` (RFC 9112 §3.2); a repeated one is refused in any version.
/// - `Expect: 100-continue` is answered when the route opens its ``ContinueGate`` (after the
///   token, the media type and the declared size are checked), never for a request refused
///   before its body is read; any other expectation gets 417.
/// - A request without keep-alive (HTTP/1.0 by default, or `Connection: close`) has its
///   connection closed once the response is sent.
///
/// Sits between NIO's HTTP/1 decoder and the conversion to HTTP types, where the version and the
/// raw header list are still visible. Loop-bound: one instance per connection.
final class HTTP1ProtocolGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The bytes of the head being read, kept by ``HeadBytesRecorder`` for one purpose: telling,
    /// when the parser fails before a head is complete, whether a `Transfer-Encoding` was the cause.
    let headBytes: HeadBytesRecorder
    /// Keep-alive of each request received and not yet answered, oldest first (clients may
    /// pipeline: a later request's head can arrive while an earlier one is being handled).
    private var awaitingResponse = CircularBuffer<Bool>()
    /// Between a request's head and its end, inbound.
    private var readingBody = false
    /// A request this handler answers itself, once the responses before it are sent; nothing
    /// after it is read, and the connection closes.
    private var refusal: APIError?
    /// The request being read asked for `100 Continue` and has not had it (nor its answer).
    private var continuePending: HTTPVersion?

    /// Sent down the pipeline by ``ContinueGate/open()``.
    struct SendContinue: Sendable {}

    init(headBytes: HeadBytesRecorder) {
        self.headBytes = headBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard refusal == nil else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            headBytes.stop()
            if let problem = Self.problem(with: head) {
                refuse(problem, context: context)
                return
            }
            readingBody = true
            awaitingResponse.append(head.isKeepAlive)
            let expectsContinue = head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" })
            continuePending = expectsContinue ? head.version : nil
        case .body:
            break
        case .end:
            continuePending = nil
            readingBody = false
            headBytes.start()
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is SendContinue else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if let pending = continuePending, readingBody {
            continuePending = nil
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: pending, status: .continue))), promise: nil)
        }
        promise?.succeed(())
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head(let head) = unwrapOutboundIn(data), head.status.code >= 200 { continuePending = nil }
        switch unwrapOutboundIn(data) {
        case .head(var head) where awaitingResponse.first == false && head.status.code >= 200:
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            let keepAlive = awaitingResponse.popFirst() ?? true
            guard keepAlive else {
                writeThenClose(data, promise: promise, context: context)
                return
            }
            context.write(data, promise: promise)
            if awaitingResponse.isEmpty, let refusal { answer(refusal, context: context) }
        default:
            context.write(data, promise: promise)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if readingBody {
            // A body the route reads (or will, after the requests before it): it answers, in order.
            context.fireErrorCaught(APIError.malformedRequest)
        } else if refusal == nil {
            refuse(headBytes.namesUnsupportedTransferEncoding() ? .unsupportedTransferEncoding : .malformedRequest, context: context)
        }
    }

    /// What is wrong with a head that parsed, if anything.
    static func problem(with head: HTTPRequestHead) -> APIError? {
        let hosts = head.headers[canonicalForm: "host"].count
        if hosts > 1 || (hosts == 0 && head.version != .http1_0) {
            return APIError(.badRequest, code: "bad_request", message: "An HTTP/1.1 request needs exactly one Host header.")
        }
        let codings = head.headers[canonicalForm: "transfer-encoding"].map { $0.lowercased() }
        if !codings.isEmpty, codings != ["chunked"] { return .unsupportedTransferEncoding }
        if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() != "100-continue" }) {
            return APIError(.expectationFailed, code: "expectation_failed", message: "The only expectation served is 100-continue.")
        }
        return nil
    }

    /// Answers with `problem` once the requests before it are answered, then closes; the request's
    /// own handler never sees it.
    private func refuse(_ problem: APIError, context: ChannelHandlerContext) {
        refusal = problem
        if awaitingResponse.isEmpty { answer(problem, context: context) }
    }

    private func answer(_ problem: APIError, context: ChannelHandlerContext) {
        let body = problem.body
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        // Refused before the router: no middleware gave it an id, so it gets a fresh one here
        // (every response carries one, as the OpenAPI document says).
        headers.add(name: "X-Request-Id", value: ULID().description)
        let status = HTTPResponseStatus(statusCode: Int(problem.status.code))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        writeThenClose(wrapOutboundOut(.end(nil)), promise: nil, context: context)
    }

    /// Writes the last part of the last response, flushes, and closes once it is sent.
    private func writeThenClose(_ data: NIOAny, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        if let promise { written.futureResult.cascade(to: promise) }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
        context.writeAndFlush(data, promise: written)
    }
}

/// Keeps the raw bytes of a request head while it arrives (before NIO's decoder), and nothing
/// once the head is parsed, so a parse failure can be explained. Placed before the decoder; shares
/// this state with ``HTTP1ProtocolGuard`` on the same event loop.
final class HeadBytesRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// NIO's decoder refuses heads over 80 KiB; this keeps no more.
    private static let limit = 80 * 1024
    private var recording = true
    private var bytes: [ByteBuffer] = []
    private var count = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if recording, count < Self.limit {
            let buffer = unwrapInboundIn(data)
            bytes.append(buffer)  // a reference to the same storage, not a copy
            count += buffer.readableBytes
        }
        context.fireChannelRead(data)
    }

    func start() { recording = true }

    func stop() {
        recording = false
        bytes.removeAll(keepingCapacity: true)
        count = 0
    }

    /// Whether the head received so far has a `Transfer-Encoding` other than `chunked`.
    func namesUnsupportedTransferEncoding() -> Bool {
        var head = ByteBuffer()
        for buffer in bytes { head.writeImmutableBuffer(buffer) }
        let text = String(buffer: head).lowercased()
        for line in text.split(separator: "\n").dropFirst() {
            guard line.hasPrefix("transfer-encoding:") else { continue }
            let value = line.dropFirst("transfer-encoding:".count).trimmingWhitespace()
            if value != "chunked" { return true }
        }
        return false
    }
}
