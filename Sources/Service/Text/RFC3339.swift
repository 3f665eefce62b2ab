public import FoundationEssentials
import PGStore

/// RFC 3339 date-times as the list filter takes them: `2026-05-07T08:14:23Z`,
/// `2026-05-07T08:14:23.5+02:00`. Only instants that exist: a real calendar day, seconds 00–59,
/// offsets up to ±23:59, and a year from 0001 to 9999 both as written and in UTC (PostgreSQL would
/// refuse, or misread, the rest).
public enum RFC3339 {
    /// The instant, rounded up to the microsecond (PostgreSQL's precision) so that "at or after it"
    /// keeps its meaning; `nil` for anything else.
    public static func parse(_ text: String) -> Date? {
        let u = Array(text.utf8.prefix(40))
        guard u.count == text.utf8.count, u.count >= 20 else { return nil }
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
            let day = number(8, 2), byte(10, is: "Tt"), let hour = number(11, 2), byte(13, is: ":"),
            let minute = number(14, 2), byte(16, is: ":"), let second = number(17, 2),
            (1...9999).contains(year), (1...12).contains(month), (1...daysIn(month, of: year)).contains(day),
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
            guard (1...9).contains(digits) else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
            if roundUp { micros += 1 }
        }
        var offsetSeconds = 0
        if byte(index, is: "Zz") {
            index += 1
        } else {
            guard byte(index, is: "+-"), let offsetHour = number(index + 1, 2), byte(index + 3, is: ":"),
                let offsetMinute = number(index + 4, 2), offsetHour < 24, offsetMinute < 60
            else { return nil }
            offsetSeconds = (offsetHour * 3600 + offsetMinute * 60) * (u[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        }
        guard index == u.count else { return nil }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        guard (1...9999).contains(CivilTime(epochSeconds: seconds).year) else { return nil }
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
