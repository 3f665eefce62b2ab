import Foundation
import Service
import Testing

@Suite("Parts with no database: ULID, JSON, e-mail, phone")
struct UnitTests {
    @Test func whiteSpaceIsTrimmedByScalarsWithTheASCIIFastPath() {
        #expect(" \t Dupont\r\n".trimmingWhitespace() == "Dupont")
        #expect("\u{00A0}\u{2003}x y\u{3000}".trimmingWhitespace() == "x y")  // non-ASCII White_Space
        #expect(" \u{301}abc ".trimmingWhitespace() == "\u{301}abc")  // the combining mark stays, the space goes
        #expect("   ".trimmingWhitespace() == "")
        #expect("".trimmingWhitespace() == "")
        #expect("\u{200B}x".trimmingWhitespace() == "\u{200B}x")  // zero-width space is not White_Space
    }

    @Test func decimalTextRoundsLikeAFormatString() {
        #expect(decimalText(12.345) == "12.35")
        #expect(decimalText(0.004) == "0.00")
        #expect(decimalText(-1.5, fractionDigits: 1) == "-1.5")
        #expect(decimalText(-0.001) == "0.00")
        #expect(decimalText(7, fractionDigits: 0) == "7")
        #expect(decimalText(1234.5) == "1234.50")
    }

    @Test func ulidRoundTripsAndIsTimeOrdered() throws {
        let a = ULID(date: Date(timeIntervalSince1970: 1_778_141_663))
        let b = ULID(date: Date(timeIntervalSince1970: 1_778_141_664))
        #expect(a.description.count == 26)
        #expect(a.description < b.description)
        #expect(ULID(string: a.description) == a)
        #expect(ULID(string: a.description.lowercased()) == a)
        #expect(ULID(string: "8ZZZZZZZZZZZZZZZZZZZZZZZZZ") == nil)  // over 128 bits
        #expect(ULID(string: "01ARZ3NDEKTSV4RRFFQ69G5FAU") == nil)  // U is not Crockford
        #expect(ULID(string: "short") == nil)
        #expect(ULID(string: "7ZZZZZZZZZZZZZZZZZZZZZZZZZ")?.uuid.uuidString == "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")
    }

    @Test func parserKeepsNumberTextRawRangesAndOrder() throws {
        let text = #"{"b": 1.50, "a": {"x": [1e3, -0]}, "b": "again"}"#
        let value = try JSONParser.parse(Array(text.utf8))
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a", "b"])
        #expect(members[0].value == .number("1.50"))
        #expect(value["b"]?.value == .string("again"))
        let raw = Array(text.utf8)[members[1].rawRange]
        #expect(String(decoding: raw, as: UTF8.self) == #"{"x": [1e3, -0]}"#)
        #expect(value.depth == 3)
    }

    @Test func parserRejectsWhatRFC8259Rejects() {
        for text in [
            "{", "}", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "1e", "\"\\x\"", "\"\u{1}\"", "nul", "tru", "[1 2]", "{\"a\" 1}",
            "\"\\ud800\"", "\"\\udc00x\"",
        ] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONParser.parse(Array(text.utf8)) }
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }  // invalid UTF-8
        let deep = String(repeating: "[", count: 100_000)
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(deep.utf8)) }
        #expect(error?.reason == .tooDeep)
    }

    @Test func parserDecodesEscapes() throws {
        let value = try JSONParser.parse(Array(#"["a\"b\\c\/d\n\t\u00e9\ud83d\ude00\u0000"]"#.utf8))
        #expect(value == .array([.string("a\"b\\c/d\n\té😀\u{0}")]))
        #expect(value.containsNUL)
    }

    @Test func writerEscapesForJSON() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("k\"", "line\nquote\" back\\ bell\u{7} é")
        writer.key("list")
        writer.beginArray()
        writer.int(1)
        writer.optionalString(nil)
        writer.endArray()
        writer.endObject()
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #"{"k\"":"line\nquote\" back\\ bell\u0007 é","list":[1,null]}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any]
        #expect(parsed?["k\""] as? String == "line\nquote\" back\\ bell\u{7} é")
    }

    @Test func emailGrammar() throws {
        #expect(try EmailAddress.normalize("a.b-c+d@EXAMPLE.co.UK").get() == "a.b-c+d@example.co.uk")
        #expect(try EmailAddress.normalize("x@y").get() == "x@y")
        for bad in ["a@b_c.com", "a@" + String(repeating: "b", count: 64) + ".com", "(a)@b.com"] {
            #expect((try? EmailAddress.normalize(bad).get()) == nil, "\(bad)")
        }
    }

    @Test func phoneNormalization() throws {
        #expect(try PhoneNumber.normalize("+1 (415) 555-0123").get() == "+14155550123")
        #expect(PhoneNumber.normalize("+1 415 555 0123;ext=5") == .failure(.extensionPresent))
        #expect(PhoneNumber.normalize("612345678") == .failure(.missingPlus))
        #expect(PhoneNumber.normalize("+") == .failure(.notANumber))
    }
}
