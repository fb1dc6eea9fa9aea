import ArgumentParser
import Foundation
import MailboxAPI
import MailboxCore
import MailboxStore

/// `mailbox report --quarter 2020Q1`: the paragraph the district publishes each quarter, with
/// the per-department table (docs/metrics.md).
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The quarterly SLA summary: 共收到公众来信N件，已办结N件，正在办理中N件 … (docs/metrics.md).")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "A quarter, e.g. 2020Q1.") var quarter: String?
    @Option(help: "First receipt date (YYYY-MM-DD, Beijing), instead of --quarter.") var from: String?
    @Option(help: "Last receipt date (YYYY-MM-DD, Beijing), instead of --quarter.") var to: String?
    @Option(help: "The report's instant (RFC 3339; default: now).") var asOf: String?
    @Option(help: "text, json or csv.") var format = "text"

    func run() async throws {
        let period: ReportPeriod
        if let quarter {
            guard let p = ReportPeriod(quarter: quarter) else { throw ValidationError("--quarter must be YYYYQn, e.g. 2020Q1") }
            period = p
        } else if let from, let to, let f = LocalDate(iso: from), let t = LocalDate(iso: to), f <= t {
            period = ReportPeriod(from: f, to: t)
        } else {
            throw ValidationError("give --quarter, or --from and --to (YYYY-MM-DD, from ≤ to)")
        }
        guard let output = QuarterlyReport.Format(rawValue: format) else { throw ValidationError("--format must be text, json or csv") }
        let instant: Date
        if let asOf {
            guard let t = MailboxJSON.parseTimestamp(asOf) else { throw ValidationError("--as-of must be an RFC 3339 time") }
            instant = t
        } else {
            instant = Date()
        }
        let logger = db.makeLogger()
        let bytes = try await db.withClient(logger: logger) { client in
            try await QuarterlyReport.render(mailbox: try await commandMailbox(client: client, logger: logger), period: period,
                                             asOf: instant, format: output)
        }
        FileHandle.standardOutput.write(Data(bytes))
    }
}
