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
        switch Int.random(in: 0..<6, using: &random) {
        case 0 where key == "phone": return jsonString(["+33 6 12 34 56 78", "+1 (415) 555-01\(Int.random(in: 10...99, using: &random))", "+٣٣٦١٢٣٤٥٦٧٨", "++1", "+1 ext 5", "0612"].randomElement(using: &random)!)
        case 1 where key == "tags": return "[" + (0..<Int.random(in: 0...120, using: &random)).map { _ in jsonString(string(maxLength: 70)) }.joined(separator: ",") + "]"
        case 2 where key == "metadata": return nested(Int.random(in: 1...80, using: &random))
        default: return value(depth: 0)
        }
    }

    mutating func value(depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 3 ? 6 : 8), using: &random) {
        case 0: return "null"
        case 1: return Bool.random(using: &random) ? "true" : "false"
        case 2: return ["0", "-0", "1e999999", "123456789012345678901234567890", "-1.5E-300", "8742.00", "1e-99999"].randomElement(using: &random)!
        case 3, 4: return jsonString(string(maxLength: Int.random(in: 0...3, using: &random) == 0 ? 2_000 : 30))
        case 5: return #""\u0000 \ud83d\ude00 \u00e9""#
        case 6: return "[" + (0..<Int.random(in: 0...4, using: &random)).map { _ in value(depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<Int.random(in: 0...4, using: &random)).map { _ in "\(jsonString(string(maxLength: 6))): \(value(depth: depth + 1))" }.joined(separator: ",") + "}"
        }
    }

    mutating func nested(_ levels: Int) -> String {
        String(repeating: #"{"a":["#, count: levels / 2) + "1" + String(repeating: "]}", count: levels / 2)
    }

    mutating func string(maxLength: Int) -> String {
        let pools: [ClosedRange<UInt32>] = [0x20...0x7E, 0x00...0x1F, 0xA0...0x2FF, 0x600...0x6FF, 0x4E00...0x4E80, 0x1F600...0x1F64F, 0xFFF0...0xFFFD]
        var text = ""
        for _ in 0..<Int.random(in: 0...maxLength, using: &random) {
            let pool = pools.randomElement(using: &random)!
            if let scalar = Unicode.Scalar(UInt32.random(in: pool, using: &random)) { text.unicodeScalars.append(scalar) }
        }
        return text
    }

    mutating func garbage() -> String {
        ["", "{", "}", "[1,2", #"{"phone":}"#, "{'phone': 1}", "nul", "\u{1}", #"{"a":"\x"}"#, #"{"a": "\ud800"}"#, String(repeating: "[", count: 10_000), "{\"phone\": \"+1\" \"x\"}"]
            .randomElement(using: &random)!
    }
}

@Suite("Fuzz: 10,000 generated bodies")
struct FuzzTests {
    @Test func noBodyGetsA5xxAndEveryErrorIsJSON() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        var generator = BodyGenerator(random: SeededRandom(state: 20_261_124))
        let bodies = (0..<10_000).map { _ in generator.body() }
        try await TestAPI.with { api in
            let app = Application(router: buildRouter(pool: api.pool, configuration: api.configuration))
            try await app.test(.router) { client in
                var statuses: [Int: Int] = [:]
                for (index, body) in bodies.enumerated() {
                    let path = index % 5 == 0 ? "/api/v1/actions/update-contact" : "/api/v1/actions/create-contact"
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
                            #expect(json?["id"] is String, "body #\(index)")
                        }
                    }
                }
                // The generator reaches every kind of answer, not only one.
                #expect(statuses.keys.contains(201) && statuses.keys.contains(400) && statuses.keys.contains(422))
            }
        }
    }
}
