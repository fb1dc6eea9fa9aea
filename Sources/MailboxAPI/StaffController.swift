import Foundation
import HTTPTypes
import Hummingbird
import MailboxCore
import MailboxStore

/// Staff views of one letter and the SLA clock actions (pause, resume, extend, close).
/// Guarded by the admin bearer token until roles arrive with the staff workflow.
struct StaffController<Letters: LetterStore, Calendars: CalendarRepository> {
    let mailbox: Mailbox<Letters, Calendars>

    struct StaffLetter: Encodable {
        var trackingNo: String
        var channel: LetterChannel
        var channelRef: String?
        var category: LetterCategory
        var title: String
        var body: String
        var writerName: String
        var phone: String
        var idCard: String?
        var address: String?
        var town: String?
        var publishConsent: Bool
        var citizenKey: String
        var status: LetterStatus
        var departmentId: String?
        var department: String?
        var receivedAt: Date
        var slaState: String
        var dueAt: Date?
        var warnAt: Date?
        var closedAt: Date?
        var reply: String?
        var elapsedBusinessSeconds: Int64?
        var handlingWorkingDays: Double?
        var deadlineMet: Bool?
        var imported: Bool
        var version: Int
        var events: [Event]
    }

    struct Event: Encodable {
        var version: Int
        var kind: String
        var occurredAt: Date
        var actor: String
        var isPublic: Bool
        var data: [String: String]
    }

    struct SLAView: Encodable {
        var trackingNo: String
        var slaState: String
        var stored: Stored
        var explanation: SLAExplanation?

        struct Stored: Encodable {
            var dueAt: Date?
            var warnAt: Date?
            var elapsedBusinessSeconds: Int64?
            var deadlineMet: Bool?
        }
    }

    struct PauseBody: Decodable { var reason: String? }
    struct ExtendBody: Decodable {
        var workingDays: Int?
        var reason: String?
        enum CodingKeys: String, CodingKey { case workingDays = "working_days", reason }
    }
    struct CloseBody: Decodable { var reply: String? }

    func addRoutes(to router: Router<AppRequestContext>) {
        let group = router.group("/v1/letters").add(middleware: BearerTokenMiddleware(token: mailbox.config.adminToken))
        group.get(":tracking", use: show)
        group.get(":tracking/sla", use: sla)
        group.post(":tracking/sla/pause") { request, context in
            let body = try await decodeBody(PauseBody.self, request)
            var v = FieldValidator()
            let reason = v.text(body.reason, "reason", limit: 500)
            try v.finish()
            return try await act(.pause(reason: reason!), request, context)
        }
        group.post(":tracking/sla/resume") { request, context in
            try await act(.resume, request, context)
        }
        group.post(":tracking/sla/extend") { request, context in
            let body = try await decodeBody(ExtendBody.self, request)
            var v = FieldValidator()
            if let days = body.workingDays {
                if !(1...LetterWorkflow.maxExtensionDays).contains(days) {
                    v.fail("working_days", "must be 1–\(LetterWorkflow.maxExtensionDays)")
                }
            } else {
                v.fail("working_days", "is required")
            }
            let reason = v.text(body.reason, "reason", limit: 500)
            try v.finish()
            return try await act(.extend(workingDays: body.workingDays!, reason: reason!), request, context)
        }
        group.post(":tracking/close") { request, context in
            let body = try await decodeBody(CloseBody.self, request)
            var v = FieldValidator()
            let reply = v.text(body.reply, "reply", limit: LetterLimits.reply, multiline: true)
            try v.finish()
            return try await act(.close(reply: reply!), request, context)
        }
    }

    func load(_ context: AppRequestContext) async throws -> LetterRecord {
        let tracking = try context.parameters.require("tracking")
        guard tracking.count <= 32, let record = try await mailbox.letters.letter(trackingNo: tracking) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No letter \(tracking.prefix(32)).")
        }
        return record
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        try jsonResponse(try await view(try await load(context)), headers: [.cacheControl: "no-store"])
    }

    func view(_ r: LetterRecord) async throws -> StaffLetter {
        let events = try await mailbox.letters.events(letterID: r.id, publicOnly: false)
        let perDay = Double(mailbox.cache.current.calendar?.secondsPerWorkingDay ?? BusinessHours.standard.secondsPerWorkingDay)
        return StaffLetter(
            trackingNo: r.trackingNo, channel: r.channel, channelRef: r.channelRef, category: r.content.category,
            title: r.content.title, body: r.content.body, writerName: r.content.writerName, phone: r.content.phone,
            idCard: r.content.idCard, address: r.content.address, town: r.content.town,
            publishConsent: r.content.publishConsent, citizenKey: r.citizenKey, status: r.status,
            departmentId: r.departmentID, department: r.departmentName, receivedAt: r.receivedAt,
            slaState: r.sla.state.rawValue, dueAt: r.sla.dueAt, warnAt: r.sla.warnAt, closedAt: r.closedAt,
            reply: r.reply, elapsedBusinessSeconds: r.sla.elapsedBusinessSeconds,
            handlingWorkingDays: r.sla.elapsedBusinessSeconds.map { Double($0) / perDay },
            deadlineMet: r.sla.deadlineMet, imported: r.imported, version: r.version,
            events: events.map { e in
                Event(version: e.version, kind: e.kind, occurredAt: e.occurredAt, actor: e.actor, isPublic: e.isPublic,
                      data: (try? JSONDecoder().decode([String: String].self, from: Data(e.dataJSON.utf8))) ?? [:])
            })
    }

    @Sendable func sla(_ request: Request, context: AppRequestContext) async throws -> Response {
        let r = try await load(context)
        let clock = r.sla.clockJSON.flatMap { try? MailboxJSON.decoder().decode(SLAClock.self, from: Data($0.utf8)) }
        let explanation: SLAExplanation?
        if let clock, let calendar = mailbox.cache.current.calendar {
            explanation = clock.explain(on: calendar, now: Date())
        } else {
            explanation = nil
        }
        let view = SLAView(
            trackingNo: r.trackingNo, slaState: r.sla.state.rawValue,
            stored: .init(dueAt: r.sla.dueAt, warnAt: r.sla.warnAt, elapsedBusinessSeconds: r.sla.elapsedBusinessSeconds,
                          deadlineMet: r.sla.deadlineMet),
            explanation: explanation)
        return try jsonResponse(view)
    }

    func act(_ action: ClockAction, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let r = try await load(context)
        guard let json = r.sla.clockJSON,
            let clock = try? MailboxJSON.decoder().decode(SLAClock.self, from: Data(json.utf8))
        else {
            throw StoreError.invalidTransition("the letter has no SLA clock")
        }
        let now = Date()
        let t: Transition
        do {
            t = try LetterWorkflow.apply(action, status: r.status, clock: clock, at: now)
        } catch {
            throw StoreError.invalidTransition(error.description)
        }
        let columns = SLAColumns.evaluate(t.clock, on: mailbox.cache.current.calendar, now: now)
        let reply: String? = if case .close(let text) = action { text } else { nil }
        let data = MailboxJSON.object(t.data)
        let updated = try await mailbox.letters.updateSLA(
            letterID: r.id, expectedVersion: r.version, status: t.status, sla: columns,
            closedAt: t.clock.closedAt, reply: reply,
            event: NewEvent(kind: t.event, occurredAt: now, actor: "staff", dataJSON: data))
        return try jsonResponse(try await view(updated))
    }
}

func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
    try requireJSONContentType(request)
    return try decodeJSON(T.self, from: try await readBody(request, limit: BodyLimits.json))
}

/// Bearer-token guard for staff and admin endpoints (MAILBOX_ADMIN_TOKEN).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else {
            throw Problem(.forbidden, type: "admin-disabled", title: "Staff API disabled",
                          detail: "Set MAILBOX_ADMIN_TOKEN to enable staff and admin endpoints.")
        }
        try Self.check(request, token: token)
        return try await next(request, context)
    }

    /// Throws 401 unless the request carries `Authorization: Bearer <token>` (constant-time).
    static func check(_ request: Request, token: String) throws {
        let presented = request.headers[.authorization] ?? ""
        guard presented.hasPrefix("Bearer "),
            QueryCode.matches(sha256Hex(Data(presented.dropFirst(7).utf8)), sha256Hex(Data(token.utf8)))
        else {
            var p = Problem.unauthorized("Send Authorization: Bearer <MAILBOX_ADMIN_TOKEN>.")
            p.headers[.wwwAuthenticate] = "Bearer"
            throw p
        }
    }
}
