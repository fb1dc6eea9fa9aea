import Foundation
import HTTPTypes
import Hummingbird
import MailboxCore
import MailboxStore

/// 一网通查: a citizen looks a letter up with its tracking number and query code. A wrong code
/// and a missing letter get the same answer, so tracking numbers cannot be probed.
struct PublicController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    struct PublicLetter: Encodable {
        var trackingNo: String
        var status: LetterStatus
        var statusName: String
        var category: LetterCategory
        var categoryName: String
        var receivedAt: Date
        var department: String?
        var dueAt: Date?
        var timeline: [TimelineEntry]
        var reply: PublicReply?
    }

    struct TimelineEntry: Encodable {
        var at: Date
        var kind: String
        var descriptionZh: String
        var descriptionEn: String
    }

    struct PublicReply: Encodable {
        var text: String
        var closedAt: Date
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/public/letters/:tracking", use: lookup)
    }

    @Sendable func lookup(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tracking = try context.parameters.require("tracking")
        guard let code = request.headers[.queryCode] ?? request.uri.queryParameters.get("code"), !code.isEmpty else {
            throw Problem.badRequest("query-code-required", "Send the query code in the X-Query-Code header (or ?code=).", field: "code")
        }
        let presented = QueryCode.hash(code)
        let record = tracking.count <= 32 ? try await mailbox.letters.letter(trackingNo: tracking) : nil
        // Compare against a dummy hash when the letter is missing: same work either way.
        let stored = record?.queryCodeHash ?? String(repeating: "0", count: 64)
        guard QueryCode.matches(stored, presented), let record else { throw Problem.notFound }
        let events = try await mailbox.letters.events(letterID: record.id, publicOnly: true)
        let view = PublicLetter(
            trackingNo: record.trackingNo, status: record.status, statusName: record.status.chineseName,
            category: record.content.category, categoryName: record.content.category.chineseName,
            receivedAt: record.receivedAt, department: record.departmentName,
            dueAt: record.status.isFinal ? nil : record.sla.dueAt,
            timeline: events.map(Self.timelineEntry),
            reply: record.status == .closed ? record.reply.flatMap { r in record.closedAt.map { PublicReply(text: r, closedAt: $0) } } : nil)
        return try jsonResponse(view, headers: [.cacheControl: "no-store"])
    }

    static func timelineEntry(_ e: LetterEventRecord) -> TimelineEntry {
        let (zh, en): (String, String) = switch LetterEventKind(rawValue: e.kind) {
        case .received?: ("信件已收到", "Letter received")
        case .imported?: ("信件已收到（历史数据迁移）", "Letter received (migrated from the previous system)")
        case .accepted?: ("信件已受理", "Letter accepted")
        case .rejected?: ("不予受理", "Not accepted for handling")
        case .routed?: ("已转交承办单位办理", "Passed to the responsible department")
        case .transferred?: ("已改派其他承办单位办理", "Passed to another department")
        case .signed?: ("承办单位已签收", "The department has taken the letter on")
        case .merged?: ("与同一事项的来信合并办理", "Merged with another letter on the same matter")
        case .closed?: ("已办结并答复", "Closed with a reply")
        case .slaPaused?: ("等待来信人补充材料，办理时限暂停", "Waiting for your supplementary information; the time limit is paused")
        case .slaResumed?: ("已收到补充材料，继续办理", "Supplementary information received; handling resumed")
        case .slaExtended?: ("经批准延期办理", "Handling time extended (approved)")
        default: ("办理进展", "Progress")
        }
        return TimelineEntry(at: e.occurredAt, kind: e.kind, descriptionZh: zh, descriptionEn: en)
    }
}
