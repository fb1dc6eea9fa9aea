import Foundation
import Hummingbird
import MailboxCore
import MailboxStore
import NIOCore

/// Admin operations: the historical import (the same code path as `mailbox import letters`).
struct AdminController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    struct ImportResult: Encodable { var imported: Int }

    func addRoutes(to routes: StaffRoutes) {
        routes.on(.post, "/v1/admin/letters/import", .importLetters, use: importLetters)
    }

    @Sendable func importLetters(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await readBody(request, limit: BodyLimits.importFile)
        let text = String(buffer: body)
        let count = try await LetterImporter(mailbox: mailbox).importJSONLines(text)
        context.logger.notice("letters imported", metadata: ["count": "\(count)"])
        return try jsonResponse(ImportResult(imported: count))
    }
}

/// 历史数据导入: validates every line of a JSON Lines file, then loads all letters in one
/// transaction, or none. All bad lines are reported with their line numbers in one pass.
public struct LetterImporter<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore>: Sendable {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    public init(mailbox: Mailbox<Letters, Calendars, Staff>) { self.mailbox = mailbox }

    public func importJSONLines(_ text: String) async throws -> Int {
        let now = Date()
        let decoder = MailboxJSON.decoder()
        var problems: [ImportLineError] = []
        var letters: [(line: Int, letter: NewLetter)] = []
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            do {
                let parsed: LetterImportLine
                do {
                    parsed = try decoder.decode(LetterImportLine.self, from: Data(line.utf8))
                } catch let e as DecodingError {
                    let p = problem(for: e)
                    if let errors = p.errors {
                        throw ValidationFailure(errors)
                    }
                    problems.append(.init(line: lineNumber, field: nil, message: "not a JSON object of a letter (\(p.type.split(separator: "/").last ?? "invalid-json"))"))
                    continue
                }
                let imported = try parsed.validated(now: now)
                letters.append((lineNumber, newLetter(imported, now: now)))
            } catch let failure as ValidationFailure {
                problems += failure.errors.map { ImportLineError(line: lineNumber, field: $0.field, message: $0.message) }
            }
        }
        if !problems.isEmpty { throw StoreError.importRejected(problems) }
        guard !letters.isEmpty else {
            throw StoreError.importRejected([.init(line: 0, field: nil, message: "the file has no letters")])
        }
        return try await mailbox.letters.importLetters(letters)
    }

    func newLetter(_ l: ImportedLetter, now: Date) -> NewLetter {
        var (_, sla) = mailbox.startClock(category: l.content.category, channel: l.channel, departmentID: l.departmentID,
                                          receivedAt: l.receivedAt, closedAt: l.closedAt, now: now)
        if l.status == .rejected { sla.state = .stopped }
        var events = [NewEvent(kind: .imported, occurredAt: l.receivedAt, actor: "import",
                               dataJSON: MailboxJSON.object(["channel": l.channel.rawValue, "category": l.content.category.rawValue]))]
        if let closedAt = l.closedAt {
            events.append(NewEvent(kind: .closed, occurredAt: closedAt, actor: "import"))
        }
        var letter = NewLetter(
            content: l.content, channel: l.channel, channelRef: l.channelRef, intakeDigest: nil,
            citizenKey: citizenKey(phone: l.content.phone),
            // The previous system's codes are not migrated: a random, unknown code.
            queryCodeHash: QueryCode.hash(QueryCode.random()), receivedAt: l.receivedAt, sla: sla, events: events)
        letter.status = l.status
        letter.departmentID = l.departmentID
        letter.trackingNo = l.trackingNo
        letter.closedAt = l.closedAt
        letter.reply = l.reply
        letter.imported = true
        return letter
    }
}
