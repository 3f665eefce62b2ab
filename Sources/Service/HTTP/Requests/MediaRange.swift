/// One media range of an `Accept` header (RFC 9110 §12.5.1): `type/subtype`, either part `*`,
/// with its quality (`q`, 0 to 1, default 1). Ours because no library at hand parses `Accept`,
/// and the export is the one route that negotiates.
struct MediaRange: Equatable {
    var type: String
    var subtype: String
    var quality: Double

    /// The ranges of an `Accept` value; malformed members are skipped (a client's typo should not
    /// turn a request it could be served into a 406).
    static func parseList(_ header: String) -> [MediaRange] {
        header.split(separator: ",").compactMap { member in
            let parts = member.split(separator: ";").map { $0.trimmingWhitespace().lowercased() }
            guard let range = parts.first else { return nil }
            let names = range.split(separator: "/", omittingEmptySubsequences: false)
            guard names.count == 2, !names[0].isEmpty, !names[1].isEmpty, names[0] != "*" || names[1] == "*" else { return nil }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                guard pair.count == 2, pair[0] == "q" else { continue }
                guard let value = Double(pair[1]), (0...1).contains(value) else { return nil }
                quality = value
            }
            return MediaRange(type: String(names[0]), subtype: String(names[1]), quality: quality)
        }
    }

    /// The quality `ranges` give `type/subtype`: that of the most specific range matching it
    /// (exact, then `type/*`, then `*/*`), or 0 when none does.
    static func quality(of type: String, _ subtype: String, in ranges: [MediaRange]) -> Double {
        var best: (specificity: Int, quality: Double)?
        for range in ranges {
            let specificity: Int
            if range.type == type, range.subtype == subtype {
                specificity = 2
            } else if range.type == type, range.subtype == "*" {
                specificity = 1
            } else if range.type == "*", range.subtype == "*" {
                specificity = 0
            } else {
                continue
            }
            if best == nil || specificity > best!.specificity { best = (specificity, range.quality) }
        }
        return best?.quality ?? 0
    }
}
