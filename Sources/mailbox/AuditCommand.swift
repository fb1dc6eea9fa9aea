import ArgumentParser
import Foundation
import MailboxStore

/// `mailbox audit …`: checks on the tamper-evident trail (docs/audit.md).
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the tamper-evident trail (防篡改留痕) of letter events.",
        subcommands: [AuditVerify.self])
}

/// Exit status: 0 intact, 1 broken (the first break on stderr), 2 the check itself failed;
/// scripts and monitoring can tell a broken trail from an unreachable database.
struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every letter's event hash chain; exit 1 at the first break.")
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let logger = db.makeLogger()
        var stderr = FileHandle.standardError
        let result: AuditVerification
        do {
            result = try await db.withClient(logger: logger) { try await AuditTrail(client: $0, logger: logger).verify() }
        } catch let error as ValidationError {
            throw error
        } catch {
            print("audit verify failed: \(StoreError.describe(error))", to: &stderr)
            throw ExitCode(2)
        }
        if let broken = result.firstBreak {
            print("trail broken: \(broken)", to: &stderr)
            throw ExitCode(1)
        }
        print("trail intact: \(result.letters) letters, \(result.events) events")
    }
}
