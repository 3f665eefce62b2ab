#if canImport(Glibc)
    import Glibc
#endif

/// Writes `text` to standard output at once (unbuffered: a progress line or the development
/// token must show immediately, also when stdout is a pipe).
func writeToStandardOutput(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        if written < 0, errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}
