import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailboxCore
import MailboxStore
import Metrics
import NIOCore

/// 统一接收: the portal's `POST /v1/letters` and the app's signed webhook `POST /v1/intake/app`
/// create letters in one store, with one tracking number format and one history.
struct IntakeController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/letters", use: portal)
        router.post("/v1/intake/app", use: app)
        router.post("/v1/intake/app/rating", use: appRating)
    }

    @Sendable func portal(_ request: Request, context: AppRequestContext) async throws -> Response {
        try requireJSONContentType(request)
        let body = try await readBody(request, limit: BodyLimits.json)
        let submission = try decodeJSON(LetterSubmission.self, from: body)
        let (content, channel) = try submission.validatedForPortal()
        var actor = "citizen:\(channel.rawValue)"
        if channel == .staff {
            // 代录: only the centre's staff may file a letter on a caller's behalf.
            try RequirePermission.check(.typeInLetters, context)
            actor = context.identity!.actor
        }
        let code = QueryCode.random()
        let letter = newLetter(content, channel: channel, channelRef: nil, digest: nil, queryCode: code,
                               extra: [:], actor: actor)
        guard case .created(let record) = try await mailbox.letters.intake(letter) else {
            throw StoreError.notFound  // unreachable: portal letters have no channel reference
        }
        received(record, context: context)
        return receipt(record, code: code, duplicate: false, status: .created)
    }

    /// A signed delivery's raw body: size first, then the signature over the raw bytes, before
    /// anything is parsed.
    func verifiedAppBody(_ request: Request, _ context: AppRequestContext) async throws -> (WebhookVerifier, ByteBuffer) {
        guard let verifier = mailbox.verifier else {
            throw Problem(.serviceUnavailable, type: "webhook-disabled", title: "App webhook not configured",
                          detail: "The server has no MAILBOX_APP_WEBHOOK_SECRET.")
        }
        let body = try await request.body.collect(upTo: BodyLimits.json)
        do throws(WebhookVerifier.Failure) {
            try verifier.verify(
                timestamp: request.headers[.mailboxTimestamp], signature: request.headers[.mailboxSignature],
                body: Data(buffer: body), now: Date())
        } catch {
            context.logger.notice("app webhook signature rejected", metadata: ["reason": "\(error)"])
            throw Problem.unauthorized(error.detail)
        }
        try requireJSONContentType(request)
        try requireUTF8(body)
        return (verifier, body)
    }

    /// 评价 through the app: `{app_letter_id, satisfaction, resolved, comment}`, signed like a letter.
    @Sendable func appRating(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, body) = try await verifiedAppBody(request, context)
        let b = try decodeJSON(PublicController<Letters, Calendars, Staff>.RatingBody.self, from: body)
        // Every field's problem in one answer, app_letter_id's included.
        let refError: FieldError? = switch b.appLetterId {
        case nil: FieldError(field: "app_letter_id", message: "is required")
        case let ref? where ref.isEmpty || ref.count > 64: FieldError(field: "app_letter_id", message: "must be 1–64 characters")
        default: nil
        }
        let rating: LetterRating
        do {
            rating = try PublicController<Letters, Calendars, Staff>.rating(b, channel: .app)
        } catch let failure as ValidationFailure where refError != nil {
            throw Problem.validation([refError!] + failure.errors)
        }
        if let refError { throw Problem.validation([refError]) }
        let ref = b.appLetterId!
        guard let record = try await mailbox.letters.letter(channel: .app, channelRef: ref) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No app letter \(ref.prefix(64)).")
        }
        let public_ = PublicController(mailbox: mailbox)
        return try await public_.lookupResponse(try await public_.rate(record, rating))
    }

    @Sendable func app(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (verifier, body) = try await verifiedAppBody(request, context)
        let bytes = Data(buffer: body)
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
            return receipt(record, code: code, duplicate: false, status: .created)
        case .existing(let record, sameDelivery: true):
            context.logger.info("app delivery repeated", metadata: ["tracking_no": "\(record.trackingNo)"])
            return receipt(record, code: code, duplicate: true, status: .ok)
        case .existing(let record, sameDelivery: false):
            throw StoreError.channelRefConflict(trackingNo: record.trackingNo)
        }
    }

    func newLetter(_ content: LetterContent, channel: LetterChannel, channelRef: String?, digest: String?,
                   queryCode: String, extra: [String: String], actor: String) -> NewLetter {
        let now = Date()
        // 统一转办: a matching routing rule sends the letter straight to its department.
        let rule = RoutingRule.firstMatch(mailbox.routing.rules, for: content)
        let (_, sla) = mailbox.startClock(category: content.category, channel: channel, departmentID: rule?.departmentID,
                                          receivedAt: now, now: now)
        var data = extra
        data["channel"] = channel.rawValue
        data["category"] = content.category.rawValue
        let json = MailboxJSON.object(data)
        var letter = NewLetter(
            content: content, channel: channel, channelRef: channelRef, intakeDigest: digest,
            citizenKey: citizenKey(phone: content.phone),
            queryCodeHash: QueryCode.hash(queryCode), receivedAt: now, sla: sla,
            events: [NewEvent(kind: .received, occurredAt: now, actor: actor, dataJSON: json)])
        if let rule {
            letter.routedBy = rule
            letter.status = .assigned
            letter.departmentID = rule.departmentID
            letter.events.append(NewEvent(kind: .routed, occurredAt: now, actor: "system:routing"))
        }
        return letter
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

    /// The intake answer (`Receipt` in docs/openapi.yaml), written by hand: JSONEncoder was the
    /// largest single cost of the intake path. Keys sorted, as the encoder would write them.
    func receipt(_ r: LetterRecord, code: String?, duplicate: Bool, status: HTTPResponse.Status) -> Response {
        var json = "{\"category\":\"\(r.content.category.rawValue)\",\"channel\":\"\(r.channel.rawValue)\","
        if let due = r.sla.dueAt { json += "\"due_at\":\"\(MailboxJSON.formatTimestamp(due))\"," }
        json += "\"duplicate\":\(duplicate),\"lookup_url\":" + MailboxJSON.quoted("/v1/public/letters/\(r.trackingNo)") + ","
        if let code { json += "\"query_code\":" + MailboxJSON.quoted(code) + "," }
        json += "\"received_at\":\"\(MailboxJSON.formatTimestamp(r.receivedAt))\",\"sla_provisional\":\(r.sla.provisional),"
        json += "\"sla_state\":\"\(r.sla.state.rawValue)\","
        json += "\"status\":\"\(r.status.rawValue)\",\"tracking_no\":" + MailboxJSON.quoted(r.trackingNo) + "}"
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .location: "/v1/letters/\(r.trackingNo)"],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}

extension HTTPField.Name {
    static let mailboxTimestamp = Self("X-Mailbox-Timestamp")!
    static let mailboxSignature = Self("X-Mailbox-Signature")!
    static let queryCode = Self("X-Query-Code")!
}
