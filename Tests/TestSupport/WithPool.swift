public import PGStore

/// Runs `body` with a pool and closes the pool afterwards, whatever happens.
public func withPool<T>(
    _ pool: ConnectionPool, _ body: (ConnectionPool) async throws -> T
) async throws -> T {
    do {
        let result = try await body(pool)
        await pool.close()
        return result
    } catch {
        await pool.close()
        throw error
    }
}
