import HTTPTypes
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTP1
public import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel, with our protocol checks where NIO's HTTP/1 types are still
/// visible (``HTTP1ProtocolGuard``, ``HeadBytesRecorder``), and the read deadline of slow clients.
///
/// Written out because `HTTP1Channel` only takes extra handlers after the conversion to HTTP
/// types, where the HTTP version, repeated `Host` headers and parser errors are already gone. The
/// rest is `HTTP1Channel.setup` as Hummingbird 2.28 has it.
public struct ContactsHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    public let responder: HTTPChannelHandler.Responder
    let idleTimeout: Duration
    let requestReadTimeout: TimeAmount
    let minimumUploadRate: Int

    public init(
        responder: @escaping HTTPChannelHandler.Responder, idleTimeout: Duration, requestReadTimeout: Duration, minimumUploadRate: Int
    ) {
        self.responder = responder
        self.idleTimeout = idleTimeout
        self.requestReadTimeout = TimeAmount(requestReadTimeout)
        self.minimumUploadRate = minimumUploadRate
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            let headBytes = HeadBytesRecorder()
            try pipeline.addHandler(headBytes)
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // NIOAsyncChannel reads one request at a time
                withErrorHandling: false,  // HTTP1ProtocolGuard answers parse errors
                withOutboundHeaderValidation: false,  // HTTP types validate already
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: .init()
            )
            try pipeline.addHandler(HTTP1ProtocolGuard(headBytes: headBytes))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(RequestReadTimeoutHandler(timeout: requestReadTimeout, minimumUploadBytesPerSecond: minimumUploadRate))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    public func handle(value asyncChannel: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(asyncChannel.channel.eventLoop)) {
            await handleHTTP(asyncChannel: asyncChannel, logger: logger)
        }
    }
}
