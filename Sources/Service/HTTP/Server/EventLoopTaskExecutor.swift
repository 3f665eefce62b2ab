import NIOCore

/// Runs a connection's request handling on the event loop that reads and writes its socket.
///
/// Hummingbird handles each connection in a task of Swift's global pool: the request is read on
/// an event loop, handled on a pool thread, and every write hops back to the loop, so each request
/// crosses threads at least twice, and a result from the database resumes on a third. With this
/// executor preferred (`withTaskExecutorPreference`), the handler's jobs run on the channel's own
/// loop: writes find themselves on it and go out at once, and a database result that wakes the
/// handler queues one job to the loop it will answer from. NIO 2.101 has an executor for actors
/// (`SerialExecutor`) but none for tasks, hence this one.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: an event loop is Sendable and this holds nothing else.
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
