import Foundation
import MailboxCore
import Testing

/// The life cycle, the access policy and the routing rules: pure, no server.
@Suite("Letter workflow (pure core)")
struct WorkflowCoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_760_000_000)
    static let dispatcher = StaffIdentity(userID: 1, username: "disp", role: .dispatcher, departmentID: nil)
    static let handler = StaffIdentity(userID: 2, username: "h", role: .handler, departmentID: "housing")
    static let lead = StaffIdentity(userID: 3, username: "l", role: .lead, departmentID: "housing")
    static let otherHandler = StaffIdentity(userID: 4, username: "o", role: .handler, departmentID: "water")
    static let auditor = StaffIdentity(userID: 5, username: "a", role: .auditor, departmentID: nil)
    static let admin = StaffIdentity(userID: 6, username: "ad", role: .admin, departmentID: nil)
    static let departments: Set<String> = ["housing", "water", "education"]

    static func facts(_ status: LetterStatus, owner: String? = "housing", pending: PendingExtension.Stage? = nil,
                      draft: Bool = false, review: ReplyReview? = nil) -> LetterFacts {
        LetterFacts(
            status: status, ownership: LetterOwnership(ownerDepartmentID: owner, departments: owner.map { [$0] } ?? []),
            clock: SLAClock(receivedAt: t0, limitWorkingDays: 5),
            pendingExtension: pending.map { PendingExtension(workingDays: 2, reason: "r", requestedBy: "h", requestedAt: t0, stage: $0) },
            draft: draft ? ReplyDraft(revision: 1, text: "您好，已答复。", openFindings: 0) : nil, review: review)
    }

    /// An action with valid fields, and someone whose role may take it on a housing letter.
    static func sample(_ name: LetterActionName) -> (LetterAction, StaffIdentity) {
        switch name {
        case .accept: (.accept, dispatcher)
        case .reject: (.reject(reason: "超出受理范围"), dispatcher)
        case .route: (.route(departmentID: "water", cohandlers: ["education"]), dispatcher)
        case .transfer: (.transfer(departmentID: "water", cohandlers: [], reason: "属水务局职责"), dispatcher)
        case .sign: (.sign, handler)
        case .start: (.start, handler)
        case .pause: (.pause(reason: "请补充材料"), handler)
        case .resume: (.resume, handler)
        case .draftReply: (.draftReply(text: "您好，经核实……"), handler)
        case .submitReply: (.submitReply, handler)
        case .approveReply: (.approveReply(overrideReason: nil), lead)
        case .returnReply: (.returnReply(comment: "请补充政策依据"), lead)
        case .withhold: (.withhold(reason: "涉及他人隐私"), dispatcher)
        case .return: (.returnToCentre(reason: "非本单位职责"), handler)
        case .requestExtension: (.requestExtension(workingDays: 3, reason: "需会商"), handler)
        case .approveExtension: (.approveExtension, lead)
        case .denyExtension: (.denyExtension(reason: "理由不足"), lead)
        case .supervise: (.supervise(note: "请加快办理"), dispatcher)
        case .merge: (.merge(intoTrackingNo: "2026-0000001"), dispatcher)
        }
    }

    @Test("Every action is allowed from exactly the states its rule lists; elsewhere 409 names what is allowed",
          arguments: LetterActionName.allCases)
    func transitionTable(_ name: LetterActionName) throws {
        let (action, who) = Self.sample(name)
        for status in LetterStatus.allCases {
            // Extension approvals need a pending request; everything else needs none.
            let pending: PendingExtension.Stage? = (name == .approveExtension || name == .denyExtension) ? .lead : nil
            // Reply actions need a draft and, in review, its lead step (the only step here).
            let f = Self.facts(status, pending: pending, draft: true,
                               review: [.approveReply, .returnReply].contains(name) ? ReplyReview(stage: .lead, steps: .lead) : nil)
            let rule = LetterWorkflow.rule(name)
            do {
                let t = try LetterWorkflow.decide(action, on: f, by: who, at: Self.t0.addingTimeInterval(60), knownDepartments: Self.departments)
                #expect(rule.from.contains(status), "\(name) from \(status) should be refused")
                #expect(t.facts.status == (rule.to ?? status))
                #expect(t.data["from"] == status.rawValue && t.data["to"] == t.facts.status.rawValue)
            } catch let refusal {
                guard case .notAllowedNow(_, let s, _, let allowed) = refusal else {
                    Issue.record("\(name) from \(status): unexpected \(refusal)")
                    continue
                }
                #expect(!rule.from.contains(status), "\(name) from \(status) should be allowed")
                #expect(s == status)
                #expect(allowed == LetterWorkflow.allowedActions(f, for: who))
                #expect(!allowed.contains(name))
            }
        }
    }

    @Test("Final states allow nothing but keeping a closed letter's reply from publication")
    func finalStates() {
        for status in LetterStatus.allCases where status.isFinal {
            #expect(LetterWorkflow.allowedActions(Self.facts(status)) == (status == .closed ? [.withhold] : []))
        }
        var withheld = Self.facts(.closed)
        withheld.withheld = true
        #expect(LetterWorkflow.allowedActions(withheld).isEmpty)
    }

    @Test("Roles: the centre routes, the owning department works, the lead approves first, the centre last")
    func roles() throws {
        func refusal(_ a: LetterAction, _ f: LetterFacts, _ who: StaffIdentity) -> WorkflowRefusal? {
            do {
                _ = try LetterWorkflow.decide(a, on: f, by: who, at: Self.t0, knownDepartments: Self.departments)
                return nil
            } catch { return error }
        }
        func forbidden(_ r: WorkflowRefusal?) -> Bool { if case .notPermitted? = r { true } else { false } }
        #expect(forbidden(refusal(.accept, Self.facts(.received, owner: nil), Self.handler)))
        #expect(forbidden(refusal(.sign, Self.facts(.assigned), Self.dispatcher)))
        #expect(forbidden(refusal(.sign, Self.facts(.assigned), Self.otherHandler)))
        #expect(forbidden(refusal(.sign, Self.facts(.assigned), Self.auditor)))
        #expect(forbidden(refusal(.accept, Self.facts(.received, owner: nil), Self.admin)))
        #expect(refusal(.sign, Self.facts(.assigned), Self.lead) == nil)
        // Approvals: the lead at the lead stage only, the centre at its stage only.
        #expect(forbidden(refusal(.approveExtension, Self.facts(.processing, pending: .lead), Self.dispatcher)))
        #expect(forbidden(refusal(.approveExtension, Self.facts(.processing, pending: .lead), Self.handler)))
        #expect(forbidden(refusal(.approveExtension, Self.facts(.processing, pending: .dispatcher), Self.lead)))
        #expect(refusal(.approveExtension, Self.facts(.processing, pending: .dispatcher), Self.dispatcher) == nil)
        // A state refusal is a 409 for someone who could act in another state.
        guard case .notAllowedNow? = refusal(.sign, Self.facts(.processing), Self.handler) else {
            Issue.record("signing a letter in progress must be a state refusal")
            return
        }
    }

    @Test("Only the centre's approval moves the deadline; a second request waits for the first")
    func extensionStages() throws {
        var f = Self.facts(.processing)
        f = try LetterWorkflow.decide(.requestExtension(workingDays: 3, reason: "会商"), on: f, by: Self.handler, at: Self.t0,
                                      knownDepartments: []).facts
        #expect(f.pendingExtension?.stage == .lead && f.clock?.extensions.isEmpty == true)
        #expect(throws: WorkflowRefusal.self) {
            try LetterWorkflow.decide(.requestExtension(workingDays: 1, reason: "x"), on: f, by: Self.handler, at: Self.t0, knownDepartments: [])
        }
        let endorsed = try LetterWorkflow.decide(.approveExtension, on: f, by: Self.lead, at: Self.t0, knownDepartments: [])
        #expect(endorsed.event == .extensionEndorsed && endorsed.facts.clock?.extensions.isEmpty == true)
        let approved = try LetterWorkflow.decide(.approveExtension, on: endorsed.facts, by: Self.dispatcher, at: Self.t0, knownDepartments: [])
        #expect(approved.event == .slaExtended && approved.facts.clock?.extensions.map(\.workingDays) == [3])
        #expect(approved.facts.pendingExtension == nil)
        let denied = try LetterWorkflow.decide(.denyExtension(reason: "理由不足"), on: endorsed.facts, by: Self.dispatcher, at: Self.t0,
                                               knownDepartments: [])
        #expect(denied.event == .extensionDenied && denied.facts.pendingExtension == nil && denied.facts.clock?.extensions.isEmpty == true)
    }

    @Test("Routing, transfer and return keep every department that was involved; return empties the owner")
    func ownership() throws {
        var f = Self.facts(.accepted, owner: nil)
        f = try LetterWorkflow.decide(.route(departmentID: "housing", cohandlers: ["water"]), on: f, by: Self.dispatcher, at: Self.t0,
                                      knownDepartments: Self.departments).facts
        #expect(f.status == .assigned && f.ownership.ownerDepartmentID == "housing" && f.ownership.cohandlers == ["water"])
        f = try LetterWorkflow.decide(.transfer(departmentID: "education", cohandlers: [], reason: "职责调整"), on: f,
                                      by: Self.dispatcher, at: Self.t0, knownDepartments: Self.departments).facts
        #expect(f.ownership.ownerDepartmentID == "education" && f.ownership.departments == ["housing", "water", "education"])
        let educationHandler = StaffIdentity(userID: 9, username: "e", role: .handler, departmentID: "education")
        f = try LetterWorkflow.decide(.returnToCentre(reason: "非本单位职责"), on: f, by: educationHandler, at: Self.t0,
                                      knownDepartments: []).facts
        #expect(f.status == .accepted && f.ownership.ownerDepartmentID == nil && f.ownership.departments.count == 3)
        #expect(throws: WorkflowRefusal.invalid(field: "department_id", message: "unknown department nowhere")) {
            try LetterWorkflow.decide(.route(departmentID: "nowhere", cohandlers: []), on: f, by: Self.dispatcher, at: Self.t0,
                                      knownDepartments: Self.departments)
        }
        #expect(throws: WorkflowRefusal.invalid(field: "reason", message: "is required")) {
            try LetterWorkflow.decide(.reject(reason: "  "), on: f, by: Self.dispatcher, at: Self.t0, knownDepartments: [])
        }
    }

    @Test("Pause stops the clock from counting; only the final approval of the reply freezes it")
    func clock() throws {
        var f = Self.facts(.processing)
        f = try LetterWorkflow.decide(.pause(reason: "补充材料"), on: f, by: Self.handler, at: Self.t0.addingTimeInterval(100),
                                      knownDepartments: []).facts
        #expect(f.clock?.pauses.count == 1 && f.clock?.pauses[0].end == nil)
        f = try LetterWorkflow.decide(.draftReply(text: "已答复"), on: f, by: Self.handler, at: Self.t0.addingTimeInterval(150),
                                      knownDepartments: []).facts
        f = try LetterWorkflow.decide(.resume, on: f, by: Self.handler, at: Self.t0.addingTimeInterval(160), knownDepartments: []).facts
        f = try LetterWorkflow.decide(.submitReply, on: f, by: Self.handler, at: Self.t0.addingTimeInterval(170), knownDepartments: []).facts
        #expect(f.status == .reviewing && f.clock?.closedAt == nil && f.review == ReplyReview(stage: .lead, steps: .leadCentre))
        let endorsed = try LetterWorkflow.decide(.approveReply(overrideReason: nil), on: f, by: Self.lead,
                                                 at: Self.t0.addingTimeInterval(180), knownDepartments: [])
        #expect(endorsed.event == .replyApproved && endorsed.facts.status == .reviewing && endorsed.reply == nil)
        #expect(endorsed.facts.clock?.closedAt == nil && endorsed.facts.review?.stage == .dispatcher)
        // The lead may not give the centre's approval.
        #expect(throws: WorkflowRefusal.self) {
            try LetterWorkflow.decide(.approveReply(overrideReason: nil), on: endorsed.facts, by: Self.lead, at: Self.t0, knownDepartments: [])
        }
        let closed = try LetterWorkflow.decide(.approveReply(overrideReason: nil), on: endorsed.facts, by: Self.dispatcher,
                                               at: Self.t0.addingTimeInterval(200), knownDepartments: [])
        #expect(closed.facts.status == .closed && closed.event == .closed)
        #expect(closed.facts.clock?.pauses[0].end == Self.t0.addingTimeInterval(160))
        #expect(closed.facts.clock?.closedAt == Self.t0.addingTimeInterval(200) && closed.reply == "已答复")
    }

    @Test("Open 错敏字 findings refuse approval unless overridden with a reason, which goes into the event")
    func findingsBlockApproval() throws {
        var f = Self.facts(.reviewing, draft: true, review: ReplyReview(stage: .lead, steps: .lead))
        f.draft?.openFindings = 2
        #expect(throws: WorkflowRefusal.self) {
            try LetterWorkflow.decide(.approveReply(overrideReason: nil), on: f, by: Self.lead, at: Self.t0, knownDepartments: [])
        }
        #expect(throws: WorkflowRefusal.self) {
            try LetterWorkflow.decide(.approveReply(overrideReason: "  "), on: f, by: Self.lead, at: Self.t0, knownDepartments: [])
        }
        let t = try LetterWorkflow.decide(.approveReply(overrideReason: "专有名词，非错字"), on: f, by: Self.lead, at: Self.t0,
                                          knownDepartments: [])
        #expect(t.facts.status == .closed && t.data["override_reason"] == "专有名词，非错字" && t.data["open_findings"] == "2")
        f.draft?.openFindings = 0
        let clean = try LetterWorkflow.decide(.approveReply(overrideReason: nil), on: f, by: Self.lead, at: Self.t0, knownDepartments: [])
        #expect(clean.data["override_reason"] == nil)
    }

    @Test("Draft revisions never repeat, also after a release and a reopening; reopening happens once")
    func revisionsAndReopen() throws {
        var f = Self.facts(.processing)
        f.lastDraftRevision = 3
        let t = try LetterWorkflow.decide(.draftReply(text: "新答复"), on: f, by: Self.handler, at: Self.t0, knownDepartments: [])
        #expect(t.facts.draft?.revision == 4 && t.draftText == "新答复" && t.data["revision"] == "4")
        let closed = Self.facts(.closed)
        let reopened = try #require(LetterWorkflow.reopen(closed, clock: SLAClock(receivedAt: Self.t0, limitWorkingDays: 5)))
        #expect(reopened.facts.status == .processing && reopened.event == .reopened && reopened.facts.reopened)
        #expect(LetterWorkflow.reopen(reopened.facts, clock: nil) == nil)
        #expect(LetterWorkflow.reopen(Self.facts(.processing), clock: nil) == nil)
    }

    @Test("Who sees what: the centre and the owner in full, co-handlers and auditors masked, others not at all")
    func visibility() {
        let letter = LetterOwnership(ownerDepartmentID: "housing", cohandlers: ["water"], departments: ["education", "housing", "water"])
        let formerOnly = StaffIdentity(userID: 7, username: "e", role: .lead, departmentID: "education")
        let stranger = StaffIdentity(userID: 8, username: "s", role: .handler, departmentID: "transport")
        #expect(AccessPolicy.visibility(of: letter, to: Self.dispatcher) == .full)
        #expect(AccessPolicy.visibility(of: letter, to: Self.handler) == .full)
        #expect(AccessPolicy.visibility(of: letter, to: Self.lead) == .full)
        #expect(AccessPolicy.visibility(of: letter, to: Self.otherHandler) == .masked)
        #expect(AccessPolicy.visibility(of: letter, to: formerOnly) == .masked)
        #expect(AccessPolicy.visibility(of: letter, to: Self.auditor) == .masked)
        #expect(AccessPolicy.visibility(of: letter, to: stranger) == .hidden)
        #expect(AccessPolicy.visibility(of: letter, to: Self.admin) == .hidden)
        #expect(AccessPolicy.scope(for: stranger) == .department("transport"))
        #expect(AccessPolicy.scope(for: Self.auditor) == .all && AccessPolicy.scope(for: Self.admin) == .none)
    }

    @Test("Masking: 张*, 138****1234, 110228********1232")
    func masking() {
        let c = LetterContent(category: .help, title: "t", body: "b", writerName: "张三", phone: "13812341234",
                              idCard: "110228199001011232", address: "北京市密云区鼓楼街道某小区3号楼", publishConsent: false).masked
        #expect(c.writerName == "张*" && c.phone == "138****1234" && c.idCard == "110228********1232")
        #expect(c.address == "北京市密云区****")
    }

    @Test("Routing rules: first match by priority; every criterion set must hold")
    func routingRules() {
        let content = LetterContent(category: .complaint, title: "小区供暖不热", body: "暖气温度太低", writerName: "李四",
                                    phone: "13900139000", town: "鼓楼街道", publishConsent: false)
        let rules = [
            RoutingRule(id: 1, priority: 20, keywords: ["供暖", "暖气"], departmentID: "housing"),
            RoutingRule(id: 2, priority: 10, category: .complaint, town: "果园街道", departmentID: "guoyuan"),
            RoutingRule(id: 3, priority: 5, keywords: ["供暖"], departmentID: "urban-management", enabled: false),
            RoutingRule(id: 4, priority: 30, category: .complaint, departmentID: "gulou"),
        ]
        #expect(RoutingRule.firstMatch(rules, for: content)?.id == 1)
        var elsewhere = content
        elsewhere.town = "果园街道"
        #expect(RoutingRule.firstMatch(rules, for: elsewhere)?.id == 2)
        var other = content
        other.title = "噪音扰民"
        other.body = "夜间施工"
        #expect(RoutingRule.firstMatch(rules, for: other)?.id == 4)
        other.category = .consultation
        #expect(RoutingRule.firstMatch(rules, for: other) == nil)
    }
}
