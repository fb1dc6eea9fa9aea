import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailboxCore
import MailboxStore
import Metrics

/// 统一接收: the portal's `POST /v1/letters` and the app's signed webhook `POST /v1/intake/app`
/// create letters in one store, with one tracking number format and one history.
struct IntakeController<Letters: LetterStore, Calendars: CalendarRepository> {
    let mailbox: Mailbox<Letters, Calendars>

    struct Receipt: Encodable {
        var trackingNo: String
        /// Shown once; the mailbox keeps only its hash.
        var queryCode: String?
        var status: LetterStatus
        var category: LetterCategory
        var channel: LetterChannel
        var receivedAt: Date
        var dueAt: Date?
        var slaState: String
        /// True when this delivery repeated one already stored (the app webhook's retries).
        var duplicate: Bool
        var lookupURL: String
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/letters", use: portal)
        router.post("/v1/intake/app", use: app)
    }

    @Sendable func portal(_ request: Request, context: AppRequestContext) async throws -> Response {
        try requireJSONContentType(request)
        let body = try await readBody(request, limit: BodyLimits.json)
        let submission = try decodeJSON(LetterSubmission.self, from: body)
        let (content, channel) = try submission.validatedForPortal()
        if channel == .staff {
            // 代录: only staff may file a letter on a caller's behalf.
            guard let token = mailbox.config.adminToken else {
                throw Problem(.forbidden, type: "admin-disabled", title: "Staff API disabled",
                              detail: "Set MAILBOX_ADMIN_TOKEN to let staff type in letters.")
            }
            try BearerTokenMiddleware<AppRequestContext>.check(request, token: token)
        }
        let code = QueryCode.random()
        let letter = newLetter(content, channel: channel, channelRef: nil, digest: nil, queryCode: code,
                               extra: [:], actor: "citizen:\(channel.rawValue)")
        guard case .created(let record) = try await mailbox.letters.intake(letter) else {
            throw StoreError.notFound  // unreachable: portal letters have no channel reference
        }
        received(record, context: context)
        return try jsonResponse(receipt(record, code: code, duplicate: false), status: .created,
                                headers: [.location: "/v1/letters/\(record.trackingNo)"])
    }

    @Sendable func app(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let verifier = mailbox.verifier else {
            throw Problem(.serviceUnavailable, type: "webhook-disabled", title: "App webhook not configured",
                          detail: "The server has no MAILBOX_APP_WEBHOOK_SECRET.")
        }
        // Size first, then the signature over the raw bytes, before anything is parsed.
        let body = try await request.body.collect(upTo: BodyLimits.json)
        let bytes = Data(buffer: body)
        do throws(WebhookVerifier.Failure) {
            try verifier.verify(
                timestamp: request.headers[.mailboxTimestamp], signature: request.headers[.mailboxSignature],
                body: bytes, now: Date())
        } catch {
            context.logger.notice("app webhook signature rejected", metadata: ["reason": "\(error)"])
            throw Problem.unauthorized(error.detail)
        }
        try requireJSONContentType(request)
        try requireUTF8(body)
        let submission = try decodeJSON(LetterSubmission.self, from: body)
        let (content, appLetterID) = try submission.validatedForApp()
        let code = verifier.derivedQueryCode(appLetterID: appLetterID)
        var extra: [String: String] = ["app_letter_id": appLetterID]
        if let submitted = submission.submittedAt { extra["submitted_at"] = MailboxJSON.formatTimestamp(submitted) }
        let letter = newLetter(content, channel: .app, channelRef: appLetterID, digest: sha256Hex(bytes),
                               queryCode: code, extra: extra, actor: "app")
        switch try await mailbox.letters.intake(letter) {
        case .created(let record):
            received(record, context: context)
            return try jsonResponse(receipt(record, code: code, duplicate: false), status: .created,
                                    headers: [.location: "/v1/letters/\(record.trackingNo)"])
        case .existing(let record, sameDelivery: true):
            context.logger.info("app delivery repeated", metadata: ["tracking_no": "\(record.trackingNo)"])
            return try jsonResponse(receipt(record, code: code, duplicate: true), status: .ok,
                                    headers: [.location: "/v1/letters/\(record.trackingNo)"])
        case .existing(let record, sameDelivery: false):
            throw StoreError.channelRefConflict(trackingNo: record.trackingNo)
        }
    }

    func newLetter(_ content: LetterContent, channel: LetterChannel, channelRef: String?, digest: String?,
                   queryCode: String, extra: [String: String], actor: String) -> NewLetter {
        let now = Date()
        let (_, sla) = mailbox.startClock(category: content.category, channel: channel, receivedAt: now, now: now)
        var data = extra
        data["channel"] = channel.rawValue
        data["category"] = content.category.rawValue
        let json = String(decoding: (try? MailboxJSON.encoder().encode(data)) ?? Data("{}".utf8), as: UTF8.self)
        return NewLetter(
            content: content, channel: channel, channelRef: channelRef, intakeDigest: digest,
            citizenKey: sha256Hex(Data(Identity.citizenIdentity(phone: content.phone).utf8)),
            queryCodeHash: QueryCode.hash(queryCode), receivedAt: now, sla: sla,
            events: [NewEvent(kind: .received, occurredAt: now, actor: actor, dataJSON: json)])
    }

    func received(_ record: LetterRecord, context: AppRequestContext) {
        Counter(label: "mailbox_letters_received_total", dimensions: [("channel", record.channel.rawValue)]).increment()
        if record.sla.state == .calendarIncomplete {
            Counter(label: "mailbox_sla_calendar_incomplete_total").increment()
            context.logger.warning("letter received outside the loaded calendar: no deadline computed",
                                   metadata: ["tracking_no": "\(record.trackingNo)"])
        }
        context.logger.info("letter received", metadata: [
            "tracking_no": "\(record.trackingNo)", "channel": "\(record.channel.rawValue)",
            "category": "\(record.content.category.rawValue)",
        ])
    }

    func receipt(_ r: LetterRecord, code: String?, duplicate: Bool) -> Receipt {
        Receipt(trackingNo: r.trackingNo, queryCode: code, status: r.status, category: r.content.category,
                channel: r.channel, receivedAt: r.receivedAt, dueAt: r.sla.dueAt, slaState: r.sla.state.rawValue,
                duplicate: duplicate, lookupURL: "/v1/public/letters/\(r.trackingNo)")
    }
}

extension HTTPField.Name {
    static let mailboxTimestamp = Self("X-Mailbox-Timestamp")!
    static let mailboxSignature = Self("X-Mailbox-Signature")!
    static let queryCode = Self("X-Query-Code")!
}
