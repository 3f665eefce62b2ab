/// Free JSON metadata: an object (or null for `{}`), at most 64 KiB as sent, at most 32 levels deep,
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
            errors.add("metadata", "metadata is too long (at most \(maximumBytes) bytes)")
            ok = false
        }
        if value.depth > maximumDepth {
            errors.add("metadata", "metadata is nested too deeply (at most \(maximumDepth) levels)")
            ok = false
        }
        if value.containsNUL {
            errors.add("metadata", "metadata must not contain the character U+0000")
            ok = false
        }
        if !numbersFitNumeric(value) {
            errors.add("metadata", "metadata has a number out of range")
            ok = false
        }
        return ok ? String(Substring(rawText)) : nil
    }

    /// PostgreSQL's `numeric` holds up to 131,072 digits before the point and 16,383 after.
    static func numbersFitNumeric(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let text):
            let mantissa = text.prefix { $0 != "e" && $0 != "E" }
            let exponent = text.count > mantissa.count ? Int(text.dropFirst(mantissa.count + 1)) : 0
            guard let exponent, abs(exponent) < 1_000_000 else { return false }
            let parts = mantissa.drop { $0 == "-" }.split(separator: ".", omittingEmptySubsequences: false)
            let integerDigits = parts.first?.count ?? 0
            let fractionDigits = parts.count > 1 ? parts[1].count : 0
            return integerDigits + exponent <= 131_072 && fractionDigits - exponent <= 16_383
        case .object(let members): return members.allSatisfy { numbersFitNumeric($0.value) }
        case .array(let elements): return elements.allSatisfy(numbersFitNumeric)
        default: return true
        }
    }
}
