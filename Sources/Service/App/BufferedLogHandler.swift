import DateTimes
import FoundationEssentials
public import Logging
import NIOConcurrencyHelpers
import PGStore

#if canImport(Glibc)
    import Glibc
#endif

/// swift-log's handler for the service: lines as `StreamLogHandler` writes them, but formatted
/// cheaply (UTC, no `localtime` per line) and written to standard error by a thread of their own,
/// many lines per `write(2)` under load.
///
/// `StreamLogHandler` makes a blocking `write(2)` on the request's own thread for every request
/// line; measured with `bench/ab.sh` at c=32, the request log cost 35 µs of the service's CPU per
/// request. Memory stays bounded: past ``bufferLimit`` waiting bytes (a stalled pipe), lines
/// are dropped and counted, and the count is written once the output moves again.
///
/// Its writer thread is not a service of the lifecycle: the logging system is bootstrapped once
/// per process, before the service group exists, and must keep writing while the group shuts
/// down and after it has (the last lines are the shutdown's); ``flush()`` is called before exit.
public struct BufferedLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    public init(label: String) {
        self.label = label
    }

    /// Writes the lines still waiting: call before the process exits.
    public static func flush() { LogOutput.standardError.flush() }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = UTCTimestamp.now()
        line += " \(event.level) \(label):"
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " [\(event.source)] \(event.message)\n"
        LogOutput.standardError.append(line)
    }
}

/// The lines waiting for standard error, and the thread that writes them.
final class LogOutput: Sendable {
    static let standardError = LogOutput(descriptor: 2)

    /// Waiting bytes past which new lines are dropped (and counted).
    static let bufferLimit = 8 << 20
    private let descriptor: Int32
    /// 1 while lines wait: the writer sleeps until then.
    private let pending = ConditionLock<Int>(value: 0)
    private let state = NIOLockedValueBox<(buffer: [UInt8], dropped: Int)>(([], 0))

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<LogOutput>.fromOpaque(context!).takeRetainedValue().writeForever()
                return nil
            }, context)
        precondition(created == 0, "could not start the log writer thread")
        pthread_detach(thread)
    }

    func append(_ line: String) {
        pending.lock()
        state.withLockedValue { state in
            if state.buffer.count + line.utf8.count > Self.bufferLimit {
                state.dropped += 1
            } else {
                state.buffer.append(contentsOf: line.utf8)
            }
        }
        pending.unlock(withValue: 1)
    }

    /// Writes what waits now, from the calling thread: before the process exits.
    func flush() {
        pending.lock()
        let bytes = take()
        pending.unlock(withValue: 0)
        write(bytes)
    }

    private func take() -> [UInt8] {
        var (bytes, dropped) = state.withLockedValue { state in
            defer { state = ([], 0) }
            return state
        }
        if dropped > 0 { bytes += Array("\(UTCTimestamp.now()) warning log: \(dropped) lines dropped (output too slow)\n".utf8) }
        return bytes
    }

    private func writeForever() {
        while true {
            pending.lock(whenValue: 1)
            let bytes = take()
            pending.unlock(withValue: 0)
            write(bytes)
        }
    }

    private func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else {
                break  // standard error is gone: nothing to tell anyone
            }
        }
    }
}

/// `2026-11-25T06:38:08.123Z`, without `localtime`.
enum UTCTimestamp {
    static func now() -> String {
        let milliseconds = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let civil = CivilTime(epochSeconds: milliseconds / 1000)
        let millis = Int(milliseconds % 1000)
        return civil.isoString + "." + (millis < 10 ? "00" : millis < 100 ? "0" : "") + String(millis) + "Z"
    }
}
