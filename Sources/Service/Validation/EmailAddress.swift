/// E-mail addresses as the WHATWG HTML standard defines a "valid e-mail address":
/// `local@label(.label)*`, the local part from a fixed ASCII set, each label 1–63 letters, digits
/// or inner hyphens. At most 254 characters. The domain is lower-cased (it is case-insensitive).
public enum EmailAddress {
    public static let maximumLength = 254

    public enum Problem: Error, Sendable, Equatable {
        case tooLong, invalid

        public var message: String {
            switch self {
            case .tooLong: "email is too long (at most 254 characters)"
            case .invalid: "email is not a valid e-mail address"
            }
        }
    }

    public static func normalize(_ input: String) -> Result<String, Problem> {
        guard input.unicodeScalars.count <= maximumLength else { return .failure(.tooLong) }
        let bytes = Array(input.utf8)
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")), at > 0, at < bytes.count - 1 else {
            return .failure(.invalid)
        }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard local.allSatisfy(isLocalCharacter) else { return .failure(.invalid) }
        for label in domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...63).contains(label.count), label.allSatisfy(isLabelCharacter),
                label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-")
            else { return .failure(.invalid) }
        }
        let lowered = domain.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
        return .success(String(decoding: local, as: UTF8.self) + "@" + String(decoding: lowered, as: UTF8.self))
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isLocalCharacter(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || Array(".!#$%&'*+/=?^_`{|}~-".utf8).contains(byte)
    }

    private static func isLabelCharacter(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-")
    }
}
