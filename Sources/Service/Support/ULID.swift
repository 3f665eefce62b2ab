public import FoundationEssentials

/// A ULID: 48 bits of milliseconds since 1970, then 80 random bits; 26 Crockford base32
/// characters, time-ordered. Stored in PostgreSQL as a `uuid` (the same 16 bytes).
public struct ULID: Sendable, Hashable, CustomStringConvertible {
    public let uuid: UUID

    public init(uuid: UUID) {
        self.uuid = uuid
    }

    /// A new ULID for now.
    public init(date: Date = Date()) {
        var bytes = RandomBytes.take(16)
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - index))) }
        uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Parses the 26-character form (case-insensitive; `I`/`L` read as 1, `O` as 0, as Crockford says).
    public init?(string: String) {
        let characters = Array(string.utf8)
        guard characters.count == 26 else { return nil }
        var value: (high: UInt64, low: UInt64) = (0, 0)
        for (index, character) in characters.enumerated() {
            guard let digit = Self.decode(character) else { return nil }
            if index == 0, digit > 7 { return nil }  // 26 × 5 = 130 bits: the first may carry only 3
            value.high = value.high << 5 | value.low >> 59
            value.low = value.low << 5 | UInt64(digit)
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: value.high >> (8 * (7 - index)))
            bytes[index + 8] = UInt8(truncatingIfNeeded: value.low >> (8 * (7 - index)))
        }
        uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }

    private static func decode(_ character: UInt8) -> UInt8? {
        var c = character
        if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) { c -= 32 }
        switch c {
        case UInt8(ascii: "I"), UInt8(ascii: "L"): return 1
        case UInt8(ascii: "O"): return 0
        default: return alphabet.firstIndex(of: c).map(UInt8.init)
        }
    }

    public var description: String {
        let u = uuid.uuid
        let bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(bytes[index])
            low = low << 8 | UInt64(bytes[index + 8])
        }
        var out = [UInt8](repeating: 0, count: 26)
        for index in (0..<26).reversed() {
            out[index] = Self.alphabet[Int(low & 31)]
            low = low >> 5 | high << 59
            high >>= 5
        }
        return String(decoding: out, as: UTF8.self)
    }
}
