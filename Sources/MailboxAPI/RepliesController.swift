import Foundation
import HTTPTypes
import Hummingbird
import MailboxCore
import MailboxStore
import NIOCore

/// What replies need beyond the letter: the 错敏字 check (`POST /v1/checks/text`), its word
/// lists and the review steps per category (admins change them, audited), and the app's
/// notification deliveries (admins see and redeliver them).
struct RepliesController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>

    /// Texts up to 1 MB of UTF-8 are checked through the API; `mailbox check-text` takes any size.
    static var checkBodyLimit: Int { 1024 * 1024 + 4096 }

    struct CheckBody: Decodable {
        var text: String?
        var lists: [String]?
    }

    struct CheckResult: Encodable {
        var findings: [TextFinding]
        var lists: [String]
        var entries: Int
    }

    struct WordListSummary: Encodable {
        var name: String
        var kind: StoredWordList.Kind
        var description: String?
        var entries: Int
        var updatedAt: Date
    }

    struct WordListView: Encodable {
        var name: String
        var kind: StoredWordList.Kind
        var description: String?
        var entries: [Entry]
        var updatedAt: Date
        struct Entry: Codable {
            var pattern: String
            var suggestion: String?
        }
    }

    struct WordListBody: Decodable {
        var kind: String?
        var description: String?
        var entries: [WordListView.Entry]?
    }

    struct PolicyView: Encodable {
        var category: LetterCategory
        var steps: ReviewSteps
    }

    struct DeliveryView: Encodable {
        var id: Int64
        var deliveryId: String
        var trackingNo: String
        var sequence: Int
        var event: String
        var state: AppDelivery.State
        var attempts: Int
        var nextAttemptAt: Date
        var lastStatus: Int?
        var lastError: String?
        var createdAt: Date
        var deliveredAt: Date?

        init(_ d: AppDelivery) {
            id = d.id
            deliveryId = d.deliveryID.uuidString.lowercased()
            trackingNo = d.trackingNo
            sequence = d.letterVersion
            event = d.kind
            state = d.state
            attempts = d.attempts
            nextAttemptAt = d.nextAttemptAt
            lastStatus = d.lastStatus
            lastError = d.lastError
            createdAt = d.createdAt
            deliveredAt = d.deliveredAt
        }
    }

    func addRoutes(to routes: StaffRoutes) {
        routes.on(.post, "/v1/checks/text", .checkText, use: checkText)
        routes.on(.get, "/v1/word-lists", .readReplySettings, use: wordLists)
        routes.on(.get, "/v1/word-lists/:name", .readReplySettings, use: wordList)
        routes.on(.put, "/v1/word-lists/:name", .manageReplySettings, use: replaceWordList)
        routes.on(.delete, "/v1/word-lists/:name", .manageReplySettings) { _, context in
            try await mailbox.replies.deleteWordList(name: try context.parameters.require("name"), actor: context.identity!.actor)
            return Response(status: .noContent)
        }
        routes.on(.get, "/v1/review-policies", .readReplySettings) { _, _ in
            try jsonResponse(["items": try await policies()])
        }
        routes.on(.put, "/v1/review-policies/:category", .manageReplySettings, use: setPolicy)
        routes.on(.get, "/v1/admin/deliveries", .manageDeliveries, use: deliveries)
        routes.on(.post, "/v1/admin/deliveries/:id/redeliver", .manageDeliveries) { _, context in
            guard let id = Int64(try context.parameters.require("id")), id > 0 else {
                throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No such delivery.")
            }
            return try jsonResponse(DeliveryView(try await mailbox.replies.redeliver(id: id, actor: context.identity!.actor)))
        }
    }

    // MARK: 错敏字

    @Sendable func checkText(_ request: Request, context: AppRequestContext) async throws -> Response {
        try requireJSONContentType(request)
        let body = try decodeJSON(CheckBody.self, from: try await readBody(request, limit: Self.checkBodyLimit))
        guard let text = body.text else { throw Problem.validation([FieldError(field: "text", message: "is required")]) }
        // The cached checker serves the usual call (all lists); a chosen subset is built from the store.
        var (checker, names) = try await mailbox.currentCheckerAndLists()
        if let wanted = body.lists {
            let stored = try await mailbox.replies.wordLists()
            let known = Set(stored.map(\.name))
            let unknown = wanted.filter { !known.contains($0) }
            guard unknown.isEmpty else {
                throw Problem.validation([FieldError(field: "lists", message: "unknown list " + unknown.joined(separator: ", "))])
            }
            names = stored.map(\.name).filter(Set(wanted).contains)
            checker = try TextChecker(lists: stored.filter { names.contains($0.name) }.map(\.wordList))
        }
        return try jsonResponse(CheckResult(findings: checker.check(text), lists: names, entries: checker.entryCount))
    }

    @Sendable func wordLists(_ request: Request, context: AppRequestContext) async throws -> Response {
        let items = try await mailbox.replies.wordLists().map {
            WordListSummary(name: $0.name, kind: $0.kind, description: $0.description, entries: $0.entries.count, updatedAt: $0.updatedAt)
        }
        return try jsonResponse(["items": items])
    }

    func storedList(_ context: AppRequestContext) async throws -> StoredWordList {
        let name = try context.parameters.require("name")
        guard let list = try await mailbox.replies.wordLists().first(where: { $0.name == name }) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No word list \(name.prefix(64)).")
        }
        return list
    }

    static func view(_ l: StoredWordList) -> WordListView {
        WordListView(name: l.name, kind: l.kind, description: l.description,
                     entries: l.entries.map { .init(pattern: $0.pattern, suggestion: $0.suggestion) }, updatedAt: l.updatedAt)
    }

    @Sendable func wordList(_ request: Request, context: AppRequestContext) async throws -> Response {
        try jsonResponse(Self.view(try await storedList(context)))
    }

    /// Replaces a whole list; every entry must build (the checker refuses empty patterns).
    @Sendable func replaceWordList(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        try requireJSONContentType(request)
        let body = try decodeJSON(WordListBody.self, from: try await readBody(request, limit: 8 * 1024 * 1024))
        var v = FieldValidator()
        if name.wholeMatch(of: /[a-z0-9][a-z0-9_-]{0,63}/) == nil { v.fail("name", "must be 1–64 of a–z 0–9 _ -") }
        let kind = v.enumValue(body.kind, "kind", as: StoredWordList.Kind.self)
        let description = v.optionalText(body.description, "description", limit: 200)
        let entries = body.entries ?? []
        if body.entries == nil { v.fail("entries", "is required (an empty array clears the list)") }
        if entries.count > 100_000 { v.fail("entries", "at most 100,000 entries") }
        var seen = Set<String>()
        for (i, e) in entries.enumerated() {
            if e.pattern.isEmpty || e.pattern.count > 100 { v.fail("entries[\(i)].pattern", "must be 1–100 characters") }
            if (e.suggestion?.count ?? 0) > 100 { v.fail("entries[\(i)].suggestion", "at most 100 characters") }
            if !seen.insert(e.pattern).inserted { v.fail("entries[\(i)].pattern", "repeats an earlier entry") }
        }
        try v.finish()
        let list = StoredWordList(name: name, kind: kind!, description: description,
                                  entries: entries.enumerated().map { WordList.Entry(pattern: $1.pattern, suggestion: $1.suggestion, line: $0 + 1) })
        do {
            _ = try TextChecker(lists: [list.wordList])
        } catch {
            throw Problem.validation([FieldError(field: "entries", message: "\(error)")])
        }
        try await mailbox.replies.replaceWordList(list, actor: context.identity!.actor)
        return try jsonResponse(Self.view(try await storedList(context)))
    }

    // MARK: review steps

    func policies() async throws -> [PolicyView] {
        let stored = try await mailbox.replies.reviewPolicies()
        return LetterCategory.allCases.map { PolicyView(category: $0, steps: stored[$0] ?? .leadCentre) }
    }

    struct PolicyBody: Decodable { var steps: String? }

    @Sendable func setPolicy(_ request: Request, context: AppRequestContext) async throws -> Response {
        let raw = try context.parameters.require("category")
        guard let category = LetterCategory(rawValue: raw) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No category \(raw.prefix(32)).")
        }
        let body = try await decodeBody(PolicyBody.self, request)
        var v = FieldValidator()
        let steps = v.enumValue(body.steps, "steps", as: ReviewSteps.self)
        try v.finish()
        try await mailbox.replies.setReviewPolicy(category: category, steps: steps!, actor: context.identity!.actor)
        return try jsonResponse(PolicyView(category: category, steps: steps!))
    }

    // MARK: deliveries

    @Sendable func deliveries(_ request: Request, context: AppRequestContext) async throws -> Response {
        let p = request.uri.queryParameters
        let (limit, before) = try DirectoryController<Letters, Calendars, Staff>.pageParameters(p, allowed: ["state", "limit", "cursor"])
        var state: AppDelivery.State?
        if let s = p.get("state") {
            guard let parsed = AppDelivery.State(rawValue: s) else {
                throw Problem.validation([FieldError(field: "state", message: "must be pending, delivered or dead")])
            }
            state = parsed
        }
        let items = try await mailbox.replies.deliveries(state: state, limit: limit, beforeID: before).map(DeliveryView.init)
        return try jsonResponse(DirectoryController<Letters, Calendars, Staff>.Page(
            items: items, nextCursor: items.count == limit ? items.last.map { "\($0.id)" } : nil))
    }
}
