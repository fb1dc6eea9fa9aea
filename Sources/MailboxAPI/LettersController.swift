import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import MailboxCore
import MailboxStore
import NIOCore

/// Staff work on letters: work lists, one letter (ETag = its version), its SLA explanation,
/// and the life-cycle actions (`POST /v1/letters/{tracking}/{action}`, If-Match required).
/// Who sees what is `AccessPolicy`'s answer; which action is allowed is `LetterWorkflow`'s.
struct LettersController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    struct StaffLetter: Encodable {
        var trackingNo: String
        var channel: LetterChannel
        var channelRef: String?
        var category: LetterCategory
        var title: String
        var body: String
        /// `full` or `masked` (脱敏): how much of the writer's personal data this view shows.
        var personalData: String
        var writerName: String
        var phone: String
        var idCard: String?
        var address: String?
        var town: String?
        var publishConsent: Bool
        var citizenKey: String
        var status: LetterStatus
        var statusName: String
        var departmentId: String?
        var department: String?
        var cohandlers: [String]
        var supervised: Bool
        var mergedInto: String?
        var pendingExtension: PendingExtension?
        var receivedAt: Date
        var slaState: String
        /// The deadline was computed on the plain weekday rule for a year whose holiday notice is not loaded.
        var slaProvisional: Bool
        var dueAt: Date?
        var warnAt: Date?
        var closedAt: Date?
        /// The released reply only; drafts are under `replyDraft`.
        var reply: String?
        var replyDraft: DraftView?
        var review: ReplyReview?
        var reviewSteps: ReviewSteps
        var releaseRound: Int
        var withheld: Bool
        var reopenedAt: Date?
        var ratings: [RatingView]
        var elapsedBusinessSeconds: Int64?
        var handlingWorkingDays: Double?
        var deadlineMet: Bool?
        var imported: Bool
        var version: Int
        var allowedActions: [LetterActionName]
        var events: [Event]
    }

    /// 答复草稿: staff only, never in any public answer.
    struct DraftView: Encodable {
        var revision: Int
        var text: String
        var author: String
        var createdAt: Date
        /// 错敏字 findings of this text under the current lists.
        var findings: [TextFinding]
    }

    struct RatingView: Encodable {
        var round: Int
        var satisfaction: LetterRating.Satisfaction
        var resolved: Bool
        var comment: String?
        var channel: LetterChannel
        var ratedAt: Date
        var reopened: Bool
    }

    struct Event: Encodable {
        var version: Int
        var kind: String
        var occurredAt: Date
        var actor: String
        var actorRole: String?
        var isPublic: Bool
        var data: [String: String]
    }

    struct SLAView: Encodable {
        var trackingNo: String
        var slaState: String
        var slaProvisional: Bool
        var stored: Stored
        var explanation: SLAExplanation?

        struct Stored: Encodable {
            var dueAt: Date?
            var warnAt: Date?
            var elapsedBusinessSeconds: Int64?
            var deadlineMet: Bool?
        }
    }

    struct ListItem: Encodable {
        var trackingNo: String
        var status: LetterStatus
        var category: LetterCategory
        var channel: LetterChannel
        var title: String
        var town: String?
        var departmentId: String?
        var department: String?
        var cohandlers: [String]
        var receivedAt: Date
        var dueAt: Date?
        var warnAt: Date?
        var slaState: String
        var slaProvisional: Bool
        var overdue: Bool
        var supervised: Bool
        var pendingExtension: Bool
        var version: Int
    }

    struct ListPage: Encodable {
        var items: [ListItem]
        var nextCursor: String?
    }

    /// A work-list page as JSON, written by hand: JSONEncoder was the largest cost of a list
    /// request (50 items). Same keys, order and formats as `MailboxJSON.encoder()` would write
    /// for `ListPage`; a test compares the two.
    static func json(_ items: [ListItem], nextCursor: String?) -> [UInt8] {
        var w = JSONWriter(capacity: items.count * 560 + 64)
        w.raw("{\"items\":[")
        for (i, item) in items.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"category\":")
            w.string(item.category.rawValue)
            w.raw(",\"channel\":")
            w.string(item.channel.rawValue)
            w.raw(",\"cohandlers\":[")
            for (j, c) in item.cohandlers.enumerated() {
                if j > 0 { w.raw(",") }
                w.string(c)
            }
            w.raw("]")
            if let d = item.department {
                w.raw(",\"department\":")
                w.string(d)
            }
            if let d = item.departmentId {
                w.raw(",\"department_id\":")
                w.string(d)
            }
            if let d = item.dueAt {
                w.raw(",\"due_at\":")
                w.timestamp(d)
            }
            w.raw(",\"overdue\":")
            w.bool(item.overdue)
            w.raw(",\"pending_extension\":")
            w.bool(item.pendingExtension)
            w.raw(",\"received_at\":")
            w.timestamp(item.receivedAt)
            w.raw(",\"sla_provisional\":")
            w.bool(item.slaProvisional)
            w.raw(",\"sla_state\":")
            w.string(item.slaState)
            w.raw(",\"status\":")
            w.string(item.status.rawValue)
            w.raw(",\"supervised\":")
            w.bool(item.supervised)
            w.raw(",\"title\":")
            w.string(item.title)
            if let t = item.town {
                w.raw(",\"town\":")
                w.string(t)
            }
            w.raw(",\"tracking_no\":")
            w.string(item.trackingNo)
            w.raw(",\"version\":")
            w.int(item.version)
            if let d = item.warnAt {
                w.raw(",\"warn_at\":")
                w.timestamp(d)
            }
            w.raw("}")
        }
        w.raw("]")
        if let c = nextCursor {
            w.raw(",\"next_cursor\":")
            w.string(c)
        }
        w.raw("}")
        return w.bytes
    }

    /// The body of any action; each action reads the fields it needs (unknown ones are ignored).
    struct ActionBody: Decodable {
        var reason: String?
        var note: String?
        var text: String?
        var comment: String?
        var overrideReason: String?
        var departmentId: String?
        var cohandlers: [String]?
        var workingDays: Int?
        var into: String?
        enum CodingKeys: String, CodingKey {
            case reason, note, text, comment, overrideReason = "override_reason", departmentId = "department_id", cohandlers,
                 workingDays = "working_days", into
        }
    }

    struct BatchRouteBody: Decodable {
        var items: [Item]?
        struct Item: Decodable {
            var trackingNo: String?
            var version: Int?
            var departmentId: String?
            var cohandlers: [String]?
            enum CodingKeys: String, CodingKey {
                case trackingNo = "tracking_no", version, departmentId = "department_id", cohandlers
            }
        }
    }

    struct BatchResult: Encodable {
        var trackingNo: String
        var status: Int
        var version: Int?
        var problem: Problem?
    }

    func addRoutes(to routes: StaffRoutes) {
        routes.on(.get, "/v1/letters", .readLetters, use: list)
        routes.on(.post, "/v1/letters/batch-route", .routeLetters, use: batchRoute)
        routes.on(.get, "/v1/letters/:tracking", .readLetters, use: show)
        routes.on(.get, "/v1/letters/:tracking/sla", .readLetters, use: sla)
        for name in LetterActionName.allCases {
            routes.on(.post, "/v1/letters/:tracking/\(name.rawValue)", .actOnLetters) { request, context in
                try await act(name, request, context)
            }
        }
    }

    // MARK: one letter

    /// The letter if `who` may see it; a hidden letter answers exactly like a missing one.
    func visibleLetter(_ tracking: String, _ who: StaffIdentity) async throws -> (LetterRecord, LetterVisibility) {
        guard tracking.count <= 32, let record = try await mailbox.letters.letter(trackingNo: tracking) else {
            throw Self.notFound(tracking)
        }
        let visibility = AccessPolicy.visibility(of: record.ownership, to: who)
        guard visibility != .hidden else { throw Self.notFound(tracking) }
        return (record, visibility)
    }

    static func notFound(_ tracking: String) -> Problem {
        Problem(.notFound, type: "not-found", title: "Not found", detail: "No letter \(tracking.prefix(32)).")
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let who = context.identity!
        let (record, visibility) = try await visibleLetter(try context.parameters.require("tracking"), who)
        return try await respond(record, visibility, who, purpose: "view")
    }

    /// The letter as `who` may see it, with its ETag; unmasked reads are recorded first.
    func respond(_ r: LetterRecord, _ visibility: LetterVisibility, _ who: StaffIdentity, purpose: String) async throws -> Response {
        if visibility == .full {
            try await mailbox.letters.recordPersonalDataRead(by: who, letterID: r.id, trackingNo: r.trackingNo, purpose: purpose)
        }
        let events = try await mailbox.letters.events(letterID: r.id, publicOnly: false)
        let perDay = Double(mailbox.cache.current.calendar?.secondsPerWorkingDay ?? BusinessHours.standard.secondsPerWorkingDay)
        let content = visibility == .full ? r.content : r.content.masked
        // Replies and comments often repeat the writer's name or phone: masked views mask them too.
        let masker = visibility == .full ? nil
            : DisclosureMasker(knownNames: [r.content.writerName], knownAddresses: [r.content.address].compactMap { $0 })
        func shown(_ text: String) -> String { masker?.mask(text) ?? text }
        var draft: DraftView?
        if let d = r.draft {
            draft = DraftView(revision: d.revision, text: shown(d.text), author: d.author, createdAt: d.createdAt,
                              findings: visibility == .full ? try await mailbox.currentChecker().check(d.text) : [])
        }
        let ratings = try await mailbox.letters.ratings(letterID: r.id).map {
            RatingView(round: $0.round, satisfaction: $0.rating.satisfaction, resolved: $0.rating.resolved,
                       comment: $0.rating.comment.map(shown), channel: $0.rating.channel, ratedAt: $0.ratedAt, reopened: $0.reopened)
        }
        let view = StaffLetter(
            trackingNo: r.trackingNo, channel: r.channel, channelRef: r.channelRef, category: content.category,
            title: content.title, body: content.body, personalData: visibility == .full ? "full" : "masked",
            writerName: content.writerName, phone: content.phone, idCard: content.idCard, address: content.address,
            town: content.town, publishConsent: content.publishConsent, citizenKey: r.citizenKey, status: r.status,
            statusName: r.status.chineseName, departmentId: r.departmentID, department: r.departmentName,
            cohandlers: r.cohandlers, supervised: r.supervised, mergedInto: r.mergedIntoTrackingNo,
            pendingExtension: r.pendingExtension, receivedAt: r.receivedAt, slaState: r.sla.state.rawValue,
            slaProvisional: r.sla.provisional, dueAt: r.sla.dueAt, warnAt: r.sla.warnAt, closedAt: r.closedAt, reply: r.reply.map(shown), replyDraft: draft,
            review: r.review, reviewSteps: r.reviewSteps, releaseRound: r.releaseRound, withheld: r.withheld,
            reopenedAt: r.reopenedAt, ratings: ratings,
            elapsedBusinessSeconds: r.sla.elapsedBusinessSeconds,
            handlingWorkingDays: r.sla.elapsedBusinessSeconds.map { Double($0) / perDay },
            deadlineMet: r.sla.deadlineMet, imported: r.imported, version: r.version,
            allowedActions: LetterWorkflow.allowedActions(r.facts, for: who),
            events: events.map { e in
                Event(version: e.version, kind: e.kind, occurredAt: e.occurredAt, actor: e.actor, actorRole: e.actorRole,
                      isPublic: e.isPublic,
                      data: (try? JSONDecoder().decode([String: String].self, from: Data(e.dataJSON.utf8))) ?? [:])
            })
        return try jsonResponse(view, headers: [.cacheControl: "no-store", .eTag: Self.etag(r.version)])
    }

    static func etag(_ version: Int) -> String { "\"\(version)\"" }

    @Sendable func sla(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (r, _) = try await visibleLetter(try context.parameters.require("tracking"), context.identity!)
        let clock = r.facts.clock
        let snapshot = mailbox.cache.current
        let explanation: SLAExplanation? =
            if let clock, let calendar = snapshot.calendar {
                clock.explain(on: calendar, provisional: snapshot.provisional, now: Date())
            } else { nil }
        let view = SLAView(
            trackingNo: r.trackingNo, slaState: r.sla.state.rawValue, slaProvisional: r.sla.provisional,
            stored: .init(dueAt: r.sla.dueAt, warnAt: r.sla.warnAt, elapsedBusinessSeconds: r.sla.elapsedBusinessSeconds,
                          deadlineMet: r.sla.deadlineMet),
            explanation: explanation)
        return try jsonResponse(view, headers: [.eTag: Self.etag(r.version)])
    }

    // MARK: actions

    /// The version the client read, from `If-Match: "N"`: 428 without it, 400 when malformed.
    static func expectedVersion(_ request: Request) throws -> Int {
        guard let raw = request.headers[.ifMatch] else {
            throw Problem(.preconditionRequired, type: "if-match-required", title: "If-Match required",
                          detail: "Send If-Match with the ETag of the letter you read (e.g. If-Match: \"3\"), so that no change is lost.")
        }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 3, trimmed.count <= 12, trimmed.hasPrefix("\""), trimmed.hasSuffix("\""),
            let v = Int(trimmed.dropFirst().dropLast()), v > 0
        else {
            throw Problem.badRequest("invalid-if-match", "If-Match must be the letter's ETag, e.g. \"3\".", field: "If-Match")
        }
        return v
    }

    func action(_ name: LetterActionName, _ b: ActionBody) -> LetterAction {
        switch name {
        case .accept: .accept
        case .reject: .reject(reason: b.reason ?? "")
        case .route: .route(departmentID: b.departmentId ?? "", cohandlers: b.cohandlers ?? [])
        case .transfer: .transfer(departmentID: b.departmentId ?? "", cohandlers: b.cohandlers ?? [], reason: b.reason ?? "")
        case .sign: .sign
        case .start: .start
        case .pause: .pause(reason: b.reason ?? "")
        case .resume: .resume
        case .draftReply: .draftReply(text: b.text ?? "")
        case .submitReply: .submitReply
        case .approveReply: .approveReply(overrideReason: b.overrideReason)
        case .returnReply: .returnReply(comment: b.comment ?? "")
        case .withhold: .withhold(reason: b.reason ?? "")
        case .return: .returnToCentre(reason: b.reason ?? "")
        case .requestExtension: .requestExtension(workingDays: b.workingDays ?? 0, reason: b.reason ?? "")
        case .approveExtension: .approveExtension
        case .denyExtension: .denyExtension(reason: b.reason ?? "")
        case .supervise: .supervise(note: b.note ?? "")
        case .merge: .merge(intoTrackingNo: b.into ?? "")
        }
    }

    func act(_ name: LetterActionName, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let who = context.identity!
        let expected = try Self.expectedVersion(request)
        // Actions without fields (accept, sign, …) may come without a body.
        try requireJSONContentType(request)
        let raw = try await readBody(request, limit: BodyLimits.json)
        let body = raw.readableBytes == 0 ? ActionBody() : try decodeJSON(ActionBody.self, from: raw)
        let tracking = try context.parameters.require("tracking")
        let (record, visibility) = try await perform(action(name, body), tracking: tracking, expectedVersion: expected, by: who)
        return try await respond(record, visibility, who, purpose: "action:\(name.rawValue)")
    }

    /// Loads, checks and applies one action: 404 hidden, 412 stale, 403/409/422 from the workflow.
    func perform(_ action: LetterAction, tracking: String, expectedVersion: Int, by who: StaffIdentity) async throws
        -> (LetterRecord, LetterVisibility)
    {
        let (record, _) = try await visibleLetter(tracking, who)
        guard record.version == expectedVersion else { throw Self.stale(record.version) }
        if case .merge(let into) = action {
            guard !into.isEmpty else { throw Problem.validation([FieldError(field: "into", message: "is required")]) }
            guard into != record.trackingNo else {
                throw Problem.validation([FieldError(field: "into", message: "must be another letter")])
            }
            guard let kept = try await mailbox.letters.letter(trackingNo: into), AccessPolicy.visibility(of: kept.ownership, to: who) != .hidden
            else { throw Problem.validation([FieldError(field: "into", message: "no letter \(into.prefix(32))")]) }
            guard kept.status != .merged, kept.status != .rejected else {
                throw Problem.validation([FieldError(field: "into", message: "\(into) is \(kept.status.rawValue); merge into the letter that is kept")])
            }
        }
        let needsDepartments: Bool = switch action { case .route, .transfer: true; default: false }
        let known = needsDepartments ? try await mailbox.letters.activeDepartmentIDs() : []
        let now = Date()
        var facts = record.facts
        if case .approveReply = action, let draft = facts.draft {
            // The lists may have changed since the draft was saved: approval goes by today's.
            facts.draft?.openFindings = try await mailbox.currentChecker().check(draft.text).count
        }
        var t: LetterTransition
        do {
            t = try LetterWorkflow.decide(action, on: facts, by: who, at: now, knownDepartments: known)
        } catch {
            throw Self.problem(error)
        }
        if let text = t.draftText {
            let findings = try await mailbox.currentChecker().check(text)
            t.draftFindingsJSON = String(decoding: try MailboxJSON.encoder().encode(findings), as: UTF8.self)
        }
        var sla = record.sla
        if let clock = t.facts.clock {
            let snapshot = mailbox.cache.current
            sla = SLAColumns.evaluate(clock, on: snapshot.calendar, provisional: snapshot.provisional, now: now)
        }
        if t.facts.status == .rejected || t.facts.status == .merged {
            // No outcome for letters that were never handled: the clock just stops.
            sla.state = .stopped
            sla.elapsedBusinessSeconds = nil
            sla.deadlineMet = nil
        }
        do {
            let updated = try await mailbox.letters.apply(t, letterID: record.id, expectedVersion: expectedVersion, sla: sla, by: who, at: now)
            return (updated, AccessPolicy.visibility(of: updated.ownership, to: who) == .full ? .full : .masked)
        } catch StoreError.staleVersion(let current) {
            throw Self.stale(current)
        }
    }

    static func stale(_ current: Int) -> Problem {
        var p = Problem(.preconditionFailed, type: "stale-version", title: "The letter changed meanwhile",
                        detail: "The letter is now at version \(current); reload it and decide again.")
        p.headers[.eTag] = etag(current)
        return p
    }

    static func problem(_ refusal: WorkflowRefusal) -> Problem {
        switch refusal {
        case .notPermitted(_, let why):
            return Problem(.forbidden, type: "action-not-permitted", title: "Not permitted", detail: why)
        case .notAllowedNow(_, _, _, let allowed):
            var p = Problem(.conflict, type: "invalid-transition", title: "Not allowed in the letter's current state",
                            detail: refusal.description)
            p.allowedActions = allowed.map(\.rawValue)
            return p
        case .invalid(let field, let message):
            return .validation([FieldError(field: field, message: message)])
        }
    }

    /// 批量转办: each letter is routed in its own transaction; the answer reports each one.
    @Sendable func batchRoute(_ request: Request, context: AppRequestContext) async throws -> Response {
        let who = context.identity!
        let body = try await decodeBody(BatchRouteBody.self, request)
        guard let items = body.items, !items.isEmpty, items.count <= 100 else {
            throw Problem.validation([FieldError(field: "items", message: "must list 1–100 letters")])
        }
        var v = FieldValidator()
        for (i, item) in items.enumerated() {
            // The shape of every item first (the contract's schema), so that a malformed batch changes nothing.
            if let t = item.trackingNo {
                if t.wholeMatch(of: /[A-Za-z0-9-]{1,32}/) == nil { v.fail("items[\(i)].tracking_no", "must be 1–32 characters of A–Z a–z 0–9 -") }
            } else {
                v.fail("items[\(i)].tracking_no", "is required")
            }
            if let version = item.version {
                if version < 1 || version > 9_007_199_254_740_991 { v.fail("items[\(i)].version", "must be 1 to 2^53 − 1") }
            } else {
                v.fail("items[\(i)].version", "is required (the ETag you read)")
            }
            if item.departmentId?.isEmpty ?? true { v.fail("items[\(i)].department_id", "is required") }
            if let c = item.cohandlers {
                if c.count > 10 { v.fail("items[\(i)].cohandlers", "at most 10 departments") }
                if Set(c).count != c.count { v.fail("items[\(i)].cohandlers", "lists a department twice") }
            }
        }
        try v.finish()
        var results: [BatchResult] = []
        for item in items {
            do {
                let (r, _) = try await perform(.route(departmentID: item.departmentId!, cohandlers: item.cohandlers ?? []),
                                               tracking: item.trackingNo!, expectedVersion: item.version!, by: who)
                results.append(BatchResult(trackingNo: r.trackingNo, status: 200, version: r.version))
            } catch {
                let p = ProblemMiddleware<AppRequestContext>.problem(for: error, logger: context.logger)
                results.append(BatchResult(trackingNo: item.trackingNo!, status: p.status, problem: p))
            }
        }
        return try jsonResponse(["results": results])
    }

    // MARK: work lists

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let who = context.identity!
        let q = try WorkListParameters.parse(request.uri.queryParameters)
        let page = try await mailbox.letters.workList(q, scope: AccessPolicy.scope(for: who))
        let items = page.items.map { i in
            ListItem(trackingNo: i.trackingNo, status: i.status, category: i.category, channel: i.channel, title: i.title,
                     town: i.town, departmentId: i.departmentID, department: i.departmentName, cohandlers: i.cohandlers,
                     receivedAt: i.receivedAt, dueAt: i.dueAt, warnAt: i.warnAt, slaState: i.slaState,
                     slaProvisional: i.slaProvisional,
                     overdue: !i.status.isFinal && (i.dueAt.map { $0 < q.now } ?? false), supervised: i.supervised,
                     pendingExtension: i.pendingExtension, version: i.version)
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: Self.json(items, nextCursor: page.nextCursor?.encoded))))
    }
}

/// The work-list query a `GET /v1/letters` query string asks for (the benchmark builds pgbench's
/// statement from the same parser and SQL builder as the service).
public func workListQuery(queryString: String, now: Date = Date()) throws -> WorkListQuery {
    var q = try WorkListParameters.parse(URI("/v1/letters?" + queryString).queryParameters)
    q.now = now
    return q
}

/// The query parameters of `GET /v1/letters` (docs/workflow.md, "Work lists").
enum WorkListParameters {
    static let listParameters: Set<String> = [
        "status", "category", "department", "channel", "overdue", "due_before", "warning_passed", "received_from",
        "received_to", "supervised", "q", "sort", "limit", "cursor",
    ]

    static func parse(_ p: Hummingbird.Parameters) throws -> WorkListQuery {
        var q = WorkListQuery()
        var v = FieldValidator()
        for (key, _) in p where !listParameters.contains(String(key)) {
            v.fail(String(key), "is not a work-list parameter (use " + listParameters.sorted().joined(separator: ", ") + ")")
        }
        func list<T: RawRepresentable>(_ name: String, _: T.Type) -> [T] where T.RawValue == String, T: CaseIterable {
            guard let raw = p.get(name) else { return [] }
            var out: [T] = []
            for part in raw.split(separator: ",", omittingEmptySubsequences: false) {
                if let value = T(rawValue: String(part)) { out.append(value) } else {
                    v.fail(name, "\(part.prefix(40)) is not one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
                }
            }
            return out
        }
        func bool(_ name: String) -> Bool? {
            guard let raw = p.get(name) else { return nil }
            switch raw {
            case "true": return true
            case "false": return false
            default: v.fail(name, "must be true or false"); return nil
            }
        }
        func date(_ name: String, endOfDay: Bool = false) -> Date? {
            guard let raw = p.get(name) else { return nil }
            if let d = LocalDate(iso: raw) {
                let day = endOfDay ? LocalDate(dayNumber: d.dayNumber + 1) : d
                return MailboxJSON.parseTimestamp(day.description + "T00:00:00+08:00")
            }
            if let t = MailboxJSON.parseTimestamp(raw) { return t }
            v.fail(name, "must be a date YYYY-MM-DD (Beijing) or an RFC 3339 time")
            return nil
        }
        q.statuses = list("status", LetterStatus.self)
        q.categories = list("category", LetterCategory.self)
        if let d = p.get("department") {
            if d.isEmpty || d.count > 64 { v.fail("department", "must be a department id") } else { q.departmentID = d }
        }
        if let c = p.get("channel") {
            if let ch = LetterChannel(rawValue: c) { q.channel = ch } else { v.fail("channel", "must be portal, app or staff") }
        }
        q.overdue = bool("overdue")
        q.warningPassed = bool("warning_passed")
        q.supervised = bool("supervised")
        q.dueBefore = date("due_before")
        q.receivedFrom = date("received_from")
        q.receivedTo = date("received_to", endOfDay: true)
        if let text = p.get("q") {
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.count < 2 || t.count > 50 { v.fail("q", "must be 2–50 characters") } else { q.text = t }
        }
        if let s = p.get("sort") {
            if let order = WorkListQuery.Order(rawValue: s) { q.order = order } else { v.fail("sort", "must be due or received") }
        }
        if let l = p.get("limit") {
            if let n = Int(l), (1...WorkListQuery.maxLimit).contains(n) { q.limit = n } else {
                v.fail("limit", "must be 1–\(WorkListQuery.maxLimit)")
            }
        }
        if let c = p.get("cursor") {
            if let cursor = WorkListCursor(encoded: c), cursor.order == q.order { q.cursor = cursor } else {
                v.fail("cursor", "is not a cursor of this list (pass next_cursor back unchanged, with the same sort)")
            }
        }
        try v.finish()
        return q
    }}
