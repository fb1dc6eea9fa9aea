import Foundation

/// What a staff member asks to do with a letter.
public enum LetterAction: Sendable, Hashable {
    /// 受理: the centre accepts the letter for handling.
    case accept
    /// 不予受理: out of scope, abusive…; final.
    case reject(reason: String)
    /// 转办: the centre routes an accepted letter to a department, optionally with 协办 departments.
    case route(departmentID: String, cohandlers: [String])
    /// 改派: the centre moves an assigned letter to another department.
    case transfer(departmentID: String, cohandlers: [String], reason: String)
    /// 签收: the department accepts the letter assigned to it.
    case sign
    /// 开始办理.
    case start
    /// 待补充: wait for the citizen's supplementary information; the clock pauses.
    case pause(reason: String)
    /// The citizen answered; the clock resumes.
    case resume
    /// 答复拟稿: saves a new revision of the reply draft (never visible outside the staff).
    case draftReply(text: String)
    /// 提交审核: sends the current draft to its reviewers.
    case submitReply
    /// 审核通过 at the draft's current step; the final approval releases the reply, closes the
    /// letter and stops its clock. Open 错敏字 findings refuse it unless `overrideReason` is given.
    case approveReply(overrideReason: String?)
    /// 退回修改: the reviewer sends the draft back to the department with a comment.
    case returnReply(comment: String)
    /// 不予公开: the centre keeps a released reply out of publication.
    case withhold(reason: String)
    /// 退回: not this department's business; back to the centre's triage queue.
    case returnToCentre(reason: String)
    /// 延期申请: the handler asks for more working days.
    case requestExtension(workingDays: Int, reason: String)
    /// Approves the pending extension at its stage: the lead first, then the centre (final).
    case approveExtension
    case denyExtension(reason: String)
    /// 督办: the centre marks the letter for supervision with a note.
    case supervise(note: String)
    /// 合并: the letter duplicates another (given by tracking number); it closes pointing to it.
    case merge(intoTrackingNo: String)

    public var name: LetterActionName {
        switch self {
        case .accept: .accept
        case .reject: .reject
        case .route: .route
        case .transfer: .transfer
        case .sign: .sign
        case .start: .start
        case .pause: .pause
        case .resume: .resume
        case .draftReply: .draftReply
        case .submitReply: .submitReply
        case .approveReply: .approveReply
        case .returnReply: .returnReply
        case .withhold: .withhold
        case .returnToCentre: .return
        case .requestExtension: .requestExtension
        case .approveExtension: .approveExtension
        case .denyExtension: .denyExtension
        case .supervise: .supervise
        case .merge: .merge
        }
    }
}

/// The actions by name: the path segment of `POST /v1/letters/{tracking}/{action}`.
public enum LetterActionName: String, Sendable, CaseIterable, Hashable, Codable {
    case accept, reject, route, transfer, sign, start, pause, resume
    case `return`
    case requestExtension = "request-extension"
    case approveExtension = "approve-extension"
    case denyExtension = "deny-extension"
    case supervise, merge
    case draftReply = "draft-reply"
    case submitReply = "submit-reply"
    case approveReply = "approve-reply"
    case returnReply = "return-reply"
    case withhold
}

/// 审核流程: who reviews a reply before it is released, configured per category.
public enum ReviewSteps: String, Sendable, Codable, CaseIterable, Hashable {
    /// The department lead only.
    case lead
    /// The department lead, then the mailbox centre.
    case leadCentre = "lead_centre"
}

/// A reply draft's review in flight: its current step and the steps it needs.
public struct ReplyReview: Sendable, Hashable, Codable {
    public enum Stage: String, Sendable, Codable, Hashable { case lead, dispatcher }
    public var stage: Stage
    public var steps: ReviewSteps

    public init(stage: Stage, steps: ReviewSteps) {
        self.stage = stage
        self.steps = steps
    }

    /// Whether an approval at the current step releases the reply.
    public var isFinalStep: Bool { stage == .dispatcher || steps == .lead }
}

/// The current revision of a reply draft, as the life cycle decides on it.
public struct ReplyDraft: Sendable, Hashable {
    public var revision: Int
    public var text: String
    /// 错敏字 findings in this text under the current lists.
    public var openFindings: Int

    public init(revision: Int, text: String, openFindings: Int) {
        self.revision = revision
        self.text = text
        self.openFindings = openFindings
    }
}

/// Who may take an action on a given letter.
public enum ActorRule: Sendable, Hashable {
    /// The mailbox centre.
    case dispatcher
    /// A handler or the lead of the department that owns the letter now.
    case ownerDepartment
    /// The lead of the department that owns the letter now.
    case ownerLead
    /// Nobody on the staff: the citizen (a rating reopens the letter).
    case citizen

    public func admits(_ who: StaffIdentity, owner: String?) -> Bool {
        switch self {
        case .dispatcher: who.role == .dispatcher
        case .ownerDepartment: (who.role == .handler || who.role == .lead) && owner != nil && who.departmentID == owner
        case .ownerLead: who.role == .lead && owner != nil && who.departmentID == owner
        case .citizen: false
        }
    }
}

/// 延期申请 in flight: approved by the department lead, then by the centre; only the final
/// approval moves the deadline.
public struct PendingExtension: Sendable, Hashable, Codable {
    public enum Stage: String, Sendable, Codable, Hashable { case lead, dispatcher }
    public var workingDays: Int
    public var reason: String
    public var requestedBy: String
    public var requestedAt: Date
    public var stage: Stage

    public init(workingDays: Int, reason: String, requestedBy: String, requestedAt: Date, stage: Stage) {
        self.workingDays = workingDays
        self.reason = reason
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.stage = stage
    }

    enum CodingKeys: String, CodingKey {
        case workingDays = "working_days", reason, requestedBy = "requested_by", requestedAt = "requested_at", stage
    }
}

/// Everything about a letter the life cycle decides on.
public struct LetterFacts: Sendable, Hashable {
    public var status: LetterStatus
    public var ownership: LetterOwnership
    /// nil for letters whose clock could not be started (imported without one).
    public var clock: SLAClock?
    public var pendingExtension: PendingExtension?
    public var supervised: Bool
    public var mergedIntoTrackingNo: String?
    /// The current reply draft, if one was saved since the last release.
    public var draft: ReplyDraft?
    /// The draft's review in flight (status `reviewing`).
    public var review: ReplyReview?
    /// The review steps the letter's category asks for now.
    public var reviewSteps: ReviewSteps
    /// 不予公开.
    public var withheld: Bool
    /// 重办 happened already (a letter is reopened once at most).
    public var reopened: Bool
    /// The highest draft revision ever saved (released ones included): revisions never repeat.
    public var lastDraftRevision: Int

    public init(status: LetterStatus, ownership: LetterOwnership, clock: SLAClock?, pendingExtension: PendingExtension? = nil,
                supervised: Bool = false, mergedIntoTrackingNo: String? = nil, draft: ReplyDraft? = nil,
                review: ReplyReview? = nil, reviewSteps: ReviewSteps = .leadCentre, withheld: Bool = false,
                reopened: Bool = false, lastDraftRevision: Int? = nil) {
        self.status = status
        self.ownership = ownership
        self.clock = clock
        self.pendingExtension = pendingExtension
        self.supervised = supervised
        self.mergedIntoTrackingNo = mergedIntoTrackingNo
        self.draft = draft
        self.review = review
        self.reviewSteps = reviewSteps
        self.withheld = withheld
        self.reopened = reopened
        self.lastDraftRevision = lastDraftRevision ?? draft?.revision ?? 0
    }
}

/// The result of an allowed action: the letter's new facts and the one event that records it.
public struct LetterTransition: Sendable, Hashable {
    public var facts: LetterFacts
    public var event: LetterEventKind
    /// Event details (never personal data): always `from` and `to` status, plus the action's own.
    public var data: [String: String]
    /// The released reply text (the final approval).
    public var reply: String?
    /// A new draft revision's text, to be stored as `facts.draft.revision`.
    public var draftText: String?
    /// The 错敏字 findings of the new draft as JSON (the caller checks the text and sets them).
    public var draftFindingsJSON = "[]"
    /// The draft revision the final approval released.
    public var releasedRevision: Int?

    public init(facts: LetterFacts, event: LetterEventKind, data: [String: String], reply: String? = nil,
                draftText: String? = nil, releasedRevision: Int? = nil) {
        self.facts = facts
        self.event = event
        self.data = data
        self.reply = reply
        self.draftText = draftText
        self.releasedRevision = releasedRevision
    }
}

/// Why an action was refused; the HTTP layer maps these to 403, 409 and 422.
public enum WorkflowRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The role may never take this action on this letter (403).
    case notPermitted(LetterActionName, String)
    /// Not allowed in the letter's current state (409), with what is allowed now.
    case notAllowedNow(LetterActionName, status: LetterStatus, why: String, allowed: [LetterActionName])
    /// A field of the action is wrong (422).
    case invalid(field: String, message: String)

    public var description: String {
        switch self {
        case .notPermitted(let a, let why): "\(a.rawValue) is not permitted: \(why)"
        case .notAllowedNow(let a, let status, let why, let allowed):
            "\(a.rawValue) is not allowed while the letter is \(status.rawValue) (\(why)); allowed now: "
                + (allowed.isEmpty ? "none" : allowed.map(\.rawValue).joined(separator: ", "))
        case .invalid(let field, let message): "\(field) \(message)"
        }
    }
}

/// 办理流程: the one state machine of a letter (docs/workflow.md). `rules` is the table — per
/// action, the states it is allowed from, who may take it and the state it leads to; everything
/// else (which actions are allowed now, the 409 answers) is derived from it.
public enum LetterWorkflow {
    public static let maxExtensionDays = 30

    public struct Rule: Sendable {
        public var action: LetterActionName
        public var from: Set<LetterStatus>
        /// nil: the status does not change.
        public var to: LetterStatus?
        public var event: LetterEventKind
    }

    static let open: Set<LetterStatus> = [.received, .accepted, .assigned, .signed, .processing, .awaitingCitizen, .reviewing]
    static let working: Set<LetterStatus> = [.signed, .processing, .awaitingCitizen]

    public static let rules: [Rule] = [
        Rule(action: .accept, from: [.received], to: .accepted, event: .accepted),
        Rule(action: .reject, from: [.received, .accepted], to: .rejected, event: .rejected),
        Rule(action: .route, from: [.accepted], to: .assigned, event: .routed),
        Rule(action: .transfer, from: [.assigned, .signed, .processing], to: .assigned, event: .transferred),
        Rule(action: .sign, from: [.assigned], to: .signed, event: .signed),
        Rule(action: .start, from: [.signed], to: .processing, event: .started),
        Rule(action: .pause, from: [.processing], to: .awaitingCitizen, event: .slaPaused),
        Rule(action: .resume, from: [.awaitingCitizen], to: .processing, event: .slaResumed),
        Rule(action: .draftReply, from: [.processing, .awaitingCitizen], to: nil, event: .replyDrafted),
        Rule(action: .submitReply, from: [.processing], to: .reviewing, event: .replySubmitted),
        // A step that is not the last keeps the letter in review (event reply_approved).
        Rule(action: .approveReply, from: [.reviewing], to: .closed, event: .closed),
        Rule(action: .returnReply, from: [.reviewing], to: .processing, event: .replyReturned),
        // Before the release too, so that a reply never appears in public for a moment.
        Rule(action: .withhold, from: open.union([.closed]), to: nil, event: .withheld),
        Rule(action: .return, from: [.assigned, .signed, .processing], to: .accepted, event: .returned),
        Rule(action: .requestExtension, from: working, to: nil, event: .extensionRequested),
        Rule(action: .approveExtension, from: working, to: nil, event: .slaExtended),
        Rule(action: .denyExtension, from: working, to: nil, event: .extensionDenied),
        Rule(action: .supervise, from: open, to: nil, event: .supervised),
        Rule(action: .merge, from: open, to: .merged, event: .merged),
    ]

    public static func rule(_ name: LetterActionName) -> Rule { rules.first { $0.action == name }! }

    /// Who may take `action` on the letter as it stands (approvals depend on the pending stage).
    public static func actor(for action: LetterActionName, _ facts: LetterFacts) -> ActorRule {
        switch action {
        case .accept, .reject, .route, .transfer, .supervise, .merge, .withhold: .dispatcher
        case .sign, .start, .pause, .resume, .return, .requestExtension, .draftReply, .submitReply: .ownerDepartment
        case .approveExtension, .denyExtension: facts.pendingExtension?.stage == .dispatcher ? .dispatcher : .ownerLead
        case .approveReply, .returnReply: facts.review?.stage == .dispatcher ? .dispatcher : .ownerLead
        }
    }

    /// Why the letter's state refuses `action` beyond its from-states, or nil.
    static func stateGuard(_ action: LetterActionName, _ facts: LetterFacts) -> String? {
        switch action {
        case .requestExtension: facts.pendingExtension != nil ? "an extension request is already pending" : nil
        case .approveExtension, .denyExtension: facts.pendingExtension == nil ? "no extension request is pending" : nil
        case .submitReply: facts.draft == nil ? "there is no reply draft to submit (draft-reply first)" : nil
        case .withhold: facts.withheld ? "the letter is withheld already" : nil
        default: nil
        }
    }

    /// Actions the letter's state allows now; with `who`, only those that person may take.
    public static func allowedActions(_ facts: LetterFacts, for who: StaffIdentity? = nil) -> [LetterActionName] {
        rules.compactMap { r in
            guard r.from.contains(facts.status), stateGuard(r.action, facts) == nil else { return nil }
            if let who, !actor(for: r.action, facts).admits(who, owner: facts.ownership.ownerDepartmentID) { return nil }
            return r.action
        }
    }

    /// Decides an action: the new facts and their event, or why not. `knownDepartments` are the
    /// active department ids (routing targets must be among them).
    public static func decide(_ action: LetterAction, on facts: LetterFacts, by who: StaffIdentity, at now: Date,
                              knownDepartments: Set<String>) throws(WorkflowRefusal) -> LetterTransition {
        let name = action.name
        let r = rule(name)
        let owner = facts.ownership.ownerDepartmentID
        // A role that can never take this action is refused outright (403); then the state (409);
        // then whether this person, in this department, may take it on this letter now (403).
        guard rolesEverAllowed(name).contains(who.role) else {
            throw .notPermitted(name, permissionText(actor(for: name, facts)))
        }
        guard r.from.contains(facts.status) else {
            throw .notAllowedNow(name, status: facts.status,
                                 why: "allowed only while " + r.from.map(\.rawValue).sorted().joined(separator: ", "),
                                 allowed: allowedActions(facts, for: who))
        }
        if let why = stateGuard(name, facts) {
            throw .notAllowedNow(name, status: facts.status, why: why, allowed: allowedActions(facts, for: who))
        }
        guard actor(for: name, facts).admits(who, owner: owner) else {
            throw .notPermitted(name, permissionText(actor(for: name, facts)))
        }

        var next = facts
        if let to = r.to { next.status = to }
        var data = ["from": facts.status.rawValue, "to": next.status.rawValue]
        var reply: String?
        var draftText: String?
        var event = r.event

        func requireText(_ text: String, _ field: String, limit: Int = 500) throws(WorkflowRefusal) {
            if text.trimmingASCIIWhitespace().isEmpty { throw .invalid(field: field, message: "is required") }
            // Counted as sent, in code points (JSON Schema's maxLength).
            if text.unicodeScalars.count > limit { throw .invalid(field: field, message: "at most \(limit) characters") }
        }
        func departments(_ dept: String, _ cohandlers: [String]) throws(WorkflowRefusal) {
            guard knownDepartments.contains(dept) else { throw .invalid(field: "department_id", message: "unknown department \(dept)") }
            for c in cohandlers where !knownDepartments.contains(c) {
                throw .invalid(field: "cohandlers", message: "unknown department \(c)")
            }
            if cohandlers.contains(dept) { throw .invalid(field: "cohandlers", message: "must not include the owning department") }
            if Set(cohandlers).count != cohandlers.count { throw .invalid(field: "cohandlers", message: "lists a department twice") }
            if cohandlers.count > 10 { throw .invalid(field: "cohandlers", message: "at most 10 departments") }
            next.ownership.ownerDepartmentID = dept
            next.ownership.cohandlers = cohandlers
            for d in [dept] + cohandlers where !next.ownership.departments.contains(d) {
                next.ownership.departments.append(d)
            }
            data["department_id"] = dept
            if !cohandlers.isEmpty { data["cohandlers"] = cohandlers.joined(separator: ",") }
        }

        switch action {
        case .accept, .sign, .start:
            break
        case .reject(let reason):
            try requireText(reason, "reason")
            data["reason"] = reason
            next.pendingExtension = nil
        case .route(let dept, let cohandlers):
            try departments(dept, cohandlers)
        case .transfer(let dept, let cohandlers, let reason):
            try requireText(reason, "reason")
            guard dept != owner else { throw .invalid(field: "department_id", message: "is already the owning department") }
            if let owner { data["from_department_id"] = owner }
            try departments(dept, cohandlers)
            data["reason"] = reason
            next.pendingExtension = nil
            // The new department writes its own reply.
            next.draft = nil
        case .pause(let reason):
            try requireText(reason, "reason")
            data["reason"] = reason
            if var clock = next.clock {
                guard !(clock.pauses.last.map { $0.end == nil } ?? false) else {
                    throw .notAllowedNow(name, status: facts.status, why: "the clock is already paused", allowed: allowedActions(facts, for: who))
                }
                clock.pauses.append(SLAPause(start: max(now, clock.receivedAt), end: nil))
                next.clock = clock
            }
        case .resume:
            if var clock = next.clock, let last = clock.pauses.indices.last, clock.pauses[last].end == nil {
                clock.pauses[last].end = now
                next.clock = clock
            }
        case .draftReply(let text):
            try requireText(text, "text", limit: LetterLimits.reply)
            let revision = max(facts.draft?.revision ?? 0, facts.lastDraftRevision) + 1
            next.draft = ReplyDraft(revision: revision, text: text, openFindings: 0)
            next.lastDraftRevision = revision
            draftText = text
            data["revision"] = "\(revision)"
        case .submitReply:
            let review = ReplyReview(stage: .lead, steps: facts.reviewSteps)
            next.review = review
            data["revision"] = "\(facts.draft!.revision)"
            data["steps"] = review.steps.rawValue
        case .approveReply(let overrideReason):
            let draft = facts.draft!, review = facts.review!
            data["revision"] = "\(draft.revision)"
            data["stage"] = review.stage.rawValue
            if draft.openFindings > 0 {
                guard let why = overrideReason, !why.trimmingASCIIWhitespace().isEmpty else {
                    throw .invalid(field: "override_reason",
                                   message: "is required: the draft has \(draft.openFindings) open 错敏字 finding(s); correct the draft or approve with a reason")
                }
                try requireText(why, "override_reason")
                data["override_reason"] = why
                data["open_findings"] = "\(draft.openFindings)"
            }
            if review.isFinalStep {
                // 审核通过并发布: the reply goes out, the letter closes, the clock stops.
                reply = draft.text
                next.review = nil
                next.draft = nil
                next.pendingExtension = nil
                if var clock = next.clock {
                    if let last = clock.pauses.indices.last, clock.pauses[last].end == nil { clock.pauses[last].end = now }
                    clock.closedAt = now
                    next.clock = clock
                }
            } else {
                event = .replyApproved
                next.status = facts.status
                next.review?.stage = .dispatcher
                data["to"] = facts.status.rawValue
            }
        case .returnReply(let comment):
            try requireText(comment, "comment")
            data["comment"] = comment
            data["stage"] = facts.review!.stage.rawValue
            next.review = nil
        case .withhold(let reason):
            try requireText(reason, "reason")
            data["reason"] = reason
            next.withheld = true
        case .returnToCentre(let reason):
            try requireText(reason, "reason")
            data["reason"] = reason
            if let owner { data["from_department_id"] = owner }
            next.ownership.ownerDepartmentID = nil
            next.ownership.cohandlers = []
            next.pendingExtension = nil
            next.draft = nil
        case .requestExtension(let days, let reason):
            guard (1...maxExtensionDays).contains(days) else {
                throw .invalid(field: "working_days", message: "must be 1–\(maxExtensionDays)")
            }
            try requireText(reason, "reason")
            next.pendingExtension = PendingExtension(workingDays: days, reason: reason, requestedBy: who.username,
                                                     requestedAt: now, stage: .lead)
            data["working_days"] = "\(days)"
            data["reason"] = reason
        case .approveExtension:
            let pending = facts.pendingExtension!
            data["working_days"] = "\(pending.workingDays)"
            data["stage"] = pending.stage.rawValue
            if pending.stage == .lead {
                // The lead's approval forwards it to the centre; the deadline does not move yet.
                event = .extensionEndorsed
                next.pendingExtension?.stage = .dispatcher
            } else {
                data["reason"] = pending.reason
                next.pendingExtension = nil
                if var clock = next.clock {
                    clock.extensions.append(SLAExtension(workingDays: pending.workingDays, approvedAt: now, reason: pending.reason))
                    next.clock = clock
                }
            }
        case .denyExtension(let reason):
            try requireText(reason, "reason")
            data["reason"] = reason
            data["stage"] = facts.pendingExtension!.stage.rawValue
            next.pendingExtension = nil
        case .supervise(let note):
            try requireText(note, "note")
            data["note"] = note
            next.supervised = true
        case .merge(let into):
            data["into"] = into
            next.mergedIntoTrackingNo = into
            next.pendingExtension = nil
            next.draft = nil
            next.review = nil
        }
        return LetterTransition(facts: next, event: event, data: data, reply: reply, draftText: draftText,
                                releasedRevision: reply == nil ? nil : facts.draft?.revision)
    }

    /// 重办: an unsatisfied rating within the window reopens a closed letter once, to the same
    /// department, with `clock` (a new clock started now). nil when it may not be reopened.
    public static func reopen(_ facts: LetterFacts, clock: SLAClock?) -> LetterTransition? {
        guard facts.status == .closed, !facts.reopened, facts.ownership.ownerDepartmentID != nil else { return nil }
        var next = facts
        next.status = .processing
        next.reopened = true
        next.clock = clock
        next.draft = nil
        next.review = nil
        return LetterTransition(facts: next, event: .reopened,
                                data: ["from": facts.status.rawValue, "to": next.status.rawValue], reply: nil, draftText: nil)
    }

    /// The roles that may take `action` on some letter in some state.
    public static func rolesEverAllowed(_ action: LetterActionName) -> Set<StaffRole> {
        switch action {
        case .accept, .reject, .route, .transfer, .supervise, .merge, .withhold: [.dispatcher]
        case .sign, .start, .pause, .resume, .return, .requestExtension, .draftReply, .submitReply: [.handler, .lead]
        case .approveExtension, .denyExtension, .approveReply, .returnReply: [.lead, .dispatcher]
        }
    }

    static func permissionText(_ rule: ActorRule) -> String {
        switch rule {
        case .dispatcher: "only the mailbox centre (dispatcher) may do this"
        case .ownerDepartment: "only the department that owns the letter may do this"
        case .ownerLead: "only the lead of the department that owns the letter may do this"
        case .citizen: "only the citizen may do this"
        }
    }
}
