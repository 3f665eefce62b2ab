import FoundationEssentials

/// `timestamptz` text, both ways, without `DateFormatter` (slow, and locale-dependent).
enum PGTimestamp {
    /// `2026-05-07T08:14:23.123456Z`: what PostgreSQL reads back exactly.
    static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        let c = CivilTime(epochSeconds: seconds)
        return c.isoString + "." + pad(Int(fraction), 6) + "Z"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]` (or a `T` separator, or `Z`).
    static func parse(_ text: String) -> Date? {
        let u = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= u.count else { return nil }
            var value = 0
            for i in start..<(start + count) {
                let digit = Int(u[i]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard u.count >= 20, let year = number(0, 4), u[4] == UInt8(ascii: "-"), let month = number(5, 2),
            u[7] == UInt8(ascii: "-"), let day = number(8, 2),
            u[10] == UInt8(ascii: " ") || u[10] == UInt8(ascii: "T"),
            let hour = number(11, 2), u[13] == UInt8(ascii: ":"), let minute = number(14, 2),
            u[16] == UInt8(ascii: ":"), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var micros = 0
        if index < u.count, u[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < u.count, let d = number(index, 1) {
                if digits < 6 { micros = micros * 10 + d }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 6 { for _ in digits..<6 { micros *= 10 } }
        }
        guard index < u.count else { return nil }
        var offset = 0
        if u[index] == UInt8(ascii: "Z") {
            index += 1
        } else {
            let sign = u[index] == UInt8(ascii: "-") ? -1 : 1
            guard u[index] == UInt8(ascii: "+") || u[index] == UInt8(ascii: "-"), let h = number(index + 1, 2)
            else { return nil }
            index += 3
            var m = 0
            var s = 0
            if index < u.count, u[index] == UInt8(ascii: ":") {
                guard let value = number(index + 1, 2) else { return nil }
                m = value
                index += 3
                if index < u.count, u[index] == UInt8(ascii: ":") {
                    guard let value = number(index + 1, 2) else { return nil }
                    s = value
                    index += 3
                }
            }
            offset = sign * (h * 3600 + m * 60 + s)
        }
        guard index == u.count else { return nil }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// A UTC calendar date and time from seconds since 1970 (Howard Hinnant's civil algorithms).
public struct CivilTime: Sendable, Hashable {
    public var year, month, day, hour, minute, second: Int

    public init(epochSeconds: Int64) {
        var days = epochSeconds / 86_400
        var rest = epochSeconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = Int(yoe + era * 400 + (m <= 2 ? 1 : 0))
        self.month = Int(m)
        self.day = Int(d)
        self.hour = Int(rest / 3600)
        self.minute = Int(rest % 3600 / 60)
        self.second = Int(rest % 60)
    }

    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `YYYY-MM-DDTHH:MM:SS`, no zone.
    public var isoString: String {
        PGTimestamp.pad(year, 4) + "-" + PGTimestamp.pad(month, 2) + "-" + PGTimestamp.pad(day, 2) + "T"
            + PGTimestamp.pad(hour, 2) + ":" + PGTimestamp.pad(minute, 2) + ":" + PGTimestamp.pad(second, 2)
    }
}
