import FoundationEssentials
import Synchronization

/// Uploads this instance receives at once: each holds a scratch file of up to the upload limit
/// (1 GiB by default) until it is stored, so their number bounds the scratch space, as bulk
/// connections bounded it when uploads were stored as they arrived. One workspace takes at most
/// half of them, so another's upload always finds one. Past either, the upload is a 503.
public final class UploadSlots: Sendable {
    private let state = Mutex((total: 0, byTenant: [UUID: Int]()))
    let capacity: Int
    var perTenant: Int { max(1, capacity / 2) }

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Takes a slot for `tenant`; `false` when none is free for it.
    func take(_ tenant: UUID) -> Bool {
        state.withLock { state in
            guard state.total < capacity, state.byTenant[tenant, default: 0] < perTenant else { return false }
            state.total += 1
            state.byTenant[tenant, default: 0] += 1
            return true
        }
    }

    func give(_ tenant: UUID) {
        state.withLock { state in
            state.total -= 1
            let held = state.byTenant[tenant, default: 1] - 1
            state.byTenant[tenant] = held > 0 ? held : nil
        }
    }
}
