import ArgumentParser
import Foundation
import Logging
import MailboxAPI
import MailboxCore
import MailboxStore
import PostgresNIO

/// SLA reports at scale (docs/performance.md): the quarterly report grouped by department from the rollups,
/// p50/p99 over repeated runs, and in the same run the same report recomputed from the raw letters; both must
/// agree exactly, and the ratio of their medians is printed.
struct ReportsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports", abstract: "Quarterly report by department: rollups vs raw letters (p50/p99, ratio).")
    @Option(help: "PostgreSQL URL of a migrated database with letters and caught-up rollups.") var databaseURL: String
    @Option(help: "Quarters to report, e.g. 2025Q1 (repeatable; default: 2025Q1).") var quarter: [String] = []
    @Option(help: "Timed runs per quarter from the rollups.") var runs = 50
    @Option(help: "Timed runs per quarter from the raw letters.") var rawRuns = 3
    @Option(help: "The reports' as_of (RFC 3339; default: now).") var asOf: String?

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let url = try DatabaseURL(parsing: databaseURL)
        // The raw computation of a quarter reads hundreds of thousands of letters: no 30 s limit here.
        let client = PostgresClient(configuration: url.clientConfiguration(statementTimeout: .seconds(3600), maxConnections: 4),
                                    backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await measure(client, logger)
        }
    }

    /// `SLAReport.compute` or `SLAReport.computeRaw`.
    typealias Computation = (PostgresReportStore, LocalDate, LocalDate, Date, ReportGrouping?, String?, WorkCalendar)
        async throws -> SLAReport

    static func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    func measure(_ client: PostgresClient, _ logger: Logger) async throws {
        let snapshot = try await CalendarStore(client: client, logger: logger).snapshot()
        guard let calendar = snapshot.calendar else { throw ValidationError("no calendar in the database") }
        let store = PostgresReportStore(client: client, logger: logger)
        let instant = try asOf.map { s in
            guard let t = MailboxJSON.parseTimestamp(s) else { throw ValidationError("--as-of must be RFC 3339") }
            return t
        } ?? Date()
        var letters: Int64 = 0
        for try await n in try await client.query("SELECT count(*) FROM letters", logger: logger).decode(Int64.self) { letters = n }
        print("letters in the database: \(letters)")
        for q in quarter.isEmpty ? ["2025Q1"] : quarter {
            guard let period = ReportPeriod(quarter: q) else { throw ValidationError("bad quarter \(q)") }
            /// `n` timed runs of one way of computing the report: the last report and the sorted times (ms).
            func timedRuns(_ n: Int, _ compute: Computation) async throws -> (SLAReport, [Double]) {
                var times: [Double] = []
                var report: SLAReport?
                for _ in 0..<max(1, n) {
                    let start = ContinuousClock.now
                    report = try await compute(store, period.from, period.to, instant, .department, nil, calendar)
                    times.append(Self.ms(ContinuousClock.now - start))
                }
                return (report!, times.sorted())
            }
            let (fastReport, fast) = try await timedRuns(runs, SLAReport.compute)
            let (rawReport, raw) = try await timedRuns(rawRuns, SLAReport.computeRaw)
            let same = fastReport.totals == rawReport.totals && fastReport.groups == rawReport.groups
            let f50 = Self.percentile(fast, 0.5)
            let r50 = Self.percentile(raw, 0.5)
            print("""
                \(q) by department: \(fastReport.totals.received) letters received, \(fastReport.groups.count) departments, \
                \(fastReport.totals.open) open at as_of
                  rollups: p50 \(String(format: "%.1f", f50)) ms  p99 \(String(format: "%.1f", Self.percentile(fast, 0.99))) ms  \
                (\(fast.count) runs)
                  raw:     p50 \(String(format: "%.1f", r50)) ms  p99 \(String(format: "%.1f", Self.percentile(raw, 0.99))) ms  \
                (\(raw.count) runs)
                  raw ÷ rollups (p50): \(String(format: "%.0f", r50 / f50))×   figures identical: \(same ? "yes" : "NO")
                """)
            if !same { throw ExitCode(1) }
        }
    }
}
