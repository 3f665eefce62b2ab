import DateTimes
public import FoundationEssentials

/// RFC 3339 date-times as the list filter takes them: `2026-05-07T08:14:23Z`,
/// `2026-05-07T08:14:23.5+02:00`. Only instants that exist: a real calendar day, seconds 00–59,
/// offsets up to ±23:59, and a year from 0001 to 9999 both as written and in UTC (PostgreSQL would
/// refuse, or misread, the rest).
public enum RFC3339 {
    /// The instant, rounded up to the microsecond (PostgreSQL's precision) so that "at or after it"
    /// keeps its meaning; `nil` for anything else.
    public static func parse(_ text: String) -> Date? {
        DateTimeText.parse(text, .rfc3339)
    }
}
