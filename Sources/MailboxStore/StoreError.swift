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

    /// The server's message for a PostgreSQL error, unwrapping transaction wrappers;
    /// `String(reflecting:)` for anything else (PSQLError's description is redacted).
    public static func describe(_ error: any Error) -> String {
        let inner = unwrap(error)
        if let p = inner as? PSQLError, let message = p.serverInfo?[.message] {
            var text = message
            if let detail = p.serverInfo?[.detail] { text += " (\(detail))" }
            return text
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
