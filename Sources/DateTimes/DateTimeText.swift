public import FoundationEssentials

/// Date-time text to an instant, one parser for both places that read it: the API's RFC 3339
/// filter (`updated_since`) and the driver's `timestamptz` columns. Written by hand: `DateFormatter`
/// and `ISO8601DateFormatter` are slow, locale-dependent, and accept instants that do not exist.
///
/// Always: `YYYY-MM-DD`, a separator, `HH:MM:SS`, an optional fraction, then a zone; a real
/// calendar day, seconds 00–59, hours 00–23. What differs is in ``Grammar``.
public enum DateTimeText {
    /// What a text may hold beyond the common form.
    public struct Grammar: Sendable {
        /// Separators accepted between the date and the time.
        public var separators: Set<UInt8>
        /// `z` as well as `Z`.
        public var lowercaseZone: Bool
        /// Offsets as `±HH` and `±HH:MM:SS` too (PostgreSQL writes them), not only `±HH:MM`.
        public var postgresOffsets: Bool
        /// Fraction digits accepted (at most); past 6, a non-zero digit rounds up to the next
        /// microsecond (PostgreSQL's precision), so that "at or after it" keeps its meaning.
        public var maximumFractionDigits: Int
        /// The year must be 0001–9999 both as written and in UTC (PostgreSQL would refuse, or misread, the rest).
        public var yearInRangeInUTC: Bool
        /// Longest text looked at; longer is refused before any parsing.
        public var maximumLength: Int

        /// The API's: `2026-05-07T08:14:23Z`, `2026-05-07t08:14:23.5+02:00`.
        public static let rfc3339 = Grammar(
            separators: [UInt8(ascii: "T"), UInt8(ascii: "t")], lowercaseZone: true, postgresOffsets: false,
            maximumFractionDigits: 9, yearInRangeInUTC: true, maximumLength: 40)
        /// PostgreSQL's `timestamptz` output: `2026-05-07 08:14:23.123456+00`, `…+05:30`, `…+00:19:32`.
        public static let postgres = Grammar(
            separators: [UInt8(ascii: " "), UInt8(ascii: "T")], lowercaseZone: false, postgresOffsets: true,
            maximumFractionDigits: 6, yearInRangeInUTC: false, maximumLength: 40)
    }

    /// The instant `text` names under `grammar`, to the microsecond; `nil` for anything else.
    public static func parse(_ text: String, _ grammar: Grammar) -> Date? {
        let u = Array(text.utf8.prefix(grammar.maximumLength + 1))
        guard u.count <= grammar.maximumLength, u.count >= 20 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= u.count else { return nil }
            var value = 0
            for byte in u[start..<(start + count)] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is characters: String) -> Bool {
            index < u.count && characters.utf8.contains(u[index])
        }
        guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"),
            let day = number(8, 2), grammar.separators.contains(u[10]), let hour = number(11, 2), byte(13, is: ":"),
            let minute = number(14, 2), byte(16, is: ":"), let second = number(17, 2),
            (1...9999).contains(year), (1...12).contains(month), (1...CivilTime.daysIn(month, of: year)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var micros = 0
        if byte(index, is: ".") {
            var digits = 0
            var roundUp = false
            index += 1
            while let digit = number(index, 1) {
                if digits < 6 { micros = micros * 10 + digit } else if digit > 0 { roundUp = true }
                digits += 1
                index += 1
            }
            guard (1...grammar.maximumFractionDigits).contains(digits) else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
            if roundUp { micros += 1 }
        }
        var offsetSeconds = 0
        if byte(index, is: grammar.lowercaseZone ? "Zz" : "Z") {
            index += 1
        } else {
            guard byte(index, is: "+-"), let offsetHour = number(index + 1, 2), offsetHour < 24 else { return nil }
            let sign = u[index] == UInt8(ascii: "-") ? -1 : 1
            index += 3
            var offsetMinute = 0
            var offsetSecond = 0
            if byte(index, is: ":") {
                guard let value = number(index + 1, 2), value < 60 else { return nil }
                offsetMinute = value
                index += 3
                if grammar.postgresOffsets, byte(index, is: ":") {
                    guard let value = number(index + 1, 2), value < 60 else { return nil }
                    offsetSecond = value
                    index += 3
                }
            } else if !grammar.postgresOffsets {
                return nil
            }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60 + offsetSecond)
        }
        guard index == u.count else { return nil }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        if grammar.yearInRangeInUTC, !(1...9999).contains(CivilTime(epochSeconds: seconds).year) { return nil }
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }
}
