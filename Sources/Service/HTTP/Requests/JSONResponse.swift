import HTTPTypes
public import Hummingbird
import NIOCore

/// JSON responses from bytes already encoded.
public enum JSONResponse {
    public static func make(status: HTTPResponse.Status, bytes: [UInt8], headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
