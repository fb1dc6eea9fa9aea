public import PostgresNIO

/// Errors the store reports in domain terms; anything else is a real fault (HTTP 500).
public enum StoreError: Error, Sendable, Equatable {
    /// The app reused one of its letter ids for a different letter.
    case channelRefConflict(trackingNo: String)
    case notFound
    /// Import: lines that cannot be stored, each with its line number.
    case importRejected([ImportLineError])
    /// A state change the letter's current state does not allow.
    case invalidTransition(String)
    /// The calendar does not cover the dates an operation needs.
    case calendarIncomplete(String)
    /// The letter changed since the version the caller read (HTTP 412).
    case staleVersion(current: Int)
    /// A unique name is taken, or the change contradicts stored data (HTTP 409).
    case conflict(String)
    /// A field names something that does not exist (HTTP 422).
    case unknownReference(field: String, message: String)
    /// The database did not answer in time or the connection failed (HTTP 503 with Retry-After).
    case unavailable(String)

    /// True for errors that mean "the database cannot be reached now", not "the request is wrong": our own
    /// deadline, a connection that failed or closed (a PSQLError without a server message), or the server
    /// shutting down or starting (SQLSTATE class 08, 57P01–57P03).
    public static func isUnavailable(_ error: any Error) -> Bool {
        let inner = unwrap(error)
        if case .unavailable = inner as? StoreError { return true }
        // The pool gave up creating connections (its circuit breaker): PostgresNIO does not export the type.
        if String(reflecting: type(of: inner)).hasSuffix("ConnectionPoolError") { return true }
        guard let p = inner as? PSQLError else { return false }
        guard let state = p.serverInfo?[.sqlState] else { return true }
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
    }

    /// Runs `body`, throwing ``unavailable(_:)`` if it takes longer than `limit` (`body` is cancelled: a wait for a
    /// pooled connection ends, a running statement is cancelled).
    public static func withDeadline<T: Sendable>(_ limit: Duration, _ what: String,
                                                _ body: () async throws -> T) async throws -> T {
        guard let value = try await runUnlessAbandoned(deadline: limit, body) else {
            throw StoreError.unavailable("\(what) took longer than \(limit)")
        }
        return value
    }

    /// The server's message for a PostgreSQL error, unwrapping transaction wrappers;
    /// `String(reflecting:)` for anything else (PSQLError's description is redacted).
    public static func describe(_ error: any Error) -> String {
        let inner = unwrap(error)
        if let p = inner as? PSQLError {
            // A failed connection carries the server's message one level down (e.g. 57P01 on shutdown).
            let info = p.serverInfo ?? (p.underlying as? PSQLError)?.serverInfo
            if let message = info?[.message] {
                var text = message
                if let detail = info?[.detail] { text += " (\(detail))" }
                return p.serverInfo == nil ? "\(p.code): \(text)" : text
            }
            if p.serverInfo == nil { return "\(p.code)" + (p.underlying.map { ": \(String(reflecting: $0))" } ?? "") }
        }
        return String(reflecting: inner)
    }

    /// SQLSTATE of a PostgreSQL error, if it is one (e.g. 23505 unique violation).
    public static func sqlState(_ error: any Error) -> String? {
        (unwrap(error) as? PSQLError)?.serverInfo?[.sqlState]
    }

    public static func unwrap(_ error: any Error) -> any Error {
        if let t = error as? PostgresTransactionError {
            if let e = t.closureError ?? t.beginError ?? t.commitError ?? t.rollbackError { return unwrap(e) }
        }
        return error
    }
}

public struct ImportLineError: Sendable, Hashable, Codable, CustomStringConvertible {
    public var line: Int
    public var field: String?
    public var message: String

    public init(line: Int, field: String?, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String { "line \(line): " + (field.map { "\($0): " } ?? "") + message }
}
