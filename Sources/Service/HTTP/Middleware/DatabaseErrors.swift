import Hummingbird
import PGStore

/// Every database error the service can meet, as the HTTP answer it gets: the one place that
/// decides (``ErrorMiddleware`` asks it for every `PGError` and `ConnectionPoolError` a route
/// throws, so no route maps database errors itself).
enum DatabaseErrors {
    /// `nil`: not an error the contract names (a bug: 500).
    static func apiError(for error: any Error) -> APIError? {
        switch error {
        case let error as PGTransactionError:
            // A transaction's own step (BEGIN, COMMIT, ROLLBACK) failed: as its database error.
            return apiError(for: error.databaseError)
        case let error as ConnectionPoolError:
            switch error {
            case .acquireTimeout: return .unavailable("The database is busy; retry shortly.")
            case .closed: return .unavailable("The service is shutting down.")
            }
        case let error as PGError where error.isConnectionError:
            return .unavailable("The database is unreachable; retry shortly.")
        case let error as PGError where error.sqlState == .queryCanceled:
            return .unavailable("The database took too long; retry shortly.")
        case let error as PGError where error.sqlState?.isTransient == true:
            return .unavailable("The write kept conflicting with concurrent ones; retry shortly.")
        case let error as PGError where error.sqlState?.errorClass == .insufficientResources:
            return .unavailable("The database is out of resources; retry shortly.")
        case let error as PGError where isRefusedValue(error):
            if let errors = storedLimitErrors(error) { return .validation(errors) }
            return APIError(.unprocessableContent, code: refusedValueCode, message: "A value was refused by the database.")
        default:
            return nil
        }
    }

    /// The code of a value the database refused that the validation should have caught:
    /// ``ErrorMiddleware`` logs those, so that the validation can be tightened.
    static let refusedValueCode = "invalid_value"

    /// A value the validation let through but the database refused (data exception or integrity
    /// class) is the client's input, not a server fault: 422.
    private static func isRefusedValue(_ error: PGError) -> Bool {
        error.kind == .statementFailed
            && (error.sqlState?.errorClass == SQLState("22000") || error.sqlState?.errorClass == .integrityConstraintViolation)
    }

    /// The limits only the database can check, on what a write computes there (`sql/migrations/017_baseline.sql`):
    /// an update-contact merge patch's result, and the tag list after `add_tags`.
    static func storedLimitErrors(_ error: PGError) -> FieldErrors? {
        guard error.sqlState == .checkViolation else { return nil }
        var errors = FieldErrors()
        switch error.violatedConstraint {
        case "contacts_metadata_size":
            errors.add("metadata", Metadata.tooLongAsStored)
        case "contact_tags_at_most_100":
            errors.add("add_tags", "too many tags (at most \(TagList.maximumCount) after add_tags)")
        default:
            return nil
        }
        return errors
    }
}
