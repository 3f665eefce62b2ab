/// PostgreSQL's text form of one-dimensional arrays of text (`{a,"b c",""}`).
enum PGArrayLiteral {
    static func encode(_ elements: [String]) -> String {
        encode(elements.map(Optional.some))
    }

    /// `nil` elements are written as an unquoted NULL.
    /// Built as UTF-8 bytes: a batch's arrays hold thousands of elements.
    static func encode(_ elements: [String?]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(elements.count * 24)
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard let element else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) throws(PGValueError) -> [String] {
        var scalars = Substring(text).unicodeScalars[...]
        guard scalars.popFirst() == "{", scalars.popLast() == "}" else {
            throw PGValueError("not a one-dimensional array")
        }
        var elements: [String] = []
        if scalars.isEmpty { return elements }
        while true {
            var element = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                var closed = false
                while let scalar = scalars.popFirst() {
                    if scalar == "\\" {
                        guard let escaped = scalars.popFirst() else { break }
                        element.unicodeScalars.append(escaped)
                    } else if scalar == "\"" {
                        closed = true
                        break
                    } else {
                        element.unicodeScalars.append(scalar)
                    }
                }
                guard closed else { throw PGValueError("unterminated quoted array element") }
            } else {
                while let scalar = scalars.first, scalar != "," {
                    guard scalar != "{", scalar != "}", scalar != "\"" else {
                        throw PGValueError("not a one-dimensional array")
                    }
                    element.unicodeScalars.append(scalar)
                    scalars.removeFirst()
                }
                if element.uppercased() == "NULL" { throw PGValueError("NULL array element") }
            }
            elements.append(element)
            guard let separator = scalars.popFirst() else { return elements }
            guard separator == "," else { throw PGValueError("malformed array") }
        }
    }
}
