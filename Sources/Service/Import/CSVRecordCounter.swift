/// Counts a CSV file's records as its bytes go by, a block at a time, with the reader's rules
/// (``CSVRecordReader``: a quote opens a field only at its start, `""` inside one is a quote, CRLF
/// is one break): a line break inside a quoted field does not end a record. An import job counts
/// its upload this way while it downloads it, so a file past the row cap fails before any row is
/// written, and twelve million newlines inside a few quoted names are still a few records.
struct CSVRecordCounter {
    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterCarriageReturn }

    private var state = State.fieldStart
    /// Records ended by a line break so far.
    private(set) var records = 0

    mutating func count(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { step(byte) }
    }

    /// Records in all, once the file has ended (a last record without a line break counts).
    var recordsAtEnd: Int {
        switch state {
        case .fieldStart, .afterCarriageReturn: records
        case .unquoted, .quoted, .quoteInQuoted: records + 1
        }
    }

    private mutating func step(_ byte: UInt8) {
        switch (state, byte) {
        case (.quoted, UInt8(ascii: "\"")): state = .quoteInQuoted
        case (.quoted, _): break
        case (.quoteInQuoted, UInt8(ascii: "\"")): state = .quoted
        case (.afterCarriageReturn, 0x0A): state = .fieldStart
        case (.afterCarriageReturn, _):
            state = .fieldStart
            step(byte)
        case (_, UInt8(ascii: ",")): state = .fieldStart
        case (_, 0x0A):
            records += 1
            state = .fieldStart
        case (_, 0x0D):
            records += 1
            state = .afterCarriageReturn
        case (.fieldStart, UInt8(ascii: "\"")): state = .quoted
        default: state = .unquoted  // text, or text after a closing quote (a malformed record)
        }
    }
}
