@testable import PGStore
import Testing

@Suite("Pool decisions, without a database or a real clock")
struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String, String>
    let t0 = ContinuousClock.now

    func machine(max: Int = 2) -> Machine {
        Machine(maxConnections: max, backoffInitial: .milliseconds(50), backoffMaximum: .seconds(1))
    }

    @Test func opensUpToTheBoundThenQueues() {
        var m = machine()
        guard case .open = m.acquire(now: t0) else { Issue.record("expected open"); return }
        _ = m.opened("a", forWaiters: false, now: t0)
        guard case .open = m.acquire(now: t0) else { Issue.record("expected open"); return }
        _ = m.opened("b", forWaiters: false, now: t0)
        guard case .mustWait = m.acquire(now: t0) else { Issue.record("expected mustWait"); return }
        guard case .queued = m.acquire(now: t0, waiter: (1, "w1", t0 + .seconds(1))) else { Issue.record("expected queued"); return }
        // Release hands the connection straight to the waiter.
        guard case .handOver("a", "w1") = m.release("a", reusable: true, now: t0) else { Issue.record("expected hand-over"); return }
        #expect(m.leased == 2)
        #expect(m.waiters.isEmpty)
    }

    @Test func brokenConnectionFreesItsSlotForWaiters() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        _ = m.opened("a", forWaiters: false, now: t0)
        _ = m.acquire(now: t0, waiter: (1, "w1", t0 + .seconds(1)))
        guard case .openForWaiters = m.release("a", reusable: false, now: t0) else { Issue.record("expected openForWaiters"); return }
        guard case .handOver("b", "w1") = m.opened("b", forWaiters: true, now: t0) else { Issue.record("expected hand-over"); return }
        #expect(m.total == 1)
    }

    @Test func connectFailureBacksOffThenRetries() {
        var m = machine()
        _ = m.acquire(now: t0)
        let error = PGError(kind: .connectionFailed, message: "refused")
        _ = m.openFailed(error, now: t0)
        guard case .failBackoff = m.acquire(now: t0 + .milliseconds(10)) else { Issue.record("expected backoff"); return }
        guard case .open = m.acquire(now: t0 + .milliseconds(60)) else { Issue.record("expected open after backoff"); return }
        _ = m.openFailed(error, now: t0 + .milliseconds(60))
        // Second failure: the delay doubled.
        guard case .failBackoff = m.acquire(now: t0 + .milliseconds(150)) else { Issue.record("expected longer backoff"); return }
        guard case .open = m.acquire(now: t0 + .milliseconds(161)) else { Issue.record("expected open"); return }
    }

    @Test func waitersFailWhenNothingCanServeThem() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        _ = m.opened("a", forWaiters: false, now: t0)
        _ = m.acquire(now: t0, waiter: (1, "w1", t0 + .seconds(1)))
        _ = m.release("a", reusable: false, now: t0)  // → open for waiters
        guard case .failWaiters(["w1"], _) = m.openFailed(.init(kind: .connectionFailed, message: "down"), now: t0) else {
            Issue.record("expected the waiter to fail"); return
        }
    }

    @Test func timedOutWaiterIsRemovedOnce() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        _ = m.opened("a", forWaiters: false, now: t0)
        _ = m.acquire(now: t0, waiter: (7, "w7", t0 + .seconds(1)))
        #expect(m.removeWaiter(id: 7) == "w7")
        #expect(m.removeWaiter(id: 7) == nil)
        guard case .none = m.release("a", reusable: true, now: t0) else { Issue.record("expected idle"); return }
        #expect(m.idle.count == 1)
    }

    @Test func expiredWaitersAreRemovedByDeadline() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        _ = m.opened("a", forWaiters: false, now: t0)
        _ = m.acquire(now: t0, waiter: (1, "early", t0 + .milliseconds(100)))
        _ = m.acquire(now: t0, waiter: (2, "late", t0 + .milliseconds(300)))
        #expect(m.removeExpiredWaiters(now: t0 + .milliseconds(50)).isEmpty)
        #expect(m.removeExpiredWaiters(now: t0 + .milliseconds(150)) == ["early"])
        #expect(m.waiters.map(\.waiter) == ["late"])
    }

    @Test func closeFailsWaitersAndClosesReturningConnections() {
        var m = machine(max: 1)
        _ = m.acquire(now: t0)
        _ = m.opened("a", forWaiters: false, now: t0)
        _ = m.acquire(now: t0, waiter: (1, "w1", t0 + .seconds(1)))
        let (idle, waiters) = m.close()
        #expect(idle.isEmpty)
        #expect(waiters == ["w1"])
        guard case .close("a") = m.release("a", reusable: true, now: t0) else { Issue.record("expected close"); return }
        guard case .failClosed = m.acquire(now: t0) else { Issue.record("expected failClosed"); return }
    }
}
