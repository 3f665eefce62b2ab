#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// RFC 4180 records read straight from a file's bytes: fields separated by commas, records by
/// CRLF, LF or CR, fields in double quotes may hold commas, line breaks and doubled quotes (a
/// quote inside an unquoted field is kept as text); a UTF-8 byte order mark at the start is skipped.
///
/// Ours rather than a library's because the import's rate depends on it: reading bytes in large
/// blocks costs a fraction of decoding the file scalar by scalar (what CSV.swift does), and a
/// record that is malformed (text after a closing quote, a quote never closed, invalid UTF-8) is
/// reported as that record's error instead of ending the whole file.
struct CSVRecordReader: ~Copyable {
    enum Record: Equatable, Sendable {
        case fields([String])
        /// The record could not be read; reading goes on at the next line.
        case malformed(String)
        /// The record has more than ``CSVRecordReader/maximumFields`` fields (how many): only the
        /// count is kept, so a row of millions of empty fields costs no memory per field.
        case tooManyFields(Int)
    }

    enum OpenError: Error { case unreadable(path: String, errno: Int32) }
    struct ReadError: Error { var errno: Int32 }

    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var endOfFile = false
    private var sawStart = false
    private let blockSize: Int
    /// A record longer than this is reported and skipped (up to the next line feed) rather than
    /// buffered whole: a file with a quote never closed must not end up all in memory.
    let maximumRecordBytes: Int
    /// Fields a record may have; past it they are counted, not kept (``Record/tooManyFields(_:)``).
    var maximumFields = Int.max
    /// The size in the file of the record `next()` returned last (line break included).
    private(set) var lastRecordBytes = 0

    init(path: String, blockSize: Int = 1 << 20, maximumRecordBytes: Int = 1 << 22) throws(OpenError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, errno: errno) }
        self.blockSize = blockSize
        self.maximumRecordBytes = maximumRecordBytes
        buffer.reserveCapacity(blockSize * 2)
    }

    deinit { close(descriptor) }

    /// The next record, or `nil` at the end of the file.
    mutating func next() throws(ReadError) -> Record? {
        if !sawStart {
            sawStart = true
            while buffer.count < 3, !endOfFile { try fill() }
            if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        }
        while true {
            if start >= buffer.count, endOfFile { return nil }
            if let (record, end) = parseRecord(from: start) {
                let length = end - start
                start = end
                lastRecordBytes = length
                return length > maximumRecordBytes ? .malformed("the record is longer than \(maximumRecordBytes) bytes") : record
            }
            // The record runs past what is buffered: keep its start, read more.
            if buffer.count - start > maximumRecordBytes {
                lastRecordBytes = maximumRecordBytes
                try skipLine(from: start + maximumRecordBytes)
                return .malformed("the record is longer than \(maximumRecordBytes) bytes")
            }
            if endOfFile { return parseAtEnd() }
            try fill()
        }
    }

    /// Appends a block of the file after the unread part.
    private mutating func fill() throws(ReadError) {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let previous = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: blockSize))
        let count = buffer.withUnsafeMutableBytes { bytes in
            read(descriptor, bytes.baseAddress! + previous, blockSize)
        }
        guard count >= 0 else {
            buffer.removeSubrange(previous...)
            throw ReadError(errno: errno)
        }
        buffer.removeSubrange((previous + count)...)
        if count == 0 { endOfFile = true }
    }

    /// Drops everything up to and including the next line feed at or after `from`.
    private mutating func skipLine(from: Int) throws(ReadError) {
        start = from
        while true {
            if let lineFeed = buffer[start...].firstIndex(of: 0x0A) {
                start = lineFeed + 1
                return
            }
            start = buffer.count
            if endOfFile { return }
            try fill()
        }
    }

    /// The last record of a file that does not end with a line break, or whose quote never closes.
    private mutating func parseAtEnd() -> Record? {
        buffer.append(0x0A)
        if let (record, end) = parseRecord(from: start) {
            lastRecordBytes = end - start
            start = end
            return record
        }
        lastRecordBytes = buffer.count - start
        start = buffer.count
        return .malformed("a quoted field is never closed")
    }

    /// One record starting at `from`, and where the next one starts; `nil` when the buffer ends
    /// before the record does.
    private func parseRecord(from: Int) -> (Record, Int)? {
        buffer.withUnsafeBufferPointer { bytes in
            var fields: [String] = []
            var count = 0
            var index = from
            var problem: String?
            while true {
                // One field; past the maximum, only counted.
                let keep = count < maximumFields
                var value: String?
                if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                    guard let (text, after) = Self.quotedField(bytes, from: index + 1, keep: keep) else { return nil }
                    index = after
                    value = text
                    if index < bytes.count, !Self.isSeparator(bytes[index]) {
                        problem = problem ?? "text after the closing quote of field \(count + 1)"
                        while index < bytes.count, !Self.isSeparator(bytes[index]) { index += 1 }
                    }
                } else {
                    let fieldStart = index
                    while index < bytes.count, !Self.isSeparator(bytes[index]) { index += 1 }
                    value = keep ? String(validating: UnsafeBufferPointer(rebasing: bytes[fieldStart..<index]), as: UTF8.self) : ""
                }
                guard index < bytes.count else { return nil }
                count += 1
                if keep {
                    if let value { fields.append(value) } else { problem = problem ?? "field \(count) is not valid UTF-8" }
                }
                let separator = bytes[index]
                index += 1
                if separator == UInt8(ascii: ",") { continue }
                // A line break: CRLF counts as one.
                if separator == 0x0D {
                    guard index < bytes.count else { return nil }
                    if bytes[index] == 0x0A { index += 1 }
                }
                if let problem { return (.malformed(problem), index) }
                if count > maximumFields { return (.tooManyFields(count), index) }
                return (.fields(fields), index)
            }
        }
    }

    /// A quoted field's text (doubled quotes undone) and the index after its closing quote;
    /// `nil` when the buffer ends first. Invalid UTF-8 gives `(nil, after)`.
    /// Without `keep`, the field is only skipped (`""`).
    private static func quotedField(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, keep: Bool) -> (String?, Int)? {
        var index = from
        var unescaped: [UInt8]?
        var segmentStart = from
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\"") {
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                    guard keep else {
                        index += 2
                        continue
                    }
                    if unescaped == nil { unescaped = [] }
                    unescaped!.append(contentsOf: bytes[segmentStart...index])
                    index += 2
                    segmentStart = index
                    continue
                }
                guard index + 1 < bytes.count else { return nil }  // is the next byte another quote?
                guard keep else { return ("", index + 1) }
                let text: String?
                if var unescaped {
                    unescaped.append(contentsOf: bytes[segmentStart..<index])
                    text = String(validating: unescaped, as: UTF8.self)
                } else {
                    text = String(validating: UnsafeBufferPointer(rebasing: bytes[from..<index]), as: UTF8.self)
                }
                return (text, index + 1)
            }
            index += 1
        }
        return nil
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == 0x0A || byte == 0x0D
    }
}
