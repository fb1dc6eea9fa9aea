import ArgumentParser
import Foundation
import Logging
import MailboxCore
import MailboxStore
import PostgresNIO
import ServiceLifecycle

/// The calendar for the rollup worker, reloaded only when its version changes.
actor RollupCalendar {
    let store: CalendarStore
    var cached: CalendarStore.Snapshot?

    init(store: CalendarStore) { self.store = store }

    func current() async throws -> (WorkCalendar?, Int64) {
        let version = try await store.version()
        if let cached, cached.version == version { return (cached.calendar, version) }
        let s = try await store.snapshot()
        cached = s
        return (s.calendar, s.version)
    }
}

/// Keeps the report rollups caught up (docs/metrics.md, "Rollups") every MAILBOX_ROLLUP_SECONDS (default 2).
/// Every instance may run it: batches skip letters another instance holds. Reports are exact whatever the lag;
/// the worker only keeps the share recomputed from raw letters small.
struct RollupService: Service {
    let rollups: ReportRollups
    let calendar: RollupCalendar
    let interval: Duration
    let logger: Logger

    init(client: PostgresClient, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) {
        rollups = ReportRollups(client: client, logger: logger)
        calendar = RollupCalendar(store: CalendarStore(client: client, logger: logger))
        let seconds = Double(environment["MAILBOX_ROLLUP_SECONDS"] ?? "").flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? 2
        interval = .milliseconds(Int64(seconds * 1000))
        self.logger = logger
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            do {
                let n = try await rollups.catchUp { try await calendar.current() }
                if n > 0 { logger.debug("report rollups caught up", metadata: ["letters": "\(n)"]) }
            } catch {
                logger.warning("report rollup worker failed", metadata: ["error": "\(StoreError.describe(error))"])
            }
        }
    }
}

/// `mailbox rollup catch-up|verify|rebuild`.
struct RollupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollup", abstract: "Maintain the SLA report rollups (docs/metrics.md, \"Rollups\").",
        subcommands: [RollupCatchUp.self, RollupVerify.self, RollupRebuild.self])
}

struct RollupCatchUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catch-up", abstract: "Recompute every letter changed since the worker last counted it, then exit.")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Parallel workers (each one connection, one batch per transaction).") var workers = 2
    @Option(help: "Letters per transaction.") var batch = 2000

    func run() async throws {
        let logger = db.makeLogger()
        try await rollupCommand {
            try await db.withClient(logger: logger) { client in
                try await Self.catchUp(client: client, logger: logger, workers: workers, batch: batch)
            }
        }
    }

    static func catchUp(client: PostgresClient, logger: Logger, workers: Int, batch: Int) async throws {
        let rollups = ReportRollups(client: client, logger: logger, batchSize: batch)
        let calendar = RollupCalendar(store: CalendarStore(client: client, logger: logger))
        let start = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<max(1, workers) { group.addTask { try await rollups.catchUp { try await calendar.current() } } }
            return try await group.reduce(0, +)
        }
        let seconds = (ContinuousClock.now - start) / .milliseconds(1) / 1000
        let left = try await rollups.dirtyCount()
        print("recomputed \(total) letters in \(String(format: "%.1f", seconds)) s; \(left) left dirty")
    }
}

struct RollupVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that the rollup sums equal the stored per-letter contributions (exit 1 if not).",
        discussion: "With --recount, also recount every letter that is not dirty and compare with its stored contribution.")
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Also recount every letter from its raw columns and events (reads them all).") var recount = false
    @Option(help: "Parallel readers for --recount.") var workers = 2

    func run() async throws {
        let logger = db.makeLogger()
        let (problems, recounted) = try await rollupCommand {
            try await db.withClient(logger: logger) { client in
                let rollups = ReportRollups(client: client, logger: logger, batchSize: 5000)
                let problems = try await rollups.inconsistencies()
                guard recount else { return (problems, nil as (checked: Int, mismatches: [String])?) }
                guard let calendar = try await CalendarStore(client: client, logger: logger).snapshot().calendar else {
                    throw StoreError.calendarIncomplete("no calendar is loaded: the rollups need one")
                }
                return (problems, try await rollups.contributionMismatches(workers: workers, calendar: calendar))
            }
        }
        for p in problems { print("differs: \(p)") }
        for m in recounted?.mismatches ?? [] { print("differs: \(m)") }
        if !problems.isEmpty || !(recounted?.mismatches.isEmpty ?? true) { throw ExitCode(1) }
        print("report rollups consistent" + (recounted.map { "; \($0.checked) letters recounted, all equal to their stored contributions" } ?? ""))
    }
}

struct RollupRebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Recount every letter into the rollups (after a bulk load without triggers, or to repair).")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Parallel workers.") var workers = 2
    @Option(help: "Letter ids per transaction.") var batch = 5000

    func run() async throws {
        let logger = db.makeLogger()
        try await rollupCommand {
            try await db.withClient(logger: logger) { client in
                let calendar = RollupCalendar(store: CalendarStore(client: client, logger: logger))
                let rollups = ReportRollups(client: client, logger: logger, batchSize: batch)
                let start = ContinuousClock.now
                let n = try await rollups.rebuild(workers: workers) { try await calendar.current() }
                let seconds = (ContinuousClock.now - start) / .milliseconds(1) / 1000
                print("recounted \(n) letters in \(String(format: "%.1f", seconds)) s (\(String(format: "%.0f", Double(n) / max(seconds, 0.001))) letters/s)")
            }
        }
    }
}

/// Runs a rollup command, printing a database error in full (PostgresNIO's own description hides it).
func rollupCommand<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("mailbox rollup: \(StoreError.describe(error))\n".utf8))
        throw ExitCode(1)
    }
}
