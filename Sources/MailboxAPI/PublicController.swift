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
        /// 办理期限为临时计算: the deadline assumes Monday–Friday working days for a year whose holiday notice is
        /// not loaded yet; it may move when it is. Present with `due_at`.
        var dueAtProvisional: Bool?
        var timeline: [TimelineEntry]
        /// The released reply only: drafts never leave the staff.
        var reply: PublicReply?
        var ratings: [PublicRating]
        /// 评价: present while the released reply can be rated.
        var ratingForm: RatingForm?
    }

    struct PublicRating: Encodable {
        var round: Int
        var satisfaction: LetterRating.Satisfaction
        var resolved: Bool
        var ratedAt: Date
    }

    /// What a client needs to draw the rating form.
    struct RatingForm: Encodable {
        var action: String
        var round: Int
        var satisfaction: [Option]
        var resolved: [Option]
        var commentMaxLength: Int
        struct Option: Encodable {
            var value: String
            var label: String
        }
    }

    struct RatingBody: Decodable {
        var satisfaction: String?
        var resolved: Bool?
        var comment: String?
        var appLetterId: String?
        enum CodingKeys: String, CodingKey { case satisfaction, resolved, comment, appLetterId = "app_letter_id" }
    }

    /// 公开: a released reply as published, personal data masked.
    struct DisclosedReply: Encodable {
        var trackingNo: String
        var category: LetterCategory
        var categoryName: String
        var departmentId: String?
        var department: String?
        var title: String
        var body: String
        var reply: String
        var receivedAt: Date
        var releasedAt: Date
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
        router.post("/v1/public/letters/:tracking/rating", use: ratePortal)
        router.get("/v1/public/replies", use: disclosedReplies)
        router.get("/v1/public/replies/:tracking", use: disclosedReply)
    }

    /// The letter behind a tracking number and query code; a wrong code answers like a missing letter.
    func lookedUp(_ request: Request, _ context: AppRequestContext) async throws -> LetterRecord {
        let tracking = try context.parameters.require("tracking")
        guard let code = request.headers[.queryCode] ?? request.uri.queryParameters.get("code"), !code.isEmpty else {
            // The code is the letter's credential (the queryCodeHeader / queryCodeQuery security schemes).
            var problem = Problem(.unauthorized, type: "query-code-required", title: "Query code required",
                                  detail: "Send the query code in the X-Query-Code header (or ?code=).", field: "code")
            problem.headers[.wwwAuthenticate] = "X-Query-Code"
            throw problem
        }
        // Wrong codes are counted per tracking number, existing or not (so the answer reveals nothing): past the
        // limit the number answers 429 whatever code comes, until the bucket refills.
        let guesses = mailbox.config.publicLimits.codeGuesses
        if let guesses, let wait = mailbox.limiter.exhausted("code \(tracking)", limit: guesses) {
            context.logger.notice("query-code guessing throttled")
            throw RateLimiter.tooMany("query code", retryAfter: wait)
        }
        let presented = QueryCode.hash(code)
        let record = tracking.count <= 32 ? try await mailbox.letters.letter(trackingNo: tracking) : nil
        // Compare against a dummy hash when the letter is missing: same work either way.
        let stored = record?.queryCodeHash ?? String(repeating: "0", count: 64)
        guard QueryCode.matches(stored, presented), let record else {
            if let guesses { _ = mailbox.limiter.take("code \(tracking)", limit: guesses) }
            throw Problem.notFound
        }
        return record
    }

    @Sendable func lookup(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await lookupResponse(try await lookedUp(request, context))
    }

    func lookupResponse(_ record: LetterRecord, status: HTTPResponse.Status = .ok) async throws -> Response {
        let ratings = try await mailbox.letters.ratings(letterID: record.id)
        let canRate = Self.rateable(record) && !ratings.contains { $0.round == record.releaseRound }
        let events = try await mailbox.letters.events(letterID: record.id, publicOnly: true)
        let view = PublicLetter(
            trackingNo: record.trackingNo, status: record.status, statusName: record.status.chineseName,
            category: record.content.category, categoryName: record.content.category.chineseName,
            receivedAt: record.receivedAt, department: record.departmentName,
            dueAt: record.status.isFinal ? nil : record.sla.dueAt,
            dueAtProvisional: record.status.isFinal || record.sla.dueAt == nil ? nil : record.sla.provisional,
            timeline: events.map(Self.timelineEntry),
            reply: record.status == .closed ? record.reply.flatMap { r in record.closedAt.map { PublicReply(text: r, closedAt: $0) } } : nil,
            ratings: ratings.map { PublicRating(round: $0.round, satisfaction: $0.rating.satisfaction, resolved: $0.rating.resolved, ratedAt: $0.ratedAt) },
            ratingForm: canRate ? Self.form(record) : nil)
        return try jsonResponse(view, status: status, headers: [.cacheControl: "no-store"])
    }

    static func rateable(_ r: LetterRecord) -> Bool { r.status == .closed && r.releaseRound > 0 && r.reply != nil }

    static func form(_ r: LetterRecord) -> RatingForm {
        RatingForm(
            action: "/v1/public/letters/\(r.trackingNo)/rating", round: r.releaseRound,
            satisfaction: LetterRating.Satisfaction.allCases.map { .init(value: $0.rawValue, label: $0.chineseName) },
            resolved: [.init(value: "true", label: "已解决"), .init(value: "false", label: "未解决")],
            commentMaxLength: 500)
    }

    // MARK: 评价 and 重办

    /// Validates a rating body: `satisfaction` (the English value or its Chinese label), `resolved`, `comment`.
    static func rating(_ b: RatingBody, channel: LetterChannel) throws -> LetterRating {
        var v = FieldValidator()
        var satisfaction: LetterRating.Satisfaction?
        if let s = b.satisfaction {
            satisfaction = LetterRating.Satisfaction(rawValue: s) ?? LetterRating.Satisfaction.allCases.first { $0.chineseName == s }
            if satisfaction == nil { v.fail("satisfaction", "must be satisfied (满意), basically_satisfied (基本满意) or dissatisfied (不满意)") }
        } else {
            v.fail("satisfaction", "is required")
        }
        if b.resolved == nil { v.fail("resolved", "is required (true: 已解决, false: 未解决)") }
        let comment = v.optionalText(b.comment, "comment", limit: 500, multiline: true)
        try v.finish()
        return LetterRating(satisfaction: satisfaction!, resolved: b.resolved!, comment: comment, channel: channel)
    }

    /// Records the rating of the current release; 不满意 within the window reopens the letter once
    /// to the same department with a new clock. A repeated identical rating is accepted as is.
    func rate(_ record: LetterRecord, _ rating: LetterRating) async throws -> LetterRecord {
        var record = record
        for _ in 0..<3 {
            guard Self.rateable(record) else {
                throw Problem(.conflict, type: "nothing-to-rate", title: "Nothing to rate",
                              detail: "Only a released reply can be rated; the letter is \(record.status.chineseName).")
            }
            if let earlier = try await mailbox.letters.ratings(letterID: record.id).first(where: { $0.round == record.releaseRound }) {
                let same = earlier.rating.satisfaction == rating.satisfaction && earlier.rating.resolved == rating.resolved
                    && earlier.rating.comment == rating.comment
                if same { return record }
                throw Problem(.conflict, type: "already-rated", title: "Already rated",
                              detail: "This reply was rated on \(MailboxJSON.formatTimestamp(earlier.ratedAt)); a reply is rated once.")
            }
            let now = Date()
            var reopen: (LetterTransition, SLAColumns)?
            if rating.satisfaction == .dissatisfied, withinReopenWindow(record, now: now) {
                let (clock, columns) = mailbox.startClock(category: record.content.category, channel: record.channel,
                                                          departmentID: record.departmentID, receivedAt: now, now: now)
                if let t = LetterWorkflow.reopen(record.facts, clock: clock) { reopen = (t, columns) }
            }
            do {
                return try await mailbox.letters.rate(letterID: record.id, expectedVersion: record.version, round: record.releaseRound,
                                                      rating, reopen: reopen, at: now)
            } catch StoreError.staleVersion {
                // Changed meanwhile (a withhold, the deadline watch): decide again on the new version.
                guard let fresh = try await mailbox.letters.letter(trackingNo: record.trackingNo) else { throw Problem.notFound }
                record = fresh
            }
        }
        throw Problem(.conflict, type: "busy", title: "The letter is changing", detail: "Try again in a moment.")
    }

    /// Whether `now` is within MAILBOX_REOPEN_WORKING_DAYS working days after the release (the
    /// release day not counted). Without a calendar covering the dates, the rating counts as in time.
    func withinReopenWindow(_ r: LetterRecord, now: Date) -> Bool {
        guard let closedAt = r.closedAt, let calendar = mailbox.cache.current.calendar else { return true }
        guard let last = try? calendar.workingDay(mailbox.config.reopenWindowWorkingDays, after: calendar.localDate(of: closedAt))
        else { return true }
        return calendar.localDate(of: now) <= last
    }

    @Sendable func ratePortal(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await lookedUp(request, context)
        let rating = try Self.rating(try await decodeBody(RatingBody.self, request), channel: .portal)
        return try await lookupResponse(try await rate(record, rating))
    }

    // MARK: 公开

    static var publicParameters: Set<String> { ["category", "department", "month", "limit", "cursor"] }

    func disclosed(_ r: PublicReplyRecord) -> DisclosedReply {
        let masker = DisclosureMasker(knownNames: [r.writerName], knownAddresses: [r.address].compactMap { $0 })
        return DisclosedReply(trackingNo: r.trackingNo, category: r.category, categoryName: r.category.chineseName,
                              departmentId: r.departmentID, department: r.departmentName, title: masker.mask(r.title), body: masker.mask(r.body),
                              reply: masker.mask(r.reply), receivedAt: r.receivedAt, releasedAt: r.closedAt)
    }

    @Sendable func disclosedReplies(_ request: Request, context: AppRequestContext) async throws -> Response {
        let p = request.uri.queryParameters
        var q = PublicReplyQuery()
        var v = FieldValidator()
        for (key, _) in p where !Self.publicParameters.contains(String(key)) {
            v.fail(String(key), "is not a parameter (use " + Self.publicParameters.sorted().joined(separator: ", ") + ")")
        }
        if let c = p.get("category") {
            if let cat = LetterCategory(rawValue: c), cat != .report { q.category = cat } else {
                v.fail("category", "must be consultation, complaint, help or suggestion (reports are never published)")
            }
        }
        if let d = p.get("department") {
            if d.isEmpty || d.count > 64 { v.fail("department", "must be a department id") } else { q.departmentID = d }
        }
        if let m = p.get("month") {
            let parts = m.split(separator: "-")
            if parts.count == 2, let y = Int(parts[0]), let mo = Int(parts[1]), parts[0].count == 4, parts[1].count == 2,
                let first = LocalDate(validatingYear: y, month: mo, day: 1)
            {
                let next = mo == 12 ? LocalDate(year: y + 1, month: 1, day: 1) : LocalDate(year: y, month: mo + 1, day: 1)
                q.releasedFrom = MailboxJSON.parseTimestamp(first.description + "T00:00:00+08:00")
                q.releasedBefore = MailboxJSON.parseTimestamp(next.description + "T00:00:00+08:00")
            } else {
                v.fail("month", "must be YYYY-MM (the Beijing month of the release)")
            }
        }
        if let l = p.get("limit") {
            if let n = Int(l), (1...100).contains(n) { q.limit = n } else { v.fail("limit", "must be 1–100") }
        }
        if let c = p.get("cursor") {
            if let id = Int64(c), id > 0 { q.afterID = id } else {
                v.fail("cursor", "is not a cursor of this list (pass next_cursor back unchanged)")
            }
        }
        try v.finish()
        let rows = try await mailbox.replies.publicReplies(q)
        let next = rows.count == q.limit ? rows.last.map { "\($0.id)" } : nil
        return try jsonResponse(DirectoryController<Letters, Calendars, Staff>.Page(items: rows.map(disclosed), nextCursor: next),
                                headers: [.cacheControl: "public, max-age=60"])
    }

    @Sendable func disclosedReply(_ request: Request, context: AppRequestContext) async throws -> Response {
        let tracking = try context.parameters.require("tracking")
        guard tracking.count <= 32, let r = try await mailbox.replies.publicReply(trackingNo: tracking) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No published reply \(tracking.prefix(32)).")
        }
        return try jsonResponse(disclosed(r), headers: [.cacheControl: "public, max-age=60"])
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
        case .rated?: ("您已对答复作出评价", "You rated the reply")
        case .reopened?: ("根据您的评价，信件重新办理", "Reopened for handling after your rating")
        default: ("办理进展", "Progress")
        }
        return TimelineEntry(at: e.occurredAt, kind: e.kind, descriptionZh: zh, descriptionEn: en)
    }
}
