import Foundation
import Testing

@testable import Service

@Suite("CSV records read from bytes")
struct CSVRecordReaderTests {
    /// Every record of `bytes`, read with blocks of `blockSize` bytes (small ones split records).
    func records(_ bytes: [UInt8], blockSize: Int = 1 << 20, maximumRecordBytes: Int = 1 << 22) throws -> [CSVRecordReader.Record] {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("records-\(UUID().uuidString).csv")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var reader = try CSVRecordReader(path: url.path, blockSize: blockSize, maximumRecordBytes: maximumRecordBytes)
        var all: [CSVRecordReader.Record] = []
        while let record = try reader.next() { all.append(record) }
        return all
    }

    func records(_ text: String, blockSize: Int = 1 << 20) throws -> [CSVRecordReader.Record] {
        try records(Array(text.utf8), blockSize: blockSize)
    }

    @Test func quotesLineBreaksAndEveryLineEnd() throws {
        let text = "\u{FEFF}a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\rlast,\n,\n\nno end"
        let expected: [CSVRecordReader.Record] = [
            .fields(["a", "b"]), .fields(["x, \"y\"", "two\nlines"]), .fields(["last", ""]), .fields(["", ""]),
            .fields([""]), .fields(["no end"]),
        ]
        #expect(try records(text) == expected)
        // The same with records split across every possible block boundary.
        for blockSize in 1...7 { #expect(try records(text, blockSize: blockSize) == expected) }
    }

    @Test func aQuoteInsideAnUnquotedFieldIsText() throws {
        #expect(try records("5'11\",ok\n") == [.fields(["5'11\"", "ok"])])
    }

    @Test func malformedRecordsAreReportedAndReadingGoesOn() throws {
        #expect(
            try records("\"closed\"then,x\nnext,1\n") == [.malformed("text after the closing quote of field 1"), .fields(["next", "1"])])
        #expect(try records("a,\"never closed\nb,2\n") == [.malformed("a quoted field is never closed")])
        #expect(try records([0x61, 0x2C, 0xFF, 0xFE, 0x0A, 0x62, 0x0A]) == [.malformed("field 2 is not valid UTF-8"), .fields(["b"])])
    }

    @Test func anOverlongRecordIsReportedAndSkipped() throws {
        let long = "x," + String(repeating: "a", count: 100) + "\n"
        let unclosed = "\"" + String(repeating: "b", count: 100) + "\nstill inside the quote\n"
        for blockSize in [7, 64, 1 << 20] {
            #expect(
                try records(Array(("a,b\n" + long + "c,d\n" + unclosed + "e,f\n").utf8), blockSize: blockSize, maximumRecordBytes: 50) == [
                    .fields(["a", "b"]), .malformed("the record is longer than 50 bytes"), .fields(["c", "d"]),
                    .malformed("the record is longer than 50 bytes"), .fields(["still inside the quote"]), .fields(["e", "f"]),
                ])
        }
    }

    @Test func anEmptyFileHasNoRecords() throws {
        #expect(try records("") == [])
        #expect(try records("\u{FEFF}") == [])
    }

    @Test func aMissingFileIsAnOpenError() {
        #expect(throws: CSVRecordReader.OpenError.self) { _ = try CSVRecordReader(path: "/nonexistent/file.csv") }
    }

    /// Past `maximumFields` a record's fields are counted, not kept, quoted or not.
    @Test func fieldsPastTheMaximumAreOnlyCounted() throws {
        // Tiny blocks split records everywhere, but a record is parsed again from its start at each
        // block: the widest row goes with blocks of realistic size only.
        for (blockSize, cells) in [(7, 3_000), (1 << 16, 300_000), (1 << 20, 300_000)] {
            let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("wide-\(UUID().uuidString).csv")
            let wide = "+14155550123,x" + String(repeating: ",", count: cells) + "\n"
            try Data(("phone,name\n" + wide + "a,\"b\"\"\",\"c\"\"\"\nd,e\n").utf8).write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            var reader = try CSVRecordReader(path: url.path, blockSize: blockSize)
            reader.maximumFields = 2
            var all: [CSVRecordReader.Record] = []
            while let record = try reader.next() { all.append(record) }
            #expect(
                all == [.fields(["phone", "name"]), .tooManyFields(cells + 2), .tooManyFields(3), .fields(["d", "e"])], "block \(blockSize)"
            )
        }
    }

    /// The record counter agrees with the reader: quoted line breaks are inside a record.
    @Test func theCounterCountsRecordsNotLines() throws {
        let texts = [
            "\u{FEFF}a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\rlast,\n,\n\nno end",
            "phone,name\n+1,\"" + String(repeating: "\n", count: 1_000) + "\"\n+2,x\r\n",
            "a\r\r\nb\"c\nd", "", "\n", "a,\"b\"x\n\"never closed\n\n",
        ]
        for text in texts {
            var counter = CSVRecordCounter()
            // Fed in pieces, as a download comes in chunks.
            let bytes = Array(text.utf8)
            for start in stride(from: 0, to: bytes.count, by: 3) { counter.count(bytes[start..<min(start + 3, bytes.count)]) }
            #expect(counter.recordsAtEnd == (try records(text)).count, "\(text.prefix(40).debugDescription)")
        }
    }

    /// `Accept` per RFC 9110: q-values, `*/*`, `type/*`, the most specific range wins.
    @Test func acceptIsNegotiated() throws {
        let cases: [(String?, ExportController.Format?)] = [
            (nil, .csv), ("", .csv), ("*/*", .csv), ("text/*", .csv), ("application/*", .ndjson),
            ("text/csv;q=0, application/x-ndjson", .ndjson), ("application/x-ndjson;q=0.5, text/csv;q=0.4", .ndjson),
            ("application/x-ndjson, text/csv", .csv), ("*/*;q=0.1, application/x-ndjson", .ndjson),
            ("text/*;q=0, */*", .ndjson), ("text/csv;q=0, application/x-ndjson;q=0", nil), ("application/xml", nil),
            ("TEXT/CSV", .csv), ("text/csv;q=abc, application/x-ndjson", .ndjson), ("*/*;q=0", nil),
        ]
        for (accept, expected) in cases {
            let format = try? ExportController.format(accept: accept)
            #expect(format == expected, "\(accept ?? "none")")
        }
    }
}
