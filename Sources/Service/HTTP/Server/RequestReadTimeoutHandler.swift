import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client is too slow: a request head, or a request body, that has not
/// fully arrived `timeout` after it was due (slowloris-style clients sending a byte at a time
/// would otherwise hold connections forever, as each byte resets an idle timer).
///
/// Due: the first head from the connection's start, the body from its head, the next head from
/// the moment the previous response was sent. While the service works on a request, no clock runs.
///
/// An import upload (`POST /api/v1/imports`, up to a gigabyte) cannot arrive whole in `timeout`:
/// its body is held to a minimum rate instead, checked once per `timeout` window, so a slow
/// client still loses its connection while a large file at any reasonable speed goes through.
final class RequestReadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// Bytes an upload must send in each `timeout` window.
    private let minimumUploadBytesPerWindow: Int
    private var deadline: Scheduled<Void>?
    /// Set while an upload's body arrives: the bytes of the current window.
    private var uploadBytesThisWindow: Int?

    init(timeout: TimeAmount, minimumUploadBytesPerSecond: Int) {
        self.timeout = timeout
        self.minimumUploadBytesPerWindow = Int(Double(minimumUploadBytesPerSecond) * Double(timeout.nanoseconds) / 1e9)
    }

    /// The routes whose bodies are uploads.
    static func isUpload(_ head: HTTPRequest) -> Bool {
        head.method == .post && head.path.map { $0.split(separator: "?", maxSplits: 1).first == "/api/v1/imports" } == true
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            uploadBytesThisWindow = Self.isUpload(head) ? 0 : nil
            arm(context)
        case .body(let bytes):
            if let received = uploadBytesThisWindow { uploadBytesThisWindow = received + bytes.readableBytes }
        case .end:
            uploadBytesThisWindow = nil
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            if let received = handler.uploadBytesThisWindow, received >= handler.minimumUploadBytesPerWindow {
                handler.uploadBytesThisWindow = 0
                handler.arm(context)
            } else {
                context.close(promise: nil)
            }
        }
    }
}
