public import Testing

extension Tag {
    /// Suites whose behaviour under test happens in real time and cannot run on a manual clock: a
    /// live socket's timeouts, a database restart or a killed backend, load measured beside other
    /// work, a process's lifecycle. Everything else about time runs on `ManualClock` or on rows
    /// moved back in the database.
    @Tag public static var realClock: Tag
}
