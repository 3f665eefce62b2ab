/// A `bytea` column read in its hex output form (`\x4142…`, PostgreSQL's default `bytea_output`):
/// upload chunks, recorded answers and digests, webhook secrets. (`[UInt8]` itself cannot be
/// ``PGDecodable``: arrays already decode as `text[]`.)
public struct PGBytea: PGDecodable, Hashable {
    public var bytes: [UInt8]

    public init(pgText: String) throws(PGValueError) {
        guard let bytes = Self.bytes(hex: pgText) else { throw PGValueError("bytea is not in hex form") }
        self.bytes = bytes
    }

    private static func bytes(hex text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { utf8 -> [UInt8]? in
            guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else { return nil }
            func nibble(_ c: UInt8) -> UInt8? {
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
                default: nil
                }
            }
            var bytes = [UInt8](repeating: 0, count: (utf8.count - 2) / 2)
            var index = 2
            for position in bytes.indices {
                guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
                bytes[position] = high << 4 | low
                index += 2
            }
            return bytes
        }
    }
}
