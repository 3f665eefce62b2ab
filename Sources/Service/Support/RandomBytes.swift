import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Random bytes for identifiers (ULIDs, request ids), read from the kernel (`/dev/urandom`) 4 KiB
/// at a time instead of with one `getrandom` call per 8 bytes: a request takes two ULIDs, and their four system
/// calls were measured at four of the request's few dozen. The bytes are the kernel's CSPRNG
/// output all the same; secrets (API tokens) still come straight from `SystemRandomNumberGenerator`.
enum RandomBytes {
    private static let pool = Mutex(Pool())

    private struct Pool: ~Copyable {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var next = 4096
        var source: Int32 = -1

        mutating func take(_ count: Int) -> [UInt8] {
            if next + count > bytes.count {
                if source < 0 { source = open("/dev/urandom", O_RDONLY | O_CLOEXEC) }
                var filled = 0
                while source >= 0, filled < bytes.count {
                    let got = bytes.withUnsafeMutableBytes { read(source, $0.baseAddress! + filled, $0.count - filled) }
                    if got > 0 { filled += got } else if got == 0 || errno != EINTR { break }
                }
                if filled < bytes.count {
                    // No /dev/urandom (a bare container): the standard library's generator.
                    var generator = SystemRandomNumberGenerator()
                    for index in filled..<bytes.count { bytes[index] = generator.next() }
                }
                next = 0
            }
            defer { next += count }
            return Array(bytes[next..<(next + count)])
        }
    }

    /// `count` (at most 4096) random bytes.
    static func take(_ count: Int) -> [UInt8] {
        pool.withLock { $0.take(count) }
    }
}
