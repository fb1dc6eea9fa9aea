import Foundation
public import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, as in libpq and DATABASE_URL.
/// `host=/path` (or `%2Fpath` as host) selects a Unix socket directory.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var requireTLS: Bool
    public var socketDirectory: String?

    public enum ParseError: Error, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self { case .invalid(let why): "DATABASE_URL is not usable: \(why)" }
        }
    }

    public init(host: String = "127.0.0.1", port: Int = 5432, username: String, password: String? = nil,
                database: String, requireTLS: Bool = false, socketDirectory: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.requireTLS = requireTLS
        self.socketDirectory = socketDirectory
    }

    public init(parsing string: String) throws(ParseError) {
        guard let c = URLComponents(string: string) else { throw .invalid("not a URL") }
        guard c.scheme == "postgres" || c.scheme == "postgresql" else {
            throw .invalid("scheme must be postgres:// or postgresql://")
        }
        var query: [String: String] = [:]
        for item in c.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let host = c.host.flatMap { $0.removingPercentEncoding } ?? ""
        socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (host.hasPrefix("/") ? host : nil)
        self.host = host.isEmpty || host.hasPrefix("/") ? "127.0.0.1" : host
        port = c.port ?? 5432
        guard let user = c.user?.removingPercentEncoding, !user.isEmpty else { throw .invalid("user name missing") }
        username = user
        password = c.password?.removingPercentEncoding
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        switch query["sslmode"] ?? "disable" {
        case "disable", "allow", "prefer": requireTLS = false
        case "require", "verify-ca", "verify-full": requireTLS = true
        case let other: throw .invalid("unsupported sslmode \(other)")
        }
    }

    /// The same server with another database (tests give each suite its own).
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// Without the password: safe to log.
    public var description: String {
        if let socketDirectory { return "postgres://\(username)@[\(socketDirectory)]:\(port)/\(database)" }
        return "postgres://\(username)@\(host):\(port)/\(database)"
    }

    /// libpq form for psql/pg_dump.
    public var libpqURL: String {
        var s = "postgresql://\(username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username)"
        if let password { s += ":" + (password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? password) }
        s += "@\(host):\(port)/\(database)"
        if let socketDirectory { s += "?host=\(socketDirectory)" }
        return s
    }

    /// Client configuration: a statement timeout on every connection (PostgresNIO has no query
    /// timeout of its own) and a short connect timeout so a wrong URL fails fast.
    public func clientConfiguration(statementTimeout: Duration = .seconds(30), maxConnections: Int = 20)
        -> PostgresClient.Configuration
    {
        var config: PostgresClient.Configuration
        if let socketDirectory {
            config = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username,
                           password: password, database: database)
        } else {
            config = .init(host: host, port: port, username: username, password: password, database: database,
                           tls: requireTLS ? .require(.makeClientConfiguration()) : .disable)
        }
        let ms = statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
        // The service runs short statements for many clients at once: JIT compiling (100+ ms seen on
        // the work list's text search) and parallel workers (two cores fought over by every client)
        // cost more than they save. A report that wants them can SET LOCAL. random_page_cost 1.1 (SSD or
        // memory, not the spinning disk that the default of 4 models): with 4, once autovacuum had analyzed
        // a table where new letters waited in triage, the planner walked the due-order index of all letters
        // and dropped 99,000 closed ones (1.3 s) instead of walking the triage queue's own index (0.5 ms),
        // because it charged the partial index's scattered heap reads four times a sequential one.
        config.options.additionalStartupParameters = [
            ("statement_timeout", "\(ms)"), ("TimeZone", "UTC"), ("jit", "off"), ("max_parallel_workers_per_gather", "0"),
            ("random_page_cost", "1.1"),
        ]
        config.options.connectTimeout = .seconds(5)
        config.options.maximumConnections = maxConnections
        return config
    }
}
