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

/// Waits until `condition` holds, looking again `every` 20 ms for at most `limit`; whether it held.
/// For what happens on its own a moment later (a background writer's outcome), instead of a
/// fixed sleep that is too short on a loaded machine and too long on an idle one.
public func eventually(
    within limit: Duration = .seconds(10), every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: interval)
    }
}
