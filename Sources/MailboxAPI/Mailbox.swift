public import Foundation
public import Logging
public import MailboxCore
public import MailboxStore
import Synchronization

/// The calendar operations the HTTP layer needs; CalendarStore implements them on PostgreSQL.
public protocol CalendarRepository: Sendable {
    func snapshot() async throws -> CalendarStore.Snapshot
    func version() async throws -> Int64
    func importNotice(text: String, actor: String) async throws -> CalendarStore.ChangeResult
    func changeDays(_ days: [CalendarDay], actor: String, reason: String?) async throws -> CalendarStore.ChangeResult
    func setBusinessHours(_ hours: BusinessHours, actor: String, reason: String?) async throws -> CalendarStore.ChangeResult
    func upsertPolicy(_ policy: SLAPolicy) async throws
}

extension CalendarStore: CalendarRepository {}

/// Settings of the HTTP layer (docs/configuration.md).
public struct APIConfiguration: Sendable {
    /// MAILBOX_APP_WEBHOOK_SECRET; without it the app webhook answers 503.
    public var webhookSecret: String?
    public var webhookWindowSeconds: Int
    /// docs/openapi.yaml, served at /openapi.yaml.
    public var openAPIDocument: String?
    /// Staff sign-in: session lifetime, bcrypt cost and login throttling.
    public var auth: AuthSettings
    /// MAILBOX_REOPEN_WORKING_DAYS: an unsatisfied rating within this many working days after
    /// the release reopens the letter (重办), once.
    public var reopenWindowWorkingDays: Int
    /// Per-client limits of the public endpoints (none unless configured; the executable sets its defaults).
    public var publicLimits: PublicLimits

    public init(webhookSecret: String? = nil, webhookWindowSeconds: Int = 300, openAPIDocument: String? = nil,
                auth: AuthSettings = AuthSettings(), reopenWindowWorkingDays: Int = 10, publicLimits: PublicLimits = PublicLimits()) {
        self.publicLimits = publicLimits
        self.webhookSecret = webhookSecret
        self.webhookWindowSeconds = webhookWindowSeconds
        self.openAPIDocument = openAPIDocument
        self.auth = auth
        self.reopenWindowWorkingDays = reopenWindowWorkingDays
    }
}

/// Staff sign-in settings (docs/configuration.md).
public struct AuthSettings: Sendable {
    /// MAILBOX_SESSION_HOURS: a token's lifetime.
    public var sessionLifetime: Duration
    /// MAILBOX_BCRYPT_COST: bcrypt work factor of new password hashes (4–31).
    public var bcryptCost: UInt8
    /// Failed logins allowed per username, and per client address, within `failureWindow`.
    public var maxFailuresPerUser: Int
    public var maxFailuresPerAddress: Int
    public var failureWindow: Duration

    public init(sessionLifetime: Duration = .seconds(12 * 3600), bcryptCost: UInt8 = 12, maxFailuresPerUser: Int = 5,
                maxFailuresPerAddress: Int = 20, failureWindow: Duration = .seconds(15 * 60)) {
        self.sessionLifetime = sessionLifetime
        self.bcryptCost = bcryptCost
        self.maxFailuresPerUser = maxFailuresPerUser
        self.maxFailuresPerAddress = maxFailuresPerAddress
        self.failureWindow = failureWindow
    }
}

/// The routing rules intake applies, cached like the calendar: reloaded after a change this
/// instance makes and when the stored version moves (another instance changed them).
public final class RoutingCache: Sendable {
    private let state = Mutex<(version: Int64, rules: [RoutingRule])>((-1, []))

    public init() {}

    public var rules: [RoutingRule] { state.withLock { $0.rules } }
    public var version: Int64 { state.withLock { $0.version } }

    public func replace(version: Int64, rules: [RoutingRule]) {
        state.withLock { $0 = (version, rules) }
    }
}

/// The 错敏字 checker built from the stored lists, cached like the routing rules: rebuilt when
/// the stored version moves (a change here or on another instance).
public final class CheckerCache: Sendable {
    private let state = Mutex<(version: Int64, checker: TextChecker?, lists: [String])>((-1, nil, []))

    public init() {}

    public var version: Int64 { state.withLock { $0.version } }
    /// The checker and the names of the lists it was built from, read together.
    public var current: (checker: TextChecker, lists: [String])? {
        state.withLock { s in s.checker.map { ($0, s.lists) } }
    }

    public func replace(version: Int64, checker: TextChecker, lists: [String]) {
        state.withLock { $0 = (version, checker, lists) }
    }
}

/// The calendar and policies the service computes deadlines with, cached in memory: intake
/// must not read 2,900 calendar rows per letter. Replaced after every change this instance
/// makes, and refreshed when the stored version moves (another instance changed it).
public final class CalendarCache: Sendable {
    private let state: Mutex<CalendarStore.Snapshot>

    public init(_ snapshot: CalendarStore.Snapshot) {
        state = Mutex(snapshot)
    }

    public var current: CalendarStore.Snapshot { state.withLock { $0 } }

    public func replace(_ snapshot: CalendarStore.Snapshot) {
        state.withLock { $0 = snapshot }
    }
}

/// Everything a request handler needs, injected by protocol (tests and the executable build it).
public struct Mailbox<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore>: Sendable {
    public let letters: Letters
    public let calendars: Calendars
    public let staff: Staff
    /// Word lists, review steps, the app's outbox and disclosure.
    public let replies: any ReplyStore
    /// Letters as SLA reports count them.
    public let reports: any ReportStore
    public let checkers = CheckerCache()
    public let cache: CalendarCache
    public let routing: RoutingCache
    public let sessions: SessionCache
    /// PostgreSQL reachable, as the last probe found (requests answer 503 at once while it is not).
    public let database: DatabaseAvailability
    /// Per-instance token buckets of the public limits (clients, and wrong query codes per tracking number).
    public let limiter = RateLimiter()
    public let config: APIConfiguration
    let verifier: WebhookVerifier?

    public init(letters: Letters, calendars: Calendars, staff: Staff, replies: any ReplyStore, reports: any ReportStore,
                cache: CalendarCache,
                routing: RoutingCache = RoutingCache(), sessions: SessionCache = SessionCache(),
                database: DatabaseAvailability = DatabaseAvailability(), config: APIConfiguration) {
        self.database = database
        self.letters = letters
        self.calendars = calendars
        self.staff = staff
        self.replies = replies
        self.reports = reports
        self.cache = cache
        self.routing = routing
        self.sessions = sessions
        self.config = config
        verifier = config.webhookSecret.map { WebhookVerifier(secret: $0, windowSeconds: config.webhookWindowSeconds) }
    }

    /// Loads the routing rules into the cache if the stored version differs from the cached one.
    public func refreshRoutingIfStale() async throws {
        let version = try await staff.routingRulesVersion()
        if version != routing.version { routing.replace(version: version, rules: try await staff.routingRules()) }
    }

    /// The 错敏字 checker of the stored lists, rebuilt first if they changed.
    public func currentChecker() async throws -> TextChecker {
        try await currentCheckerAndLists().checker
    }

    /// The current checker with the names of the lists it holds.
    public func currentCheckerAndLists() async throws -> (checker: TextChecker, lists: [String]) {
        let version = try await replies.wordListsVersion()
        if version == checkers.version, let current = checkers.current { return current }
        let stored = try await replies.wordLists()
        let checker = try TextChecker(lists: stored.map(\.wordList))
        checkers.replace(version: version, checker: checker, lists: stored.map(\.name))
        return (checker, stored.map(\.name))
    }

    /// Loads the stored calendar and policies into the cache (after a change, and at start-up).
    public func reloadCalendar() async throws {
        cache.replace(try await calendars.snapshot())
    }

    /// Loads the calendar into the cache if the stored version differs from the cached one.
    public func refreshCalendarIfStale() async throws {
        if try await calendars.version() != cache.current.version { try await reloadCalendar() }
    }

    /// The policy for a letter: configured ones first, the documented defaults otherwise.
    func policy(category: LetterCategory, departmentID: String?, channel: LetterChannel) -> SLAPolicy {
        let configured = cache.current.policies
        return SLAPolicy.select(from: configured, category: category, departmentID: departmentID, channel: channel)
            ?? SLAPolicy.select(from: SLAPolicy.defaults, category: category, departmentID: nil, channel: channel)!
    }

    /// Starts the SLA clock of a letter received at `receivedAt`.
    func startClock(category: LetterCategory, channel: LetterChannel, departmentID: String? = nil,
                    receivedAt: Date, closedAt: Date? = nil, now: Date) -> (SLAClock, SLAColumns) {
        let p = policy(category: category, departmentID: departmentID, channel: channel)
        let clock = SLAClock(receivedAt: receivedAt, rule: p.rule, limitWorkingDays: p.limitWorkingDays,
                             warningRatio: p.warningRatio, pauses: [], extensions: [], closedAt: closedAt)
        let snapshot = cache.current
        return (clock, SLAColumns.evaluate(clock, on: snapshot.calendar, provisional: snapshot.provisional, now: now))
    }
}
