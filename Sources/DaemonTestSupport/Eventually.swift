import Testing

/// Polls `condition` every `poll` until it holds or `timeout` passes; the condition is asked
/// one last time at the deadline.
///
/// It waits with `Task.sleep`, never by blocking a thread: the cooperative pool has only as
/// many threads as cores (two on the test machine), and an in-process server or emulator
/// under test needs them to answer.
/// - Returns: whether the condition held in time.
public func eventually(
    timeout: Duration = .seconds(10), poll: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: poll)
    }
    return try await condition()
}

/// `eventually` that records an issue naming `what` when the condition never holds.
public func expectEventually(
    _ what: String, timeout: Duration = .seconds(10), poll: Duration = .milliseconds(10),
    sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
) async throws {
    if try await !eventually(timeout: timeout, poll: poll, condition) {
        Issue.record("timed out waiting for: \(what)", sourceLocation: sourceLocation)
    }
}
