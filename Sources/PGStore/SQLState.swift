/// A PostgreSQL SQLSTATE code, such as `23505` (unique violation).
///
/// A string-backed struct rather than a closed enum: the server may send codes this file does not
/// name, and callers still compare them, or fall back to their two-character class
/// (``errorClass``), as PostgreSQL's own documentation recommends.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// The class of the code: its first two characters followed by `000` (`23505` → `23000`).
    public var errorClass: SQLState {
        SQLState(rawValue: String(rawValue.prefix(2)) + "000")
    }

    public var description: String { rawValue }

    // Classes.
    public static let connectionException = SQLState("08000")
    public static let integrityConstraintViolation = SQLState("23000")
    public static let transactionRollback = SQLState("40000")
    public static let insufficientResources = SQLState("53000")
    public static let operatorIntervention = SQLState("57000")

    // Codes the store and its callers act on.
    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let notNullViolation = SQLState("23502")
    public static let checkViolation = SQLState("23514")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let syntaxError = SQLState("42601")
    public static let insufficientPrivilege = SQLState("42501")
    public static let undefinedTable = SQLState("42P01")
    public static let undefinedObject = SQLState("42704")
    public static let invalidTextRepresentation = SQLState("22P02")
    public static let stringDataRightTruncation = SQLState("22001")
    public static let characterNotInRepertoire = SQLState("22021")
    public static let untranslatableCharacter = SQLState("22P05")
    public static let queryCanceled = SQLState("57014")
    public static let adminShutdown = SQLState("57P01")
    public static let crashShutdown = SQLState("57P02")
    public static let cannotConnectNow = SQLState("57P03")
    public static let tooManyConnections = SQLState("53300")

    /// Codes after which the session is gone or unusable: the connection must be replaced.
    public var meansConnectionLost: Bool {
        errorClass == .connectionException || self == .adminShutdown || self == .crashShutdown
            || self == .cannotConnectNow
    }

    /// Codes after which running the same transaction again may succeed.
    public var isTransient: Bool {
        self == .serializationFailure || self == .deadlockDetected
    }
}
