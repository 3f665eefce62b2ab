/// Free JSON metadata: an object (or null for `{}`), at most 64 KiB as sent and as stored (the
/// `jsonb` text the API returns, where numbers are written out in full), at most 32 levels deep,
/// no U+0000, numbers within what PostgreSQL's `numeric` holds. Passed on as the client's text.
public enum Metadata {
    public static let maximumBytes = 65_536
    public static let maximumDepth = 32

    /// The JSON text to store, or `nil` after recording the problems under `metadata`.
    public static func validate(_ value: JSONValue, rawText: Substring.UTF8View, errors: inout FieldErrors) -> String? {
        switch value {
        case .null:
            return "{}"
        case .object:
            break
        default:
            errors.add("metadata", "metadata must be a JSON object")
            return nil
        }
        var ok = true
        if rawText.count > maximumBytes {
            errors.add("metadata", tooLong)
            ok = false
        }
        if value.depth > maximumDepth {
            errors.add("metadata", tooDeep)
            ok = false
        }
        if value.containsNUL {
            errors.add("metadata", "metadata must not contain the character U+0000")
            ok = false
        }
        if ok {
            switch JSONBText.length(of: value) {
            case nil:
                errors.add("metadata", "metadata has a number out of range")
                ok = false
            case let stored? where stored > maximumBytes:
                errors.add("metadata", tooLongAsStored)
                ok = false
            default: break
            }
        }
        return ok ? String(Substring(rawText)) : nil
    }

    /// Also what metadata nested past what the parser reads at all gets.
    public static let tooDeep = "metadata is nested too deeply (at most \(maximumDepth) levels)"
    public static let tooLong = "metadata is too long (at most \(maximumBytes) bytes)"
    /// Also what an update-contact merge whose result would break the limit gets.
    public static let tooLongAsStored =
        "metadata is too long as stored (at most \(maximumBytes) bytes, with numbers written out in full)"
}
