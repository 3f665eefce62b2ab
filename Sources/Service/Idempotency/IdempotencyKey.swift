/// The `Idempotency-Key` request header (IETF httpapi draft): a Structured Field string (`"…"`)
/// or a bare token; the key is its content, 1–255 visible ASCII characters.
public enum IdempotencyKey {
    /// The key, or `nil` for a value that is not one (a 400).
    public static func parse(_ header: String) -> String? {
        var text = Substring(header.trimmingWhitespace())
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\"") else { return nil }
            text = text.dropFirst().dropLast()
            // A Structured Field string escapes `"` and `\` with a backslash.
            var key = ""
            var escaped = false
            for character in text {
                if escaped {
                    guard character == "\"" || character == "\\" else { return nil }
                    key.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    key.append(character)
                }
            }
            guard !escaped else { return nil }
            return valid(key) ? key : nil
        }
        return valid(String(text)) ? String(text) : nil
    }

    /// 1–255 visible ASCII characters (0x21–0x7E).
    static func valid(_ key: String) -> Bool {
        (1...255).contains(key.utf8.count) && key.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}
