extension StringProtocol {
    /// The text in Unicode Normalization Form C, as tags are stored and compared: PostgreSQL
    /// compares bytes, so two spellings of `été` would be two tags. The standard library's own
    /// normalizer (the one `String` comparison uses); ASCII, nearly every tag, is returned as is.
    public var nfc: String {
        let text = String(self)
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        return String(decoding: text._nfcCodeUnits, as: UTF8.self)
    }

    /// Without leading and trailing Unicode white space.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        // Cut at the scalars, not at characters: a combining mark right after the white space
        // must not pull the space back in (slicing the string itself rounds to characters).
        return String(decoding: utf8[start..<scalars.index(after: end)], as: UTF8.self)
    }

    /// Whether the text, trimmed of white space, has more than `limit` Unicode scalars. Stops
    /// reading once it knows, and copies nothing: a check that runs before any costly parsing.
    public func exceedsTrimmedLength(_ limit: Int) -> Bool {
        var counted = 0
        var pendingWhitespace = 0
        for scalar in unicodeScalars {
            if scalar.isWhitespace {
                if counted > 0 { pendingWhitespace += 1 }
                continue
            }
            counted += pendingWhitespace + 1
            pendingWhitespace = 0
            if counted > limit { return true }
        }
        return false
    }
}

extension Unicode.Scalar {
    /// Unicode's White_Space, answered without a property lookup for ASCII (nearly every input).
    var isWhitespace: Bool {
        value < 0x80 ? value == 0x20 || (0x09...0x0D).contains(value) : properties.isWhitespace
    }

    /// General category Cc (C0 and C1 controls and DEL), without a property lookup.
    var isControl: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value)
    }
}
