import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Service
import Testing

/// A small deterministic generator (SplitMix64): the same seed, the same bodies.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Hostile and careless create-contact bodies: random types in every field, random Unicode
/// (escaped NUL and surrogates included), huge and empty strings, duplicate keys, deep nesting,
/// broken JSON.
struct BodyGenerator {
    var random: SeededRandom
    let fields = ["phone", "name", "email", "tags", "metadata", "add_tags", "id", ""]

    mutating func body() -> String {
        switch Int.random(in: 0..<20, using: &random) {
        case 0: return garbage()
        case 1: return value(depth: 0)
        default:
            var members: [String] = []
            for _ in 0..<Int.random(in: 0...7, using: &random) {
                let key = Bool.random(using: &random) ? fields.randomElement(using: &random)! : string(maxLength: 8)
                members.append("\(jsonString(key)): \(fieldValue(key))")
            }
            if Bool.random(using: &random) { members.append(#""phone": "+1415555\#(Int.random(in: 1000...9999, using: &random))""#) }
            return "{" + members.shuffled(using: &random).joined(separator: ",") + "}"
        }
    }

    mutating func fieldValue(_ key: String) -> String {
        if Int.random(in: 0..<4, using: &random) == 0 { return atOrBeyondLimit(key) }
        switch Int.random(in: 0..<6, using: &random) {
        case 0 where key == "phone":
            return jsonString(
                [
                    "+33 6 12 34 56 78", "+1 (415) 555-01\(Int.random(in: 10...99, using: &random))", "+٣٣٦١٢٣٤٥٦٧٨", "++1", "+1 ext 5",
                    "0612",
                ].randomElement(using: &random)!)
        case 1 where key == "tags":
            return "[" + (0..<Int.random(in: 0...120, using: &random)).map { _ in jsonString(string(maxLength: 70)) }.joined(separator: ",")
                + "]"
        case 2 where key == "metadata": return nested(Int.random(in: 1...80, using: &random))
        default: return value(depth: 0)
        }
    }

    mutating func value(depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 3 ? 6 : 8), using: &random) {
        case 0: return "null"
        case 1: return Bool.random(using: &random) ? "true" : "false"
        case 2:
            return ["0", "-0", "1e999999", "123456789012345678901234567890", "-1.5E-300", "8742.00", "1e-99999"].randomElement(
                using: &random)!
        case 3, 4: return jsonString(string(maxLength: Int.random(in: 0...3, using: &random) == 0 ? 2_000 : 30))
        case 5: return #""\u0000 \ud83d\ude00 \u00e9""#
        case 6: return "[" + (0..<Int.random(in: 0...4, using: &random)).map { _ in value(depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            return "{"
                + (0..<Int.random(in: 0...4, using: &random)).map { _ in "\(jsonString(string(maxLength: 6))): \(value(depth: depth + 1))" }
                .joined(separator: ",") + "}"
        }
    }

    /// A value at a field's limit, or 10 or 1,000 times past it.
    mutating func atOrBeyondLimit(_ key: String) -> String {
        let factor = [1, 1, 10, 1000].randomElement(using: &random)!
        switch key {
        case "phone":
            return jsonString("+1" + String(repeating: ["4", "٣", " ", "0"].randomElement(using: &random)!, count: 31 * factor))
        case "name":
            return jsonString(
                String(
                    repeating: ["x", "é", "😀", " "].randomElement(using: &random)!,
                    count: 255 * factor + Int.random(in: 0...1, using: &random)))
        case "email": return jsonString(String(repeating: "a", count: 64 * factor) + "@" + String(repeating: "b", count: 63) + ".com")
        case "tags", "add_tags":
            let pair = normalizationPairs.randomElement(using: &random)!
            if Bool.random(using: &random) {
                return jsonString(String(repeating: "t", count: 64 * factor + 1) + ", " + pair.0 + ", " + pair.1)
            }
            let many = (0..<min(20_000, 100 * factor + 1)).map { "\($0 % 7 == 0 ? pair.0 : pair.1)\($0)" }
            return "[" + many.map(jsonString).joined(separator: ",") + "]"
        default:
            let number = numberForms.randomElement(using: &random)!
            let keys = min(20_000, 10 * factor)
            return "{" + (0..<keys).map { #""k\#($0)": \#(number)"# }.joined(separator: ",") + "}"
        }
    }

    let numberForms = [
        "1e131071", "1e131072", "1e-16383", "1e-16384", "-0", "-0.0e-5", "1E+400", "1e1073741823", "0e-1073741823",
        String(repeating: "9", count: 400), "-" + String(repeating: "1", count: 400) + "." + String(repeating: "0", count: 400), "1e65000",
    ]
    /// The same text in NFC and in NFD.
    let normalizationPairs = [
        ("\u{E9}t\u{E9}", "e\u{301}te\u{301}"), ("\u{C5}", "A\u{30A}"), ("\u{1E9B}\u{323}", "\u{17F}\u{323}\u{307}"),
        ("한", "\u{1112}\u{1161}\u{11AB}"),
    ]

    mutating func nested(_ levels: Int) -> String {
        String(repeating: #"{"a":["#, count: levels / 2) + "1" + String(repeating: "]}", count: levels / 2)
    }

    mutating func string(maxLength: Int) -> String {
        let pools: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x00...0x1F, 0xA0...0x2FF, 0x600...0x6FF, 0x4E00...0x4E80, 0x1F600...0x1F64F, 0xFFF0...0xFFFD,
        ]
        var text = ""
        for _ in 0..<Int.random(in: 0...maxLength, using: &random) {
            let pool = pools.randomElement(using: &random)!
            if let scalar = Unicode.Scalar(UInt32.random(in: pool, using: &random)) { text.unicodeScalars.append(scalar) }
        }
        return text
    }

    mutating func garbage() -> String {
        [
            "", "{", "}", "[1,2", #"{"phone":}"#, "{'phone': 1}", "nul", "\u{1}", #"{"a":"\x"}"#, #"{"a": "\ud800"}"#,
            String(repeating: "[", count: 10_000), "{\"phone\": \"+1\" \"x\"}",
        ]
        .randomElement(using: &random)!
    }
}

@Suite("Fuzz: 10,000 generated bodies")
struct FuzzTests {
    @Test func noBodyGetsA5xxAndEveryErrorIsJSON() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let generator = BodyGenerator(random: SeededRandom(state: 20_261_124))
            let app = Application(router: buildRouter(pool: api.pool, configuration: api.configuration))
            try await app.test(.router) { [generator] client in
                var generator = generator
                var statuses: [Int: Int] = [:]
                // Warm-up, untimed: the first request opens the pool's connection and resolves the
                // token while the rest of the suite starts too.
                try await client.execute(uri: "/api/v1/tags", method: .get, headers: [.authorization: "Bearer \(token)"]) { _ in }
                for index in 0..<10_000 {
                    let body = generator.body()
                    let path = index % 5 == 0 ? "/api/v1/actions/update-contact" : "/api/v1/actions/create-contact"
                    let started = ContinuousClock.now
                    defer {
                        // Bounded work per request, whatever the body (a phone of 32,000 digits took
                        // 11.6 s); wide, for the suite running beside it.
                        let took = ContinuousClock.now - started
                        #expect(took < .seconds(3), "body #\(index) took \(took): \(body.prefix(200))")
                    }
                    try await client.execute(
                        uri: path, method: .post,
                        headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                        body: ByteBuffer(string: body)
                    ) { response in
                        let code = Int(response.status.code)
                        statuses[code, default: 0] += 1
                        #expect(code < 500, "body #\(index): \(body.prefix(300)) → \(String(buffer: response.body).prefix(300))")
                        #expect(response.headers[.contentType] == "application/json")
                        let json = try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                        if code >= 400 {
                            #expect(json?["message"] is String && json?["code"] is String, "body #\(index)")
                        } else {
                            // Read as text: Foundation's parser gives up on numbers PostgreSQL keeps (400 digits, 1e65000).
                            #expect(String(buffer: response.body).hasPrefix(#"{"id":""#), "body #\(index)")
                        }
                    }
                }
                // The generator reaches every kind of answer, not only one.
                #expect(statuses.keys.contains(201) && statuses.keys.contains(400) && statuses.keys.contains(422))
            }
        }
    }
}
