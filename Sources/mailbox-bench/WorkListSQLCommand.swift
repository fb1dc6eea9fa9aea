import ArgumentParser
import Foundation
import MailboxAPI
import MailboxCore
import MailboxStore

/// Prints the SQL statement the service runs for a work-list query string, with its parameters
/// written in: deploy/bench-worklist.sh hands it to pgbench, so both run the same statement.
struct WorkListSQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worklist-sql", abstract: "The SQL of GET /v1/letters?<query> for a scope, parameters inlined.")
    @Option(help: "The query string, e.g. 'status=assigned,signed&sort=due&limit=50'.") var query: String
    @Option(help: "all, or department:<id> (a handler's or lead's scope).") var scope = "all"

    func run() throws {
        let q = try workListQuery(queryString: query)
        let s: LetterScope = scope == "all" ? .all : .department(String(scope.dropFirst("department:".count)))
        print(WorkListSQL(q, scope: s).literalSQL.replacingOccurrences(of: "\n", with: " ") + ";")
    }
}
