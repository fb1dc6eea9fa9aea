import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MailboxAPI
import MailboxCore
import MailboxStore
import NIOCore
import PostgresNIO
import Testing

/// Integration tests run against the real PostgreSQL that deploy/test.sh starts
/// (MAILBOX_TEST_DATABASE_URL). Each test gets its own database, copied from a template that
/// the migrations built once per run.
enum TestDatabase {
    static let logger: Logger = {
        var l = Logger(label: "test")
        l.logLevel = .warning
        return l
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let migrationsDirectory = repositoryRoot.appendingPathComponent("sql/migrations")

    static var serverURL: DatabaseURL {
        get throws {
            guard let raw = ProcessInfo.processInfo.environment["MAILBOX_TEST_DATABASE_URL"] else {
                throw TestSetupError("MAILBOX_TEST_DATABASE_URL is unset: run the suite with deploy/test.sh, which starts PostgreSQL")
            }
            return try DatabaseURL(parsing: raw)
        }
    }

    /// A client on the server's maintenance database, alive for the whole test run.
    static let admin: Task<PostgresClient, any Error> = Task {
        let client = PostgresClient(configuration: try serverURL.clientConfiguration(maxConnections: 4), backgroundLogger: logger)
        Task.detached { await client.run() }
        return client
    }

    /// Built once: a database with every migration applied.
    static let template: Task<String, any Error> = Task {
        let name = "mailbox_template_\(ProcessInfo.processInfo.processIdentifier)"
        let admin = try await TestDatabase.admin.value
        try await admin.query("DROP DATABASE IF EXISTS \(unescaped: name)", logger: logger)
        try await admin.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        let client = PostgresClient(configuration: try serverURL.with(database: name).clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await Migrator(directory: migrationsDirectory).migrate(client: client, logger: logger)
            let demo = try String(contentsOf: repositoryRoot.appendingPathComponent("sql/demo/departments.sql"), encoding: .utf8)
            try await client.withConnection { try await SQLScript.run(demo, on: $0, logger: logger) }
            group.cancelAll()
        }
        return name
    }

    /// Runs `body` with a fresh, migrated database of its own.
    static func withDatabase<T>(migrated: Bool = true, _ body: (PostgresClient, DatabaseURL) async throws -> T) async throws -> T {
        let admin = try await admin.value
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        if migrated {
            let template = try await template.value
            try await admin.query("CREATE DATABASE \(unescaped: String(name)) TEMPLATE \(unescaped: template)", logger: logger)
        } else {
            try await admin.query("CREATE DATABASE \(unescaped: String(name))", logger: logger)
        }
        let url = try serverURL.with(database: String(name))
        let client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        let result: Result<T, any Error>
        do {
            result = .success(try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                return try await body(client, url)
            })
        } catch {
            result = .failure(error)
        }
        _ = try? await admin.query("DROP DATABASE IF EXISTS \(unescaped: String(name)) WITH (FORCE)", logger: logger)
        return try result.get()
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The service wired as in production (PostgreSQL stores), driven through its router.
struct TestApp {
    static let webhookSecret = "test-webhook-secret"
    /// Sessions every test app starts with: an admin and a dispatcher of the mailbox centre.
    static let adminToken = "test-admin-token"
    static let dispatcherToken = "test-dispatcher-token"
    /// bcrypt's lowest cost keeps the tests quick; production uses MAILBOX_BCRYPT_COST (12).
    static let auth = AuthSettings(bcryptCost: 4)

    let db: PostgresClient
    let mailbox: Mailbox<PostgresLetterStore, CalendarStore, PostgresStaffStore>
    let staffEndpoints: [StaffEndpoint]

    static func run(
        config: APIConfiguration = APIConfiguration(webhookSecret: webhookSecret, openAPIDocument: "openapi: 3.1.0\n", auth: auth),
        logger: Logger = TestDatabase.logger,
        _ body: @Sendable (TestApp, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase { client, _ in
            let calendars = CalendarStore(client: client, logger: logger)
            let mailbox = Mailbox(letters: PostgresLetterStore(client: client, logger: logger), calendars: calendars,
                                  staff: PostgresStaffStore(client: client, logger: logger),
                                  replies: PostgresReplyStore(client: client, logger: logger),
                              reports: PostgresReportStore(client: client, logger: logger),
                                  cache: CalendarCache(try await calendars.snapshot()), config: config)
            let (router, endpoints) = buildRouterAndEndpoints(mailbox: mailbox, metrics: { "# metrics\n" })
            let app = Application(router: router, logger: logger)
            let testApp = TestApp(db: client, mailbox: mailbox, staffEndpoints: endpoints)
            _ = try await testApp.session(.admin, username: "admin", token: adminToken)
            _ = try await testApp.session(.dispatcher, username: "disp", token: dispatcherToken)
            try await app.test(.router) { http in try await body(testApp, http) }
        }
    }

    /// Creates an account (password "correct horse battery") and a live session with `token`.
    @discardableResult
    func session(_ role: StaffRole, department: String? = nil, username: String? = nil, token: String? = nil) async throws -> String {
        let name = username ?? "\(role.rawValue)-\(department ?? "x")-\(UInt32.random(in: 0...UInt32.max))"
        let hash = try await StaffCredentials.hash("correct horse battery", cost: 4)
        let account = try await mailbox.staff.createAccount(username: name, displayName: nil, role: role, departmentID: department,
                                                            passwordHash: hash, actor: "test")
        let t = token ?? StaffCredentials.newToken()
        try await mailbox.staff.createSession(userID: account.id, tokenHash: StaffCredentials.tokenHash(t),
                                              expiresAt: Date().addingTimeInterval(3600))
        return t
    }

    func count(_ table: String) async throws -> Int {
        for try await n in try await db.query("SELECT count(*)::int8 FROM \(unescaped: table)", logger: TestDatabase.logger).decode(Int64.self) {
            return Int(n)
        }
        return -1
    }
}

/// A valid letter body; tests change one field at a time.
func letterJSON(_ overrides: [String: Any?] = [:]) -> [String: Any] {
    var object: [String: Any] = [
        "category": "consultation",
        "title": "咨询小区供暖时间",
        "body": "请问今年西田各庄镇的集中供暖什么时候开始？",
        "writer_name": "张三",
        "phone": "13800138000",
        "publish_consent": false,
    ]
    for (key, value) in overrides {
        if let value { object[key] = value } else { object.removeValue(forKey: key) }
    }
    return object
}

func jsonBuffer(_ object: Any) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
}

func decodeObject(_ buffer: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] ?? [:]
}

extension TestClientProtocol {
    /// A webhook delivery signed like the app backend does (docs/app-webhook.md).
    func deliver(_ body: ByteBuffer, secret: String = TestApp.webhookSecret, timestamp: Date = Date(),
                 signature: String? = nil) async throws -> TestResponse {
        let ts = String(Int(timestamp.timeIntervalSince1970))
        let sig = signature ?? WebhookVerifier.sign(secret: secret, timestamp: ts, body: Data(buffer: body))
        return try await execute(uri: "/v1/intake/app", method: .post,
                                 headers: [.contentType: "application/json", .init("X-Mailbox-Timestamp")!: ts,
                                           .init("X-Mailbox-Signature")!: sig],
                                 body: body)
    }

    func postLetter(_ object: Any) async throws -> TestResponse {
        try await execute(uri: "/v1/letters", method: .post, headers: [.contentType: "application/json"], body: jsonBuffer(object))
    }

    /// A staff request: the admin's session unless `token` says otherwise; `ifMatch` is the version read.
    func staff(_ uri: String, method: HTTPRequest.Method = .get, body: Any? = nil, token: String = TestApp.adminToken,
               ifMatch: Int? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let ifMatch { headers[.ifMatch] = "\"\(ifMatch)\"" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map(jsonBuffer))
    }

    /// Reads a letter (as `token`) and takes an action with its version as If-Match.
    func act(_ tracking: String, _ action: String, _ body: [String: Any] = [:], token: String) async throws -> TestResponse {
        let current = try await staff("/v1/letters/\(tracking)", token: token)
        let version = (decodeObject(current.body)["version"] as? Int) ?? 0
        return try await staff("/v1/letters/\(tracking)/\(action)", method: .post, body: body, token: token, ifMatch: version)
    }
}
