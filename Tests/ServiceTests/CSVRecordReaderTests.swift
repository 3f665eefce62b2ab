import Foundation
@testable import Service
import Testing

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
        #expect(try records("\"closed\"then,x\nnext,1\n") == [.malformed("text after the closing quote of field 1"), .fields(["next", "1"])])
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
}
