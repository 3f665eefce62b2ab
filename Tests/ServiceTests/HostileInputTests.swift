import Foundation
import HTTPTypes
import PGStore
import Service
import Testing

/// What a black-box attack found (issue 10), each as a test that failed before the fix: inputs
/// whose cost grew with their size, limits that held for what was sent but not for what was
/// stored, dates and cursors taken on trust, look-alike tags.
@Suite("Hostile input: bounded cost, stored limits, strict dates, bound cursors, NFC tags")
struct HostileInputTests {
    static let longPhone = "+" + String(repeating: "0", count: 32_000)

    /// Every route that takes a phone refuses 32,000 digits at once (it took 11.6 s), with 422
    /// "too long", before libphonenumber sees it.
    @Test func aHugePhoneIsRefusedBeforeParsingOnEveryRoute() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let phone = jsonString(Self.longPhone)
            let bodies = [
                ("/api/v1/actions/create-contact", #"{"phone": \#(phone)}"#),
                ("/api/v1/actions/update-contact", #"{"phone": \#(phone), "name": "x"}"#),
                ("/api/v1/actions/delete-contact", #"{"phone": \#(phone)}"#),
            ]
            for (path, body) in bodies {
                let started = ContinuousClock.now
                let reply = try await api.send(.post, path, token: token, body: body)
                // Wide: the whole suite runs beside it; before the fix one such request took 11.6 s alone.
                #expect(ContinuousClock.now - started < .seconds(5), "\(path)")
                #expect(reply.status == .unprocessableContent, "\(path)")
                #expect(reply.errors["phone"] == ["phone is too long (at most 32 characters)"], "\(path): \(reply.text.prefix(200))")
            }
            var started = ContinuousClock.now
            let listed = try await api.send(.get, "/api/v1/contacts?phone=%2B" + String(repeating: "0", count: 32_000), token: token)
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(listed.errors["phone"] == ["phone is too long (at most 32 characters)"])
            // 1,000 items of 200 digits each (10 × 4,000 digits took 1.2 s).
            let item = #"{"phone": \#(jsonString("+" + String(repeating: "1", count: 200)))}"#
            started = ContinuousClock.now
            let batch = try await api.send(
                .post, "/api/v1/actions/create-contacts", token: token,
                body: #"{"contacts": [\#(Array(repeating: item, count: 1000).joined(separator: ","))]}"#)
            #expect(ContinuousClock.now - started < .seconds(5))
            let results = try #require(batch.json["results"] as? [[String: Any]])
            #expect(results.count == 1000)
            #expect(results.allSatisfy { $0["status"] as? Int == 422 })
        }
        // 32 code points after trimming is the bound, white space around it aside.
        let thirtyTwo = "+1 (415) 555-0123 " + String(repeating: ".", count: 14)
        #expect(thirtyTwo.count == 32)
        #expect(PhoneNumber.normalize("  \(thirtyTwo)  ") == .success("+14155550123"))
        #expect(PhoneNumber.normalize(thirtyTwo + ".") == .failure(.overLengthLimit))
        #expect(PhoneNumber.normalize("   +1 (415) 555-0123      ") == .success("+14155550123"))
    }

    /// While the worst input of each field is sent, over and over from several clients, a health
    /// probe on the same server still answers promptly (two huge phones stalled it for 8–11 s).
    @Test func theWorstInputOfEachFieldDoesNotStallOtherRequests() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let huge = jsonString(Self.longPhone)
        let deep = String(repeating: #"{"a":"#, count: 31) + "1" + String(repeating: "}", count: 31)
        let manyNumbers = "{" + (0..<1000).map { #""n\#($0)": 1e100000"# }.joined(separator: ",") + "}"
        let manyTags = jsonString(String(repeating: "a,", count: 100_000))
        let batchItem = #"{"phone": "+1415555\#(String(repeating: "9", count: 25))", "tags": "a, b", "metadata": {"x": 1e131071}}"#
        let worst: [(String, String)] = [
            ("/api/v1/actions/create-contact", #"{"phone": \#(huge)}"#),
            ("/api/v1/actions/update-contact", #"{"phone": \#(huge)}"#),
            ("/api/v1/actions/create-contact", #"{"phone": "+14155550123", "metadata": \#(manyNumbers)}"#),
            ("/api/v1/actions/create-contact", #"{"phone": "+14155550123", "metadata": \#(deep)}"#),
            ("/api/v1/actions/create-contact", #"{"phone": "+14155550123", "tags": \#(manyTags)}"#),
            ("/api/v1/actions/create-contacts", #"{"contacts": [\#(Array(repeating: batchItem, count: 1000).joined(separator: ","))]}"#),
        ]
        try await withLiveService { service in
            try await withThrowingTaskGroup(of: Duration.self) { group in
                for client in 0..<4 {
                    group.addTask {
                        var slowest = Duration.zero
                        for round in 0..<3 {
                            let (path, body) = worst[(client + round) % worst.count]
                            let started = ContinuousClock.now
                            let reply = try await exchange(
                                port: service.port, method: "POST", path: path, token: token, body: body)
                            slowest = max(slowest, ContinuousClock.now - started)
                            #expect(reply.hasPrefix("HTTP/1.1 4") || reply.hasPrefix("HTTP/1.1 2"), "\(path): \(reply.prefix(300))")
                        }
                        return slowest
                    }
                }
                var probes: [Duration] = []
                for _ in 0..<10 {
                    let started = ContinuousClock.now
                    let reply = try await exchange(port: service.port, method: "GET", path: "/healthz")
                    probes.append(ContinuousClock.now - started)
                    #expect(reply.hasPrefix("HTTP/1.1 200"))
                    try await Task.sleep(for: .milliseconds(50))
                }
                // Wide margins: this proves the absence of 10-second stalls, not a latency target.
                // The rest of the suite shares the two cores, hence 2 s and 5 s.
                #expect(probes.max()! < .seconds(2), "health probes: \(probes)")
                for try await slowest in group { #expect(slowest < .seconds(5), "slowest hostile request: \(slowest)") }
            }
        }
    }

    /// The CPU time that validating each field's worst input costs this thread: immune to the
    /// load of the tests running beside it. Before the fix the phone alone took 11.6 s.
    @Test func validatingTheWorstInputOfEachFieldCostsLittleCPU() throws {
        let bodies = [
            #"{"phone": \#(jsonString(Self.longPhone))}"#,
            #"{"phone": "+14155550123", "metadata": {"n": 1e131071}}"#,
            #"{"phone": "+14155550123", "metadata": {\#((0..<1000).map { #""k\#($0)": 1e100000"# }.joined(separator: ","))}}"#,
            #"{"phone": "+14155550123", "tags": \#(jsonString(String(repeating: "é,", count: 100_000)))}"#,
            #"{"phone": "+14155550123", "name": \#(jsonString(String(repeating: " ", count: 200_000) + "x"))}"#,
            #"{"phone": "+14155550123", "email": \#(jsonString(String(repeating: "a", count: 200_000) + "@x"))}"#,
        ]
        for body in bodies {
            let cost = try threadCPUTime {
                let value = try JSONParser.parse(Array(body.utf8))
                _ = ContactInput.validate(value, text: body)
                _ = ContactPatch.validate(value, text: body)
            }
            // Debug build; linear work on the largest bodies. The quadratic phone took 31 s here.
            #expect(cost < .seconds(1), "\(body.prefix(60)): \(cost)")
        }
    }

    /// 49 bytes sent must not become 131 KB stored, nor 16 KB become 100 MB.
    @Test func metadataIsBoundedAsStored() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let exploding = try await api.create(#"{"phone": "+14155550123", "metadata": {"n": 1e131071}}"#, token: token)
            #expect(exploding.errors["metadata"] == [Metadata.tooLongAsStored])
            let many = "{" + (0..<1000).map { #""k\#($0)": 1e100000"# }.joined(separator: ",") + "}"
            #expect(
                try await api.create(#"{"phone": "+14155550123", "metadata": \#(many)}"#, token: token).errors["metadata"] == [
                    Metadata.tooLongAsStored
                ])
            let outOfRange = try await api.create(#"{"phone": "+14155550123", "metadata": {"n": 1e131072, "m": 1e-16384}}"#, token: token)
            #expect(outOfRange.errors["metadata"] == ["metadata has a number out of range"])
            // Under the limit as stored: accepted, and given back whole.
            let big = try await api.create(#"{"phone": "+14155550123", "metadata": {"n": 1e65000}}"#, token: token)
            #expect(big.status == .created, "\(big.text.prefix(200))")
            #expect(big.text.contains("1" + String(repeating: "0", count: 65_000)))
        }
    }

    /// `JSONBText` computes jsonb's own text length: checked against PostgreSQL on number forms
    /// and documents where the two could differ (duplicate keys, escapes, look-alike keys).
    @Test func storedLengthIsWhatPostgreSQLWrites() async throws {
        let samples = [
            "0", "-0", "-0.00", "1.50e2", "1.5e-3", "0.0e5", "-0.0e-3", "123.4500e-2", "1E+2", "1e0003", "8742.00",
            "123456789012345678901234567890", "-1.5E-300", "0.000001", "1e-16383", "5e-16383", "9.9999e131071", "1e131071",
            "0e1000000", "0.5e-16382", "100e-2", "-12.5e1",
            #"{"a": 1, "a": [1, 2.50, "x"]}"#, #"{"k": "\u0001\n\"\\\/é😀\u00e9"}"#, #"{"é": 1, "é": 2}"#,
            #"[{}, [], null, true, false, {"b": {"c": [1e3]}}]"#, #"{"z": 1, "a": {"y": -0.0, "x": 0.1e1}}"#,
        ]
        try await TestEnvironment.asOwner { _, connection in
            for sample in samples {
                let value = try JSONParser.parse(Array(sample.utf8))
                let rows = try await connection.query(PGStatement("SELECT octet_length($1::jsonb::text) AS n"), [sample])
                let stored: Int = try rows[0].decode(column: "n")
                #expect(JSONBText.length(of: value) == stored, "\(sample)")
            }
            for outside in ["1e131072", "1e-16384", "0.0e-16383", "0e1073741823", "1e99999999999999999999"] {
                #expect(JSONBText.length(of: .number(outside)) == nil, "\(outside)")
                await #expect(throws: PGError.self) {
                    _ = try await connection.query(PGStatement("SELECT $1::jsonb"), [outside])
                }
            }
        }
    }

    /// A merge patch cannot grow stored metadata past the limit, and its cost stays linear
    /// (a 6,000-key patch took 4.7 s of PostgreSQL's CPU with a jsonb_set per key).
    @Test func updateMergesStayWithinTheLimitAndCheap() async throws {
        let (token, tenant, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let half = String(repeating: "x", count: 40_000)
            #expect(try await api.create(#"{"phone": "+14155550123", "metadata": {"a": "\#(half)"}}"#, token: token).status == .created)
            let grown = try await api.send(
                .post, "/api/v1/actions/update-contact", token: token, body: #"{"phone": "+14155550123", "metadata": {"b": "\#(half)"}}"#)
            #expect(grown.status == .unprocessableContent)
            #expect(grown.errors["metadata"] == [Metadata.tooLongAsStored])
            let stored = try await api.rows(tenant: tenant, "SELECT octet_length(metadata::text) AS n FROM contacts")
            #expect(try stored[0].decode(Int.self, column: "n") < 41_000)

            func keys(_ prefix: String, _ value: Int) -> String {
                "{" + (0..<5000).map { #""\#(prefix)\#($0)": \#(value)"# }.joined(separator: ", ") + "}"
            }
            #expect(try await api.create(#"{"phone": "+14155550124", "metadata": \#(keys("k", 1))}"#, token: token).status == .created)
            var started = ContinuousClock.now
            let replaced = try await api.send(
                .post, "/api/v1/actions/update-contact", token: token, body: #"{"phone": "+14155550124", "metadata": \#(keys("k", 2))}"#)
            #expect(replaced.status == .ok)
            #expect(ContinuousClock.now - started < .seconds(2))
            started = ContinuousClock.now
            let doubled = try await api.send(
                .post, "/api/v1/actions/update-contact", token: token, body: #"{"phone": "+14155550124", "metadata": \#(keys("j", 1))}"#)
            #expect(doubled.errors["metadata"] == [Metadata.tooLongAsStored])
            #expect(ContinuousClock.now - started < .seconds(2))
        }
    }

    /// 100 tags, then 100 more through `add_tags`: refused, and the 100 stay.
    @Test func addTagsKeepsTheHundredTagLimit() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let first = (0..<100).map { "a\($0)" }.joined(separator: ",")
            let more = (0..<100).map { "b\($0)" }.joined(separator: ",")
            #expect(try await api.create(#"{"phone": "+14155550123", "tags": "\#(first)"}"#, token: token).status == .created)
            let added = try await api.send(
                .post, "/api/v1/actions/update-contact", token: token, body: #"{"phone": "+14155550123", "add_tags": "\#(more)"}"#)
            #expect(added.status == .unprocessableContent)
            #expect(added.errors["add_tags"] == ["too many tags (at most 100 after add_tags)"])
            let read = try await api.send(.get, "/api/v1/contacts?phone=%2B14155550123", token: token)
            let contact = try #require((read.json["data"] as? [[String: Any]])?.first)
            #expect((contact["tags"] as? [String])?.count == 100)
            // Replacing some while adding stays legal when the result fits.
            let swapped = try await api.send(
                .post, "/api/v1/actions/update-contact", token: token,
                body: #"{"phone": "+14155550123", "remove_tags": "a0", "add_tags": "b0"}"#)
            #expect(swapped.status == .ok, "\(swapped.text.prefix(200))")
        }
    }

    static let impossibleDates = [
        "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01", "2026-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z",
        "2026-01-01T00:00:00+99:99", "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+01:60", "2026-01-01T00:00:00",
        "2026-01-01 00:00:00Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z", "2026-1-01T00:00:00Z",
        "+2026-01-01T00:00:00Z", "2026-01-01T00:00:00+0100", "2026-01-01T00:00:00Z ", "yesterday", "",
    ]
    static let realDates = [
        "0001-01-01T00:00:00Z", "0001-01-01T00:59:00-00:59", "9999-12-31T23:59:59Z", "9999-12-31T23:00:00+01:00",
        "2024-02-29T12:00:00Z", "2000-02-29T00:00:00z", "2026-05-07t08:14:23.123456789+02:00",
    ]

    /// Impossible dates are a 422 naming `updated_since`; real ones, at the edges too, list.
    @Test(arguments: impossibleDates.map { ($0, false) } + realDates.map { ($0, true) })
    func updatedSinceTakesOnlyDatesThatExist(_ since: String, exists: Bool) async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            let encoded = since.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? since
            let reply = try await api.send(.get, "/api/v1/contacts?updated_since=\(encoded)", token: token)
            #expect(reply.status == (exists ? .ok : .unprocessableContent), "\(since): \(reply.text.prefix(200))")
            #expect((reply.errors["updated_since"] != nil) == !exists)
        }
    }

    @Test func dateFractionsRoundUpToTheMicrosecond() throws {
        let base = try #require(RFC3339.parse("2026-05-07T08:14:23Z")).timeIntervalSince1970
        let cases: [(String, Int)] = [
            ("2026-05-07T08:14:23.0000001Z", 1), ("2026-05-07T08:14:23.000001Z", 1), ("2026-05-07T08:14:23.5Z", 500_000),
        ]
        for (text, micros) in cases {
            let date = try #require(RFC3339.parse(text))
            #expect(Int(((date.timeIntervalSince1970 - base) * 1_000_000).rounded()) == micros, "\(text)")
        }
        #expect(RFC3339.parse("2026-05-07T10:14:23+02:00") == RFC3339.parse("2026-05-07T08:14:23Z"))
    }

    /// `été` in NFC and in NFD is one tag: stored once, counted once, found by either form.
    @Test func tagsAreOneWhicheverNormalizationTheyCameIn() async throws {
        let (token, _, _) = try await TestEnvironment.tenant()
        let composed = "\u{E9}t\u{E9}"
        let decomposed = "e\u{301}te\u{301}"
        try await TestAPI.with { api in
            #expect(
                try await api.create(#"{"phone": "+14155550123", "tags": [\#(jsonString(composed))]}"#, token: token).status == .created)
            #expect(
                try await api.create(#"{"phone": "+14155550124", "tags": [\#(jsonString(decomposed))]}"#, token: token).status == .created)
            let tags = try await api.send(.get, "/api/v1/tags", token: token)
            let listed = try #require(tags.json["data"] as? [[String: Any]])
            #expect(listed.count == 1)
            #expect(listed.first?["name"] as? String == composed && (listed.first?["name"] as? String)?.unicodeScalars.count == 3)
            #expect(listed.first?["contacts"] as? Int == 2)
            for form in [composed, decomposed] {
                let encoded = form.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let found = try await api.send(.get, "/api/v1/contacts?tag=\(encoded)", token: token)
                #expect((found.json["data"] as? [Any])?.count == 2, "\(form.unicodeScalars.count) scalars")
            }
            let added = try await api.send(
                .post, "/api/v1/actions/update-contact", token: token,
                body: #"{"phone": "+14155550123", "add_tags": [\#(jsonString(decomposed)), "x"]}"#)
            #expect((added.json["tags"] as? [String])?.map { $0.unicodeScalars.count } == [3, 1])
        }
    }

    /// A cursor works only in the workspace and with the filters it was issued for, and shows no id.
    @Test func cursorsAreBoundAndOpaque() async throws {
        let a = try await TestEnvironment.tenant()
        let b = try await TestEnvironment.tenant()
        try await TestAPI.with { api in
            var ids: [String] = []
            for index in 0..<3 {
                let created = try await api.create(#"{"phone": "+1415555\#(7100 + index)", "tags": "t"}"#, token: a.token)
                ids.append(try #require(created.json["id"] as? String))
                _ = try await api.create(#"{"phone": "+1415555\#(7100 + index)", "tags": "t"}"#, token: b.token)
            }
            let page = try await api.send(.get, "/api/v1/contacts?tag=t&limit=1", token: a.token)
            let cursor = try #require(page.json["next_cursor"] as? String)
            // Its own listing: the next page.
            let next = try await api.send(.get, "/api/v1/contacts?tag=t&limit=1&cursor=\(cursor)", token: a.token)
            #expect(next.status == .ok)
            #expect(((next.json["data"] as? [[String: Any]])?.first?["id"] as? String) == ids[1])
            // The page size may change between pages.
            #expect(try await api.send(.get, "/api/v1/contacts?tag=t&limit=5&cursor=\(cursor)", token: a.token).status == .ok)
            // Another workspace, or other filters, or none: 400.
            for (uri, token) in [
                ("/api/v1/contacts?tag=t&limit=1&cursor=\(cursor)", b.token), ("/api/v1/contacts?cursor=\(cursor)", a.token),
                ("/api/v1/contacts?tag=u&cursor=\(cursor)", a.token),
                ("/api/v1/contacts?tag=t&updated_since=2020-01-01T00:00:00Z&cursor=\(cursor)", a.token),
            ] {
                let reply = try await api.send(.get, uri, token: token)
                #expect(reply.status == .badRequest, "\(uri)")
                #expect(reply.code == "invalid_cursor")
            }
            // No contact id in clear: neither its bytes nor its text.
            var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            let bytes = try #require(Data(base64Encoded: base64))
            let idBytes = withUnsafeBytes(of: try #require(ULID(string: ids[0])).uuid.uuid) { Data($0) }
            #expect(bytes.range(of: idBytes) == nil)
            #expect(!cursor.contains(ids[0]))
        }
    }
}

/// One request on its own connection to a live server, `Connection: close`; the whole answer.
func exchange(port: Int, method: String, path: String, token: String? = nil, body: String? = nil) async throws -> String {
    let client = try RawClient(port: port)
    defer { client.close() }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    if let token { head += "Authorization: Bearer \(token)\r\n" }
    if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
    client.send(head + "\r\n" + (body ?? ""))
    return try await client.readUntilClosed(within: .seconds(20)).text
}

/// The CPU time `body` takes on the calling thread (it must not suspend).
func threadCPUTime(_ body: () throws -> Void) rethrows -> Duration {
    func now() -> Duration {
        // A timespec's two words (seconds, nanoseconds), filled in place: its Swift members are
        // declared by whichever C module Swift met first (CDispatch in a fresh build), which
        // MemberImportVisibility then asks this file to import.
        var time: (seconds: Int, nanoseconds: Int) = (0, 0)
        withUnsafeMutableBytes(of: &time) {
            _ = clock_gettime(CLOCK_THREAD_CPUTIME_ID, $0.baseAddress!.assumingMemoryBound(to: timespec.self))
        }
        return .seconds(time.seconds) + .nanoseconds(time.nanoseconds)
    }
    let start = now()
    try body()
    return now() - start
}
