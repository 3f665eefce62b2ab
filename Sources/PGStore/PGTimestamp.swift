import DateTimes
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
        return c.isoString + "." + CivilTime.pad(Int(fraction), 6) + "Z"
    }

    /// Parses PostgreSQL's `timestamptz` output (``DateTimeText/Grammar/postgres``).
    static func parse(_ text: String) -> Date? {
        DateTimeText.parse(text, .postgres)
    }
}
