/// Builds COPY text-format input: tab-separated columns, one row a line, `\N` for NULL, and
/// backslash, tab, newline and carriage return escaped.
public struct PGCopyText: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var columnsInRow = 0
    public private(set) var rowCount = 0

    public init(capacity: Int = 1 << 20) {
        bytes.reserveCapacity(capacity)
    }

    /// The next column of the current row.
    public mutating func column(_ value: (some PGEncodable)?) {
        if columnsInRow > 0 { bytes.append(0x09) }
        columnsInRow += 1
        guard let text = value?.pgEncoded() else {
            bytes.append(contentsOf: [0x5C, UInt8(ascii: "N")])
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            default: bytes.append(byte)
            }
        }
    }

    public mutating func endRow() {
        bytes.append(0x0A)
        columnsInRow = 0
        rowCount += 1
    }

    /// Appends another buffer's whole rows (both must be between rows).
    public mutating func append(_ other: PGCopyText) {
        precondition(columnsInRow == 0 && other.columnsInRow == 0, "append between rows only")
        bytes.append(contentsOf: other.bytes)
        rowCount += other.rowCount
    }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        columnsInRow = 0
        rowCount = 0
    }
}
