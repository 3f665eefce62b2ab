import Foundation
import HTTPTypes
import Service
import Testing

/// Every row of API.md's field table, through the router against the real database.
@Suite("create-contact: every field's rules")
struct FieldValidationTests {
    func create(_ body: String) async throws -> Reply {
        let (token, _, _) = try await TestEnvironment.tenant()
        return try await TestAPI.with { api in try await api.create(body, token: token) }
    }

    @Test(arguments: [
        ("+14155550123", "+14155550123"),
        ("+1 (415) 555-0123", "+14155550123"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33.6.12.34.56.78", "+33612345678"),
        ("+٣٣٦١٢٣٤٥٦٧٨", "+33612345678"),
        ("+４４ ２０ ７９４６ ００１８", "+442079460018"),
        ("  +44 20 7946 0018  ", "+442079460018"),
    ])
    func phoneIsNormalizedToE164(input: String, e164: String) async throws {
        let reply = try await create(#"{"phone": \#(jsonString(input))}"#)
        #expect(reply.status == .created, "\(reply.text)")
        #expect(reply.json["phone"] as? String == e164)
    }

    @Test(arguments: [
        (#"{}"#, "phone is required"),
        (#"{"phone": null}"#, "phone is required"),
        (#"{"phone": 14155550123}"#, "phone must be a string"),
        (#"{"phone": ""}"#, "phone is not a phone number"),
        (#"{"phone": "0612345678"}"#, "phone must be in international format, starting with + and the country code"),
        (#"{"phone": "0033612345678"}"#, "phone must be in international format, starting with + and the country code"),
        (#"{"phone": "+1 415 555 0123 ext. 12"}"#, "phone must not have an extension"),
        (#"{"phone": "+14155550123x12"}"#, "phone must not have an extension"),
        (#"{"phone": "+14155550123#12"}"#, "phone must not have an extension"),
        (#"{"phone": "+1 415 CALL NOW"}"#, "phone may contain only a leading +, digits, spaces, dots, dashes and parentheses"),
        (#"{"phone": "+33 6 12 34 56 78 +1"}"#, "phone may contain only a leading +, digits, spaces, dots, dashes and parentheses"),
        (#"{"phone": "++33612345678"}"#, "phone may contain only a leading +, digits, spaces, dots, dashes and parentheses"),
        (#"{"phone": "+999 1234567"}"#, "phone has an invalid country code"),
        (#"{"phone": "+1 415"}"#, "phone is too short"),
        (#"{"phone": "+33 6 12 34 56 78 90 12 34"}"#, "phone is too long"),
        (#"{"phone": "+1 415 555 01"}"#, "phone is too short"),
        (#"{"phone": "+33 0 12 34 56 78"}"#, "phone is not a valid number for its country"),
    ])
    func invalidPhonesAre422SayingWhy(body: String, message: String) async throws {
        let reply = try await create(body)
        #expect(reply.status == .unprocessableContent, "\(body) → \(reply.text)")
        #expect(reply.code == "validation_failed")
        #expect(reply.errors["phone"] == [message], "\(body) → \(reply.text)")
    }

    @Test func nameIsTrimmedEmptyIsNullAndLengthCountsCodePoints() async throws {
        #expect(try await create(#"{"phone": "+14155550123", "name": "  Romain \n"}"#).json["name"] as? String == "Romain")
        #expect(try await create(#"{"phone": "+14155550123", "name": "   "}"#).json["name"] is NSNull)
        #expect(try await create(#"{"phone": "+14155550123", "name": null}"#).json["name"] is NSNull)
        let emoji255 = String(repeating: "👍", count: 255)
        let ok = try await create(#"{"phone": "+14155550123", "name": "\#(emoji255)"}"#)
        #expect(ok.status == .created)
        #expect(ok.json["name"] as? String == emoji255)
        let long = try await create(#"{"phone": "+14155550123", "name": "\#(String(repeating: "é", count: 256))"}"#)
        #expect(long.status == .unprocessableContent)
        #expect(long.errors["name"]?.first?.contains("too long") == true)
        let wrongType = try await create(#"{"phone": "+14155550123", "name": ["a"]}"#)
        #expect(wrongType.errors["name"] == ["name must be a string or null"])
    }

    @Test func emailIsTrimmedValidatedAndItsDomainLowerCased() async throws {
        let reply = try await create(#"{"phone": "+14155550123", "email": "  Romain.B+crm@Example.COM "}"#)
        #expect(reply.json["email"] as? String == "Romain.B+crm@example.com")
        #expect(try await create(#"{"phone": "+14155550123", "email": ""}"#).json["email"] is NSNull)
        #expect(try await create(#"{"phone": "+14155550123", "email": "a@localhost"}"#).status == .created)
        for bad in [
            "plain", "a@", "@b.com", "a b@c.com", "a@-b.com", "a@b-.com", "a@b..com", "a@b.com.", "a@@b.com", "é@b.com", "a@exämple.com",
        ] {
            let reply = try await create(#"{"phone": "+14155550123", "email": \#(jsonString(bad))}"#)
            #expect(reply.errors["email"] == ["email is not a valid e-mail address"], "\(bad)")
        }
        let long =
            String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63) + "."
            + String(repeating: "d", count: 62)
        #expect(long.count == 255)
        #expect(try await create(#"{"phone": "+14155550123", "email": "\#(long)"}"#).errors["email"]?.first?.contains("too long") == true)
        #expect(try await create(#"{"phone": "+14155550123", "email": 5}"#).errors["email"] == ["email must be a string or null"])
    }

    @Test(arguments: [
        (#""vip, beta-testers, fr-FR""#, ["vip", "beta-testers", "fr-FR"]),
        (#""vip, fr-FR""#, ["vip", "fr-FR"]),
        (#"" , vip,, vip ,beta,""#, ["vip", "beta"]),
        (#""VIP, vip""#, ["VIP", "vip"]),
        (#"["b", " a ", "b", ""]"#, ["b", "a"]),
        (#""""#, []),
        (#"[]"#, []),
        ("null", []),
    ])
    func tagsAreSplitTrimmedDeduplicatedInOrder(tags: String, expected: [String]) async throws {
        let reply = try await create(#"{"phone": "+14155550123", "tags": \#(tags)}"#)
        #expect(reply.status == .created, "\(reply.text)")
        #expect(reply.json["tags"] as? [String] == expected)
    }

    @Test func tagLimitsAndForbiddenContent() async throws {
        let hundred = (0..<100).map { "t\($0)" }.joined(separator: ",")
        #expect(
            try await create(#"{"phone": "+14155550123", "tags": "\#(hundred)"}"#).json["tags"] as? [String] == (0..<100).map { "t\($0)" })
        // Duplicates count once: 101 items with one repeat is 100 tags.
        #expect(try await create(#"{"phone": "+14155550123", "tags": "\#(hundred),t5"}"#).status == .created)
        let tooMany = (0..<101).map { "t\($0)" }.joined(separator: ",")
        #expect(try await create(#"{"phone": "+14155550123", "tags": "\#(tooMany)"}"#).errors["tags"] == ["too many tags (at most 100)"])
        let sixtyFour = String(repeating: "é", count: 64)
        #expect(try await create(#"{"phone": "+14155550123", "tags": "  \#(sixtyFour)  "}"#).status == .created)
        let long = try await create(#"{"phone": "+14155550123", "tags": "\#(sixtyFour)x"}"#)
        #expect(long.errors["tags"]?.first?.contains("too long") == true)
        #expect(try await create(#"{"phone": "+14155550123", "tags": ["a,b"]}"#).errors["tags"] == ["a tag must not contain a comma"])
        #expect(
            try await create(#"{"phone": "+14155550123", "tags": "a\u0007b"}"#).errors["tags"] == [
                "a tag must not contain control characters"
            ])
        #expect(
            try await create(#"{"phone": "+14155550123", "tags": ["a", 1]}"#).errors["tags"] == [
                "tags must be a string or an array of strings"
            ])
        #expect(
            try await create(#"{"phone": "+14155550123", "tags": {"a": 1}}"#).errors["tags"] == [
                "tags must be a string or an array of strings"
            ])
    }

    @Test func metadataMustBeABoundedObject() async throws {
        #expect(try await create(#"{"phone": "+14155550123", "metadata": null}"#).text.contains(#""metadata":{}"#))
        for value in ["[]", "1", #""text""#, "true"] {
            #expect(
                try await create(#"{"phone": "+14155550123", "metadata": \#(value)}"#).errors["metadata"] == [
                    "metadata must be a JSON object"
                ])
        }
        // Exactly 65,536 bytes as sent and as stored (jsonb writes `{"k": "…"}`) is fine; one more is not.
        let filler = 65_536 - #"{"k": ""}"#.utf8.count
        let exact = #"{"k": "\#(String(repeating: "x", count: filler))"}"#
        #expect(exact.utf8.count == 65_536)
        #expect(try await create(#"{"phone": "+14155550123", "metadata": \#(exact)}"#).status == .created)
        let over = #"{"k": "\#(String(repeating: "x", count: filler + 1))"}"#
        #expect(
            try await create(#"{"phone": "+14155550123", "metadata": \#(over)}"#).errors["metadata"]?.first?.contains("too long") == true)
        // 65,536 bytes as sent without the space, so 65,537 as stored.
        let compact = #"{"k":"\#(String(repeating: "x", count: filler + 1))"}"#
        #expect(compact.utf8.count == 65_536)
        #expect(try await create(#"{"phone": "+14155550123", "metadata": \#(compact)}"#).errors["metadata"] == [Metadata.tooLongAsStored])
        // Depth: the object is level 1, arrays count.
        func nested(_ levels: Int) -> String {
            String(repeating: #"{"a":"#, count: levels - 1) + "[]" + String(repeating: "}", count: levels - 1)
        }
        #expect(try await create(#"{"phone": "+14155550123", "metadata": \#(nested(32))}"#).status == .created)
        #expect(try await create(#"{"phone": "+14155550123", "metadata": \#(nested(33))}"#).errors["metadata"] == [Metadata.tooDeep])
        // Past what the parser reads at all, the same message: the contract's 32 levels.
        let deep = try await create(#"{"phone": "+14155550123", "metadata": \#(nested(5000))}"#)
        #expect(deep.status == .unprocessableContent)
        #expect(deep.errors["metadata"] == ["metadata is nested too deeply (at most 32 levels)"])
        #expect(
            try await create(#"{"phone": "+14155550123", "metadata": {"n": 1e999999}}"#).errors["metadata"] == [
                "metadata has a number out of range"
            ])
    }

    @Test(arguments: [
        (#"{"phone": "+1415555\u00000123"}"#, "phone"),
        (#"{"phone": "+14155550123", "name": "Ro\u0000main"}"#, "name"),
        (#"{"phone": "+14155550123", "email": "a\u0000@b.com"}"#, "email"),
        (#"{"phone": "+14155550123", "tags": "vip\u0000"}"#, "tags"),
        (#"{"phone": "+14155550123", "metadata": {"k": "v\u0000"}}"#, "metadata"),
        (#"{"phone": "+14155550123", "metadata": {"k\u0000": 1}}"#, "metadata"),
        (#"{"phone": "+14155550123", "metadata": {"deep": [{"x": ["\u0000"]}]}}"#, "metadata"),
    ])
    func nulCharacterIsA422NamingTheField(body: String, field: String) async throws {
        let reply = try await create(body)
        #expect(reply.status == .unprocessableContent, "\(reply.text)")
        #expect(reply.errors[field] != nil, "\(reply.text)")
        #expect(reply.errors.keys.count == 1)
    }

    @Test func oneResponseListsEveryInvalidField() async throws {
        let reply = try await create(#"{"phone": "0612", "name": 1, "email": "x", "tags": 2, "metadata": []}"#)
        #expect(Set(reply.errors.keys) == ["phone", "name", "email", "tags", "metadata"])
        #expect(reply.json["message"] as? String == "The given data was invalid.")
    }
}
