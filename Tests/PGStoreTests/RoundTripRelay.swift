import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A unix-socket relay between a client and the test server that counts the client's *flights*:
/// each time the client sends after having received something (or for the first time), one
/// network round trip begins. Lets a test prove "one round trip" by observation.
final class RoundTripRelay: @unchecked Sendable {
    let directory: String
    private let listener: Int32
    private let targetPath: String
    private let lock = NSLock()
    private var flights = 0

    init(targetDirectory: String) throws {
        directory = NSTemporaryDirectory() + "relay-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        targetPath = targetDirectory + "/.s.PGSQL.5432"
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.address(directory + "/.s.PGSQL.5432")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Client flights counted so far, over every relayed connection.
    var clientFlights: Int { lock.withLock { flights } }

    private static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.address(targetPath)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            Thread { [self] in pump(client: client, server: server) }.start()
        }
    }

    private func pump(client: Int32, server: Int32) {
        defer {
            close(client)
            close(server)
        }
        var lastFromServer = true
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: server, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 2, -1) > 0 {
            for index in 0..<2 where fds[index].revents != 0 {
                let from = fds[index].fd
                let to = index == 0 ? server : client
                let count = read(from, &buffer, buffer.count)
                if count <= 0 { return }
                if index == 0, lastFromServer { lock.withLock { flights += 1 } }
                lastFromServer = index == 1
                var sent = 0
                while sent < count {
                    let written = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, count - sent) }
                    if written <= 0 { return }
                    sent += written
                }
            }
        }
    }
}
