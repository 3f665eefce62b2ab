/// Why the pool could not hand out a connection.
public enum ConnectionPoolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Every connection stayed busy for the whole acquire bound: the database is saturated.
    case acquireTimeout(waited: Duration)
    /// The pool has been closed (shutting down).
    case closed

    public var description: String {
        switch self {
        case .acquireTimeout(let waited): "no database connection became free within \(waited)"
        case .closed: "the connection pool is closed"
        }
    }
}
