/// Runs `body` unless it is abandoned first: when `abandon()` turns true (checked every `pollEvery`) or when
/// `deadline` passes, `body` is cancelled and the result is nil. A wait for a pooled connection ends at once on
/// cancellation and a running statement is cancelled (its transaction rolls back). Returns only when `body` has
/// ended, so a non-escaping `body` does not outlive the call.
///
/// Serves the request deadline while the database is down (MailboxAPI's `DatabaseDeadlineMiddleware`), the
/// replica reads (``ReadRouting/read(_:primary:_:)``) and ``StoreError/withDeadline(_:_:_:)``.
public func runUnlessAbandoned<T: Sendable>(
    deadline: Duration? = nil, pollEvery: Duration = .milliseconds(100),
    abandon: @escaping @Sendable () -> Bool = { false },
    _ body: () async throws -> T
) async throws -> T? {
    try await withoutActuallyEscaping(body) { body in
        let call = UncheckedBody(body: body)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await call.body() }
            group.addTask {
                let start = ContinuousClock.now
                while !abandon() {
                    var wait = pollEvery
                    if let deadline {
                        let left = deadline - (ContinuousClock.now - start)
                        if left <= .zero { break }
                        wait = min(wait, left)
                    }
                    try await Task.sleep(for: wait)
                }
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}

/// The body, carried into the task group; `runUnlessAbandoned` waits for the group, so it does not escape.
private struct UncheckedBody<T>: @unchecked Sendable {
    let body: () async throws -> T
}
