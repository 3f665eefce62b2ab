import FoundationEssentials
import Testing

@testable import PGStore

@Suite("Pool decisions, without a database or a real clock")
struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String, String>
    let t0 = ContinuousClock.now

    func machine(max: Int = 2) -> Machine {
        Machine(maxConnections: max, backoffInitial: .milliseconds(50), backoffMaximum: .seconds(1))
    }

    @Test func opensUpToTheBoundThenQueues() {
        var m = machine()
        guard case .open = m.acquire(now: t0) else {
            Issue.record("expected open")
            return
        }
        m.opened()
        guard case .open = m.acquire(now: t0) else {
            Issue.record("expected open")
            return
        }
        m.opened()
        guard case .mustWait = m.acquire(now: t0) else {
            Issue.record("expected mustWait")
            return
        }
        guard case .queued = m.acquire(now: t0, waiter: (1, "w1", t0 + .seconds(1))) else {
            Issue.record("expected queued")
            return
        }
        // Release hands the connection straight to the waiter.
        guard case .handOver("a", "w1") = m.release("a", reusable: true, now: t0) else {
            Issue.record("expected hand-over")
            return
        }
        #expect(m.leased == 2)
        #expect(m.waiters.isEmpty)
    }

    @Test func brokenConnectionFreesItsSlotForWaiters() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        m.opened()
        _ = m.acquire(now: t0, waiter: (1, "w1", t0 + .seconds(1)))
        guard case .openFor("w1") = m.release("a", reusable: false, now: t0) else {
            Issue.record("expected the waiter to open")
            return
        }
        #expect(m.waiters.isEmpty)
        #expect(m.total == 1)
        m.opened()
        #expect(m.leased == 1)
        #expect(m.total == 1)
    }

    @Test func connectFailureBacksOffThenRetries() {
        var m = machine()
        _ = m.acquire(now: t0)
        let error = PGError(kind: .connectionFailed, message: "refused")
        _ = m.openFailed(error, now: t0)
        guard case .failBackoff = m.acquire(now: t0 + .milliseconds(10)) else {
            Issue.record("expected backoff")
            return
        }
        guard case .open = m.acquire(now: t0 + .milliseconds(60)) else {
            Issue.record("expected open after backoff")
            return
        }
        _ = m.openFailed(error, now: t0 + .milliseconds(60))
        // Second failure: the delay doubled.
        guard case .failBackoff = m.acquire(now: t0 + .milliseconds(150)) else {
            Issue.record("expected longer backoff")
            return
        }
        guard case .open = m.acquire(now: t0 + .milliseconds(161)) else {
            Issue.record("expected open")
            return
        }
    }

    @Test func waitersFailWhenNothingCanServeThem() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        m.opened()
        _ = m.acquire(now: t0, waiter: (1, "w1", t0 + .seconds(1)))
        _ = m.acquire(now: t0, waiter: (2, "w2", t0 + .seconds(1)))
        guard case .openFor("w1") = m.release("a", reusable: false, now: t0) else {
            Issue.record("expected w1 to open")
            return
        }
        // w1's connect fails (w1 gets that error itself); nobody is left to serve w2.
        guard case .failWaiters(["w2"], _) = m.openFailed(.init(kind: .connectionFailed, message: "down"), now: t0) else {
            Issue.record("expected the waiter to fail")
            return
        }
    }

    @Test func timedOutWaiterIsRemovedOnce() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        m.opened()
        _ = m.acquire(now: t0, waiter: (7, "w7", t0 + .seconds(1)))
        #expect(m.removeWaiter(id: 7) == "w7")
        #expect(m.removeWaiter(id: 7) == nil)
        guard case .none = m.release("a", reusable: true, now: t0) else {
            Issue.record("expected idle")
            return
        }
        #expect(m.idle.count == 1)
    }

    @Test func expiredWaitersAreRemovedByDeadline() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        m.opened()
        _ = m.acquire(now: t0, waiter: (1, "early", t0 + .milliseconds(100)))
        _ = m.acquire(now: t0, waiter: (2, "late", t0 + .milliseconds(300)))
        #expect(m.removeExpiredWaiters(now: t0 + .milliseconds(50)).isEmpty)
        #expect(m.removeExpiredWaiters(now: t0 + .milliseconds(150)) == ["early"])
        #expect(m.waiters.map(\.waiter) == ["late"])
    }

    @Test func closeFailsWaitersAndClosesReturningConnections() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        m.opened()
        _ = m.acquire(now: t0, waiter: (1, "w1", t0 + .seconds(1)))
        let (idle, waiters) = m.close()
        #expect(idle.isEmpty)
        #expect(waiters == ["w1"])
        guard case .close("a") = m.release("a", reusable: true, now: t0) else {
            Issue.record("expected close")
            return
        }
        guard case .failClosed = m.acquire(now: t0) else {
            Issue.record("expected failClosed")
            return
        }
    }

    // MARK: Fair shares

    func fairMachine(max: Int, share: Int, bulk: Int) -> Machine {
        Machine(maxConnections: max, backoffInitial: .milliseconds(50), backoffMaximum: .seconds(1), ownerShare: share, bulkLimit: bulk)
    }

    @Test func bulkLeasesLeaveConnectionsForInteractiveOnes() {
        var m = fairMachine(max: 4, share: 4, bulk: 2)
        let batches = PoolLease(owner: UUID(), isBulk: true)
        for name in ["a", "b"] {
            guard case .open = m.acquire(now: t0, lease: batches) else {
                Issue.record("expected open")
                return
            }
            m.opened()
        }
        // Two slots are free, but not for a third batch.
        guard case .queued = m.acquire(now: t0, waiter: (1, "batch", t0 + .seconds(1)), lease: batches) else {
            Issue.record("a third bulk lease must wait")
            return
        }
        // An interactive request, of the same workspace or another, is served at once.
        guard case .open = m.acquire(now: t0, lease: PoolLease(owner: UUID())) else {
            Issue.record("expected open")
            return
        }
        m.opened()
        // A bulk lease ending hands its connection to the waiting batch.
        guard case .handOver("a", "batch") = m.release("a", reusable: true, now: t0, lease: batches) else {
            Issue.record("expected the batch to get the freed bulk connection")
            return
        }
        #expect(m.bulkLeased == 2)
    }

    /// Long-held bulk leases (exports, upload stores): one workspace holds at most all bulk
    /// connections but one, so another workspace always finds one; a freed bulk connection goes
    /// to the waiting workspace that holds the fewest.
    @Test func oneWorkspaceNeverHoldsEveryBulkConnectionForLong() {
        var m = fairMachine(max: 4, share: 4, bulk: 2)
        let (a, b) = (UUID(), UUID())
        let export = { (owner: UUID) in PoolLease(owner: owner, isHeldLong: true) }
        #expect(export(a).isBulk)
        guard case .open = m.acquire(now: t0, lease: export(a)) else {
            Issue.record("expected open")
            return
        }
        m.opened()
        // A's second export waits though a bulk connection is free: it would take the last one.
        guard case .queued = m.acquire(now: t0, waiter: (1, "a2", t0 + .seconds(1)), lease: export(a)) else {
            Issue.record("A's second long lease must wait")
            return
        }
        // B's export takes it.
        guard case .open = m.acquire(now: t0, lease: export(b)) else {
            Issue.record("B's export must be served")
            return
        }
        m.opened()
        // B's batch waits (bulk full); A's export ends: the batch of B (holding 1) and A's export
        // (A would then hold 0) wait; A's goes first, as A now holds the fewest.
        guard case .queued = m.acquire(now: t0, waiter: (2, "b-batch", t0 + .seconds(1)), lease: PoolLease(owner: b, isBulk: true)) else {
            Issue.record("bulk is full")
            return
        }
        guard case .handOver("x", "a2") = m.release("x", reusable: true, now: t0, lease: export(a)) else {
            Issue.record("expected A's waiting export, A holding the fewest")
            return
        }
        #expect(m.bulkLeased == 2)
    }

    /// While a workspace's interactive calls keep coming, bulk work (an import's batches) runs on
    /// one connection at a time; a long-held lease (an export) is not counted against it; a second
    /// after the last interactive call, the bulk share is whole again.
    @Test func bulkWorkYieldsWhileInteractiveCallsCome() {
        var m = Machine(
            maxConnections: 4, backoffInitial: .milliseconds(50), backoffMaximum: .seconds(1), ownerShare: 4, bulkLimit: 3,
            bulkYieldWindow: .seconds(1))
        let batches = PoolLease(owner: UUID(), isBulk: true)
        guard case .open = m.acquire(now: t0, lease: PoolLease(owner: UUID(), isHeldLong: true)) else {
            Issue.record("export: open")
            return
        }
        m.opened()
        guard case .open = m.acquire(now: t0, lease: batches) else {
            Issue.record("first batch: open")
            return
        }
        m.opened()
        m.noteInteractive(now: t0)
        // A second batch waits while interactive calls came within the second...
        guard case .queued = m.acquire(now: t0 + .milliseconds(500), waiter: (1, "second", t0 + .seconds(9)), lease: batches) else {
            Issue.record("a second batch must wait while interactive calls come")
            return
        }
        // ... and gets the first one's connection when it ends, not before.
        guard case .handOver("c", "second") = m.release("c", reusable: true, now: t0 + .milliseconds(600), lease: batches) else {
            Issue.record("the waiting batch gets the connection")
            return
        }
        // Past the window, a second batch runs beside the first.
        guard case .open = m.acquire(now: t0 + .milliseconds(1600), lease: batches) else {
            Issue.record("no interactive call for a second: two batches at once")
            return
        }
        m.opened()
        #expect(m.bulkLeased == 3)
        // Without a window (the setting off), nothing yields.
        var off = fairMachine(max: 4, share: 4, bulk: 2)
        off.noteInteractive(now: t0)
        for _ in 0..<2 {
            guard case .open = off.acquire(now: t0, lease: batches) else {
                Issue.record("no yield when off")
                return
            }
            off.opened()
        }
    }

    @Test func aFreedConnectionGoesToAWorkspaceUnderItsShareInteractiveFirst() {
        var m = fairMachine(max: 2, share: 1, bulk: 2)
        let (heavy, light) = (UUID(), UUID())
        for name in ["a", "b"] {
            _ = m.acquire(now: t0, lease: PoolLease(owner: heavy))
            m.opened()
        }
        let deadline = t0 + .seconds(1)
        _ = m.acquire(now: t0, waiter: (1, "heavy-again", deadline), lease: PoolLease(owner: heavy))
        _ = m.acquire(now: t0, waiter: (2, "light-batch", deadline), lease: PoolLease(owner: light, isBulk: true))
        _ = m.acquire(now: t0, waiter: (3, "light", deadline), lease: PoolLease(owner: light))
        // The heavy workspace holds the whole pool: the light one's interactive request goes first,
        // ahead of the heavy one's, which queued earlier, and of its own batch.
        guard case .handOver("a", "light") = m.release("a", reusable: true, now: t0, lease: PoolLease(owner: heavy)) else {
            Issue.record("expected the light workspace to be served first")
            return
        }
        // Interactive before bulk, even over its share: with nobody else waiting, the pool is used.
        guard case .handOver("b", "heavy-again") = m.release("b", reusable: true, now: t0, lease: PoolLease(owner: heavy)) else {
            Issue.record("expected the heavy workspace's interactive request next")
            return
        }
        #expect(m.leasesByOwner[heavy] == 1 && m.leasesByOwner[light] == 1)
        guard case .handOver("a", "light-batch") = m.release("a", reusable: true, now: t0, lease: PoolLease(owner: light)) else {
            Issue.record("expected the batch last")
            return
        }
        #expect(m.waiters.isEmpty)
    }
}
