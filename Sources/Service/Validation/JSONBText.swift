/// The length of the text PostgreSQL's `jsonb` gives back for a value: what the API returns, and
/// what the metadata limit applies to.
///
/// Computed here, exactly and in time linear in the input, so that a small body whose stored form
/// would explode (`1e131071` is 9 bytes sent and 131,072 stored) is refused before PostgreSQL
/// builds it. The rules are `jsonb`'s output functions (PostgreSQL 15 `jsonb.c`, `numeric.c`):
/// objects keep the last of duplicate keys and write `{"k": v, "k2": v2}`, arrays `[a, b]`,
/// strings escape only `"`, `\`, and characters below U+0020, and numbers are written out in full
/// by `numeric_out`.
public enum JSONBText {
    /// The byte length of `value` as `jsonb` text, or `nil` when a number is outside what
    /// `numeric` holds (PostgreSQL would refuse the whole value).
    public static func length(of value: JSONValue) -> Int? {
        switch value {
        case .null, .bool(true): return 4
        case .bool(false): return 5
        case .string(let text): return stringLength(text)
        case .number(let literal): return NumericText.length(of: literal)
        case .array(let elements):
            var total = 2 + 2 * max(0, elements.count - 1)
            for element in elements {
                guard let length = length(of: element) else { return nil }
                total += length
            }
            return total
        case .object(let members):
            // Every value must be a valid jsonb value (PostgreSQL parses all of them), but only the
            // last of duplicate keys is stored. Keys are compared as bytes, as jsonb does.
            var lastLength: [[UInt8]: Int] = [:]
            lastLength.reserveCapacity(members.count)
            for member in members {
                guard let length = length(of: member.value) else { return nil }
                lastLength[Array(member.key.utf8)] = stringLength(member.key) + 2 + length
            }
            return 2 + 2 * max(0, lastLength.count - 1) + lastLength.values.reduce(0, +)
        }
    }

    /// A string with its quotes, escaped as `escape_json` does.
    static func stringLength(_ text: String) -> Int {
        var length = 2
        for byte in text.utf8 {
            switch byte {
            case 0x22, 0x5C, 0x08, 0x0C, 0x0A, 0x0D, 0x09: length += 2
            case ..<0x20: length += 6
            default: length += 1
            }
        }
        return length
    }
}

/// What `numeric` makes of a JSON number literal.
public enum NumericText {
    /// `numeric` holds at most 131,072 digits before the point (a weight of 32,767 base-10,000
    /// digits) and 16,383 after.
    static let maximumIntegerDigits = 131_072
    static let maximumScale = 16_383
    /// PostgreSQL refuses exponents this large or larger outright, even on zero.
    static let exponentBound = Int(Int32.max / 2)

    /// The length of `numeric_out`'s text for `literal` (a JSON number: `-?int(.frac)?(e±exp)?`),
    /// or `nil` when PostgreSQL would refuse it as out of range. `1.50e2` → `150` (3);
    /// `1.5e-3` → `0.0015` (6); `-0.00` → `0.00` (4).
    public static func length(of literal: String) -> Int? {
        var utf8 = literal.utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        let integer = utf8.prefix { isDigit($0) }
        utf8 = utf8.dropFirst(integer.count)
        var fraction = utf8[utf8.startIndex..<utf8.startIndex]
        if utf8.first == UInt8(ascii: ".") {
            utf8 = utf8.dropFirst()
            fraction = utf8.prefix { isDigit($0) }
            utf8 = utf8.dropFirst(fraction.count)
        }
        var exponent = 0
        if let e = utf8.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            utf8 = utf8.dropFirst()
            let sign = utf8.first == UInt8(ascii: "-") ? -1 : 1
            if let s = utf8.first, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") { utf8 = utf8.dropFirst() }
            for digit in utf8 {
                exponent = exponent * 10 + Int(digit - UInt8(ascii: "0"))
                if exponent >= exponentBound { return nil }
            }
            exponent *= sign
        }
        let scale = max(0, fraction.count - exponent)
        guard scale <= maximumScale else { return nil }
        let fractionPart = scale > 0 ? 1 + scale : 0
        // The power of ten of the first non-zero digit decides the integer part's length.
        var leadingZeros = integer.prefix { $0 == UInt8(ascii: "0") }.count
        if leadingZeros == integer.count { leadingZeros += fraction.prefix { $0 == UInt8(ascii: "0") }.count }
        guard leadingZeros < integer.count + fraction.count else { return 1 + fractionPart }  // zero: no sign
        let firstDigitPower = integer.count - 1 - leadingZeros + exponent
        guard firstDigitPower < maximumIntegerDigits else { return nil }
        return (negative ? 1 : 0) + max(1, firstDigitPower + 1) + fractionPart
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
