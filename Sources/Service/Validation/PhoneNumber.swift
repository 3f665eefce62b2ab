import CPhoneNumbers

/// Phone numbers in E.164, as Google's libphonenumber (the machine's copy) judges them.
public enum PhoneNumber {
    /// Why a phone number was refused; `message` is what the client reads.
    public enum Problem: Error, Sendable, Equatable {
        case missingPlus, extensionPresent, forbiddenCharacter, notANumber, invalidCountryCode
        case tooShort, tooLong, invalidLength, notValid
        /// Longer than ``PhoneNumber/maximumLength`` as written: refused before parsing.
        case overLengthLimit

        public var message: String {
            switch self {
            case .missingPlus: "phone must be in international format, starting with + and the country code"
            case .extensionPresent: "phone must not have an extension"
            case .forbiddenCharacter: "phone may contain only a leading +, digits, spaces, dots, dashes and parentheses"
            case .notANumber: "phone is not a phone number"
            case .invalidCountryCode: "phone has an invalid country code"
            case .tooShort: "phone is too short"
            case .tooLong: "phone is too long"
            case .overLengthLimit: "phone is too long (at most \(PhoneNumber.maximumLength) characters)"
            case .invalidLength: "phone has an invalid length for its country"
            case .notValid: "phone is not a valid number for its country"
            }
        }
    }

    /// The longest phone accepted, in Unicode code points after trimming white space. E.164 has at
    /// most 15 digits; this leaves room for separators (`+1 (415) 555-0123` is 17).
    public static let maximumLength = 32

    /// Normalizes `input` to E.164 (`+1 (415) 555-0123` → `+14155550123`).
    ///
    /// Longer input than ``maximumLength`` is refused before anything else looks at it:
    /// libphonenumber's parsing costs time quadratic in the digit count (32,000 digits took 11 s).
    /// Then only a leading `+`, Unicode decimal digits, spaces, `.`, `-`, `(` and `)` pass the filter
    /// (libphonenumber alone accepts more, such as letters and extensions); then libphonenumber
    /// decides whether the number is valid for its country.
    public static func normalize(_ input: String) -> Result<String, Problem> {
        guard !input.exceedsTrimmedLength(maximumLength) else { return .failure(.overLengthLimit) }
        let scalars = input.unicodeScalars.drop(while: \.isWhitespace)
        guard let first = scalars.first else { return .failure(.notANumber) }
        guard first == "+" else {
            return scalars.contains { !isAllowed($0) } ? .failure(filterProblem(input)) : .failure(.missingPlus)
        }
        var digits: [CChar] = [CChar(UInt8(ascii: "+"))]
        for scalar in scalars.dropFirst() {
            if let digit = decimalDigit(scalar) {
                digits.append(CChar(UInt8(truncatingIfNeeded: digit.value)))
            } else if !isSeparator(scalar) {
                return .failure(filterProblem(input))
            }
        }
        guard digits.count > 1 else { return .failure(.notANumber) }
        digits.append(0)
        var output = [CChar](repeating: 0, count: 32)
        let result = phone_normalize_e164(digits, &output, output.count)
        switch result {
        case PHONE_OK:
            let bytes = output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            return .success(String(decoding: bytes, as: UTF8.self))
        case PHONE_INVALID_COUNTRY_CODE: return .failure(.invalidCountryCode)
        case PHONE_TOO_SHORT: return .failure(.tooShort)
        case PHONE_TOO_LONG: return .failure(.tooLong)
        case PHONE_INVALID_LENGTH: return .failure(.invalidLength)
        case PHONE_NOT_VALID: return .failure(.notValid)
        case PHONE_HAS_EXTENSION: return .failure(.extensionPresent)
        default: return .failure(.notANumber)
        }
    }

    /// `ext`, `x` and `#` mean an extension: say so, rather than "bad character".
    private static func filterProblem(_ input: String) -> Problem {
        let lowered = input.lowercased()
        if lowered.contains("ext") || lowered.contains("x") || lowered.contains("#") || lowered.contains(";") {
            return .extensionPresent
        }
        return .forbiddenCharacter
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        decimalDigit(scalar) != nil || isSeparator(scalar) || scalar == "+"
    }

    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar == " " || scalar == "." || scalar == "-" || scalar == "(" || scalar == ")" }
        return scalar.properties.generalCategory == .spaceSeparator
    }

    /// Any Unicode decimal digit (`٣`, `３`) as its ASCII digit.
    private static func decimalDigit(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        if scalar.isASCII { return ("0"..."9").contains(scalar) ? scalar : nil }
        guard scalar.properties.numericType == .decimal, let value = scalar.properties.numericValue,
            value >= 0, value <= 9
        else { return nil }
        return Unicode.Scalar(UInt8(ascii: "0") + UInt8(value))
    }
}
