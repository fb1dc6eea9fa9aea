import ArgumentParser
import Foundation
import MailboxCore

/// Benchmarks of the pure core whose figures go to docs/performance.md (the intake benchmark is
/// deploy/bench-intake.sh: wrk against the service, pgbench against the same server).
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailbox-bench", abstract: "Mailbox benchmarks.", subcommands: [SLA.self, WorkListSQLCommand.self, CheckTextBenchmark.self, OutboxBenchmark.self, ReportsBenchmark.self])
}

struct SLA: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deadline computations per second: O(1) ordinals vs a day-by-day loop (15 working days).")
    @Option(help: "Seconds per measurement.") var seconds: Double = 3
    @Option(help: "Calendar file.") var calendar = "sql/migrations/0003_cn_calendar_2019_2026.calendar"

    func run() throws {
        let text = try String(contentsOfFile: calendar, encoding: .utf8)
        for line in SLABenchmark.run(seconds: seconds, calendarText: text) { print(line) }
    }
}
