import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MailboxAPI
import MailboxDelivery
import MailboxCore
import MailboxStore
import Metrics
import NIOCore
import PostgresNIO
import Prometheus
import ServiceLifecycle

@main
struct MailboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailbox",
        abstract: "District Mailbox (区长信箱) case-management backend.",
        subcommands: [Serve.self, Migrate.self, Import.self, Calendar.self, DemoData.self, User.self, Audit.self, Demo.self,
                      CheckText.self, WordListCommand.self, Report.self, RollupCommand.self])
}

/// Options shared by every command that talks to the database (docs/configuration.md).
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: $DATABASE_URL; unset: the embedded cluster).")
    var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: "Folder of the embedded cluster (default: $MAILBOX_DATA_DIR or ./.mailbox-data).")
    var dataDirectory: String?

    @Option(name: .customLong("sql-dir"), help: "Folder with migrations/ and demo/ (default: $MAILBOX_SQL_DIR or ./sql).")
    var sqlDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (default: $MAILBOX_LOG_LEVEL or info).")
    var logLevel: String?

    var env: [String: String] { ProcessInfo.processInfo.environment }

    func makeLogger(_ label: String = "mailbox") -> Logger {
        let level = Logger.Level(rawValue: logLevel ?? env["MAILBOX_LOG_LEVEL"] ?? "info") ?? .info
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        return Logger(label: label)
    }

    /// `--database-url` or DATABASE_URL when set; nil means the embedded cluster.
    var configuredURL: String? {
        (databaseURL ?? env["DATABASE_URL"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    var sqlURL: URL { URL(fileURLWithPath: sqlDirectory ?? env["MAILBOX_SQL_DIR"] ?? "sql") }

    /// The configured database, or the embedded cluster (started if needed) when none is set;
    /// the second value is the cluster to stop at exit, if this process started it.
    func database(logger: Logger) throws -> (DatabaseURL, EmbeddedPostgres?) {
        if let raw = configuredURL {
            return (try DatabaseURL(parsing: raw), nil)
        }
        let dir = dataDirectory ?? env["MAILBOX_DATA_DIR"] ?? ".mailbox-data"
        let port = Int(env["MAILBOX_EMBEDDED_PG_PORT"] ?? "") ?? 54329
        var embedded = EmbeddedPostgres(dataDirectory: URL(fileURLWithPath: dir).standardizedFileURL, port: port, logger: logger)
        embedded.relocateIfUnreachable()
        let (url, startedHere) = try embedded.start()
        // Stop it afterwards only if this process started it (another may be using it).
        return (url, startedHere ? embedded : nil)
    }

    func migrator() throws -> Migrator {
        try Migrator(directory: sqlURL.appendingPathComponent("migrations"))
    }
}

extension DatabaseOptions {
    /// Runs `body` against the configured database, or the embedded cluster (stopped afterwards
    /// if this process started it).
    func withClient<T: Sendable>(logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let (url, embedded) = try database(logger: logger)
        defer { embedded?.stop() }
        return try await withDatabase(url, logger: logger, body)
    }
}

/// Runs `body` with a running PostgresClient, after checking within 5 s that the server answers
/// (a wrong URL otherwise surfaces only after ~60 s of retries).
func withDatabase<T: Sendable>(_ url: DatabaseURL, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
    let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        try await checkReachable(client, url: url, logger: logger)
        return try await body(client)
    }
}

func checkReachable(_ client: PostgresClient, url: DatabaseURL, logger: Logger) async throws {
    do {
        try await PostgresLetterStore(client: client, logger: logger).ping(timeout: .seconds(5))
    } catch {
        throw ValidationError("PostgreSQL at \(url) did not answer SELECT 1 within 5 s: \(StoreError.describe(error))")
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the HTTP API.")

    @OptionGroup var db: DatabaseOptions

    @Option(help: "Listen address (default: $HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Listen port (default: $PORT or 8080).")
    var port: Int?

    @Flag(help: "Apply pending migrations before serving (always on for the embedded cluster).")
    var migrate = false

    @Flag(name: .customLong("demo-data"), help: "Load the demo departments (always on for the embedded cluster).")
    var demoData = false

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        if let n = Int(env["MAILBOX_EVENT_LOOPS"] ?? ""), n > 0 { NIOSingletons.groupLoopCountSuggestion = n }
        let logger = db.makeLogger()
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            let renamed = switch name {
            case "hb.requests": "http_server_requests_total"
            case "http.server.request.duration": "http_server_request_duration_seconds"
            case "hb.request.errors": "http_server_request_errors_total"
            default: name
            }
            return (sanitize(renamed), labels.map { (sanitize($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)

        let (url, embedded) = try db.database(logger: logger)
        defer { embedded?.stop() }
        let migrator = try db.migrator()
        let poolSize = Int(env["MAILBOX_DB_MAX_CONNECTIONS"] ?? "") ?? 20
        if let n = env["MAILBOX_PREPARED_STATEMENTS"].flatMap({ Int($0) }) { PreparedWorkLists.capacity = n }
        let client = PostgresClient(configuration: url.clientConfiguration(maxConnections: poolSize), backgroundLogger: logger)
        // Reports and work lists from a streaming replica while it is fresh (docs/operations.md, "Read replica").
        var replicaClient: PostgresClient?
        var reads: ReadRouting?
        if let raw = env["DATABASE_REPLICA_URL"], !raw.isEmpty {
            let replicaURL = try DatabaseURL(parsing: raw)
            let r = PostgresClient(configuration: replicaURL.clientConfiguration(maxConnections: poolSize), backgroundLogger: logger)
            let staleness = Double(env["MAILBOX_REPLICA_MAX_STALENESS_SECONDS"] ?? "").flatMap { $0 > 0 ? $0 : nil } ?? 5
            replicaClient = r
            reads = ReadRouting(primary: client, replica: r, maxStaleness: .milliseconds(Int64(staleness * 1000)), logger: logger)
        }
        let letters = PostgresLetterStore(client: client, logger: logger, reads: reads)
        let calendars = CalendarStore(client: client, logger: logger)
        let staff = PostgresStaffStore(client: client, logger: logger)
        let cache = CalendarCache(.init(calendar: nil, version: -1, policies: [], years: []))
        let openAPI = try? String(contentsOf: URL(fileURLWithPath: env["MAILBOX_OPENAPI"] ?? "docs/openapi.yaml"), encoding: .utf8)
        let secret = env["MAILBOX_APP_WEBHOOK_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        if secret == nil { logger.warning("MAILBOX_APP_WEBHOOK_SECRET is unset: the app webhook answers 503") }
        if env["MAILBOX_ADMIN_TOKEN"] != nil {
            logger.warning("MAILBOX_ADMIN_TOKEN is no longer used: staff sign in with accounts (mailbox user add)")
        }
        let config = APIConfiguration(
            webhookSecret: secret,
            webhookWindowSeconds: Int(env["MAILBOX_WEBHOOK_WINDOW_SECONDS"] ?? "") ?? 300,
            openAPIDocument: openAPI, auth: authSettings(env),
            reopenWindowWorkingDays: Int(env["MAILBOX_REOPEN_WORKING_DAYS"] ?? "").flatMap { $0 > 0 ? $0 : nil } ?? 10,
            publicLimits: try publicLimits(env))
        let mailbox = Mailbox(letters: letters, calendars: calendars, staff: staff,
                              replies: PostgresReplyStore(client: client, logger: logger),
                              reports: PostgresReportStore(client: client, logger: logger, reads: reads), cache: cache, config: config)
        let probeMS = Int(env["MAILBOX_DB_PROBE_MS"] ?? "").flatMap { $0 > 0 ? $0 : nil } ?? 500
        var services: [any Service] = [client, DatabaseProbe(mailbox: mailbox, interval: .milliseconds(probeMS), logger: logger),
                                       CalendarRefresher(mailbox: mailbox, logger: logger),
                                       DeadlineWatchService(client: client, logger: logger),
                                       RollupService(client: client, logger: logger)]
        if let replicaClient, let reads {
            services.append(replicaClient)
            services.append(ReplicaMonitor(reads: reads))
        }
        if let callback = appCallbackSettings(env, inboundSecret: secret) {
            services.append(AppDeliverySender(client: client, settings: callback, logger: logger))
        } else if (env["MAILBOX_APP_CALLBACK_URL"] ?? "").isEmpty {
            logger.warning("MAILBOX_APP_CALLBACK_URL is unset: app notifications wait in the outbox (app_deliveries)")
        } else {
            logger.warning("MAILBOX_APP_CALLBACK_URL is set but there is no secret to sign with (MAILBOX_APP_CALLBACK_SECRET or MAILBOX_APP_WEBHOOK_SECRET): app notifications wait in the outbox")
        }
        let router = buildRouter(mailbox: mailbox, metrics: { registry.emitToString() })
        let listenHost = host ?? env["HOST"] ?? "127.0.0.1"
        let listenPort = port ?? Int(env["PORT"] ?? "") ?? 8080
        var app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(env["MAILBOX_IDLE_TIMEOUT_SECONDS"] ?? "") ?? 60))),
            configuration: .init(address: .hostname(listenHost, port: listenPort), serverName: "mailbox"),
            services: services,
            logger: logger)
        let isEmbedded = db.configuredURL == nil
        let migrateFirst = migrate || isEmbedded || env["MAILBOX_MIGRATE"] == "1"
        let loadDemo = demoData || isEmbedded
        let sqlURL = db.sqlURL
        app.beforeServerStarts {
            try await checkReachable(client, url: url, logger: logger)
            if migrateFirst { try await migrator.migrate(client: client, logger: logger) }
            if loadDemo { try await loadDemoData(client: client, sqlURL: sqlURL, logger: logger) }
            try await mailbox.reloadCalendar()
            try await mailbox.refreshRoutingIfStale()
            logger.notice("serving", metadata: [
                "address": "\(listenHost):\(listenPort)", "database": "\(url)",
                "calendar_years": "\(cache.current.years)",
            ])
        }
        try await app.runService()
    }
}

/// The app's notification endpoint from the environment (docs/configuration.md); nil without a
/// URL or without any secret to sign with.
func appCallbackSettings(_ env: [String: String], inboundSecret: String?) -> AppCallbackSettings? {
    guard let url = env["MAILBOX_APP_CALLBACK_URL"], !url.isEmpty,
        let secret = env["MAILBOX_APP_CALLBACK_SECRET"].flatMap({ $0.isEmpty ? nil : $0 }) ?? inboundSecret
    else { return nil }
    var s = AppCallbackSettings(url: url, secret: secret)
    if let t = Double(env["MAILBOX_APP_CALLBACK_TIMEOUT_SECONDS"] ?? ""), t > 0 { s.timeout = .milliseconds(Int64(t * 1000)) }
    if let n = Int(env["MAILBOX_APP_CALLBACK_MAX_ATTEMPTS"] ?? ""), n > 0 { s.maxAttempts = n }
    if let b = Double(env["MAILBOX_APP_CALLBACK_BACKOFF_SECONDS"] ?? ""), b > 0 { s.baseDelay = .milliseconds(Int64(b * 1000)) }
    return s
}

/// The service's stores on one client with the stored calendar loaded, for commands that do
/// what an endpoint does (import, reports).
func commandMailbox(client: PostgresClient, logger: Logger) async throws
    -> Mailbox<PostgresLetterStore, CalendarStore, PostgresStaffStore>
{
    let calendars = CalendarStore(client: client, logger: logger)
    return Mailbox(letters: PostgresLetterStore(client: client, logger: logger), calendars: calendars,
                   staff: PostgresStaffStore(client: client, logger: logger),
                   replies: PostgresReplyStore(client: client, logger: logger),
                   reports: PostgresReportStore(client: client, logger: logger),
                   cache: CalendarCache(try await calendars.snapshot()), config: APIConfiguration())
}

/// Sign-in settings from the environment (docs/configuration.md).
func authSettings(_ env: [String: String]) -> AuthSettings {
    var a = AuthSettings()
    if let h = Double(env["MAILBOX_SESSION_HOURS"] ?? ""), h > 0 { a.sessionLifetime = .seconds(h * 3600) }
    if let c = UInt8(env["MAILBOX_BCRYPT_COST"] ?? ""), (4...31).contains(c) { a.bcryptCost = c }
    if let n = Int(env["MAILBOX_LOGIN_MAX_FAILURES"] ?? ""), n > 0 { a.maxFailuresPerUser = n }
    if let n = Int(env["MAILBOX_LOGIN_MAX_FAILURES_PER_ADDRESS"] ?? ""), n > 0 { a.maxFailuresPerAddress = n }
    return a
}

/// sql/demo/departments.sql (idempotent).
func loadDemoData(client: PostgresClient, sqlURL: URL, logger: Logger) async throws {
    let text = try String(contentsOf: sqlURL.appendingPathComponent("demo/departments.sql"), encoding: .utf8)
    try await client.withConnection { try await SQLScript.run(text, on: $0, logger: logger) }
}

func readUTF8File(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
    guard let text = String(validating: Array(data), as: UTF8.self) else { throw ValidationError("\(path) is not UTF-8") }
    return text
}

func sanitize(_ s: String) -> String {
    String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
}

/// Reloads the cached calendar and routing rules when another instance changed them (checks
/// their versions every 30 s).
/// The public endpoints' limits from the environment (docs/configuration.md, "Abuse limits"); a malformed value
/// stops the start with its name.
func publicLimits(_ env: [String: String]) throws -> PublicLimits {
    func limit(_ name: String, _ fallback: String) throws -> RateLimit? {
        do {
            return try RateLimit.parse(env[name] ?? fallback)
        } catch {
            throw ValidationError("\(name): \(error)")
        }
    }
    return PublicLimits(
        intake: try limit("MAILBOX_RATE_INTAKE", "20/600"), lookup: try limit("MAILBOX_RATE_LOOKUP", "120/60"),
        rating: try limit("MAILBOX_RATE_RATING", "10/60"), codeGuesses: try limit("MAILBOX_RATE_CODE_GUESSES", "10/3600"),
        trustProxy: env["MAILBOX_TRUST_PROXY"] == "1")
}

/// Checks the read replica's staleness every second (``ReadRouting/checkOnce()``).
struct ReplicaMonitor: Service {
    let reads: ReadRouting

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await reads.checkOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}

/// Probes PostgreSQL (`SELECT 1`, at most 1 s) every `interval` and records the answer in `mailbox.database`: while it
/// fails, requests that need the database answer 503 with Retry-After at once (docs/operations.md, "Fail fast").
/// The pool reconnects by itself; the next good probe lets requests through again, with no restart.
struct DatabaseProbe<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore>: Service {
    let mailbox: Mailbox<Letters, Calendars, Staff>
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var failure: String?
            do {
                try await mailbox.letters.ping(timeout: .seconds(1))
            } catch {
                failure = StoreError.describe(error)
            }
            if mailbox.database.record(reachable: failure == nil) {
                if let failure {
                    logger.error("database unreachable: requests that need it answer 503 until it returns",
                                 metadata: ["error": "\(failure)"])
                } else {
                    logger.notice("database reachable again")
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

struct CalendarRefresher<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore>: Service {
    let mailbox: Mailbox<Letters, Calendars, Staff>
    let logger: Logger

    func run() async throws {
        var lastWarning: ContinuousClock.Instant?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            checkCoverage(lastWarning: &lastWarning)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(30)) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            do {
                try await mailbox.refreshCalendarIfStale()
                try await mailbox.refreshRoutingIfStale()
            } catch {
                logger.warning("calendar or routing refresh failed", metadata: ["error": "\(StoreError.describe(error))"])
            }
        }
    }

    /// From 60 days before the announced years end: a warning every 6 hours and the gauge
    /// `mailbox_calendar_days_remaining` (days from today to the last announced day), because deadlines past
    /// that day are provisional until the next notice is imported (docs/sla.md, "Provisional deadlines").
    func checkCoverage(lastWarning: inout ContinuousClock.Instant?) {
        guard let calendar = mailbox.cache.current.calendar, let end = calendar.coverage?.upperBound else { return }
        let today = calendar.localDate(of: Date())
        let left = end.dayNumber - today.dayNumber
        Gauge(label: "mailbox_calendar_days_remaining").record(left)
        guard left <= 60 else { return }
        if let last = lastWarning, ContinuousClock.now - last < .seconds(6 * 3600) { return }
        lastWarning = ContinuousClock.now
        logger.warning(
            "the working calendar ends soon: import the next year's State Council holiday notice (mailbox calendar import); until then deadlines past its end are provisional",
            metadata: ["calendar_ends": "\(end)", "days_left": "\(left)"])
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations from sql/migrations.")
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let logger = db.makeLogger()
        let migrator = try db.migrator()
        let applied = try await db.withClient(logger: logger) { try await migrator.migrate(client: $0, logger: logger) }
        print(applied.isEmpty ? "database is up to date" : "applied: " + applied.map { "\($0.version)_\($0.name)" }.joined(separator: ", "))
    }
}

struct DemoData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo-data", abstract: "Load the demo departments.")
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let logger = db.makeLogger()
        let sqlURL = db.sqlURL
        try await db.withClient(logger: logger) { try await loadDemoData(client: $0, sqlURL: sqlURL, logger: logger) }
        print("demo departments loaded")
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import data from the previous system.", subcommands: [ImportLetters.self])
}

struct ImportLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "letters",
        abstract: "Load letters from a JSON Lines file (docs/import.md): all lines or none.")
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "The .jsonl file.") var file: String

    func run() async throws {
        let logger = db.makeLogger()
        let text = try readUTF8File(file)
        do {
            let count = try await db.withClient(logger: logger) { client in
                try await LetterImporter(mailbox: try await commandMailbox(client: client, logger: logger)).importJSONLines(text)
            }
            print("imported \(count) letters")
        } catch StoreError.importRejected(let lines) {
            var stderr = FileHandle.standardError
            print("import rejected, nothing was loaded; \(lines.count) problem(s):", to: &stderr)
            for line in lines { print("  \(file):\(line)", to: &stderr) }
            throw ExitCode(2)
        }
    }
}

struct Calendar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Maintain the working-day calendar.", subcommands: [CalendarImport.self, CalendarHours.self])
}

struct CalendarImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a year's State Council holiday notice (format: docs/sla.md); recomputes open deadlines.")
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "The notice file.") var file: String

    func run() async throws {
        let logger = db.makeLogger()
        let text = try readUTF8File(file)
        do {
            _ = try CalendarNotice.parse(text)
        } catch {
            throw ValidationError("\(file):\(error.line): \(error.message)")
        }
        let result = try await db.withClient(logger: logger) { client in
            try await CalendarStore(client: client, logger: logger).importNotice(text: text, actor: "cli:calendar-import")
        }
        print("calendar loaded (version \(result.version)); open letters whose deadline moved: \(result.lettersMoved)")
    }
}

struct CalendarHours: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hours",
        abstract: "Set the business hours (办公时间), e.g. 09:00-12:00,13:30-17:30; recomputes open deadlines.")
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "Intervals HH:MM-HH:MM separated by commas.") var hours: String

    func run() async throws {
        let logger = db.makeLogger()
        let parsed: BusinessHours
        do { parsed = try BusinessHours(parsing: hours) } catch { throw ValidationError(error.description) }
        let result = try await db.withClient(logger: logger) { client in
            try await CalendarStore(client: client, logger: logger).setBusinessHours(parsed, actor: "cli:calendar-hours", reason: nil)
        }
        print("business hours \(parsed.text) (version \(result.version)); open letters whose deadline moved: \(result.lettersMoved)")
    }
}

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) { write(Data(string.utf8)) }
}
