public import Foundation
public import MailboxCore

/// A letter ready to be written: validated content plus everything derived at intake.
public struct NewLetter: Sendable {
    public var content: LetterContent
    public var channel: LetterChannel
    public var channelRef: String?
    /// Hex SHA-256 of the raw delivery (webhook) so a conflicting reuse of channelRef is caught.
    public var intakeDigest: String?
    public var citizenKey: String
    /// Hex SHA-256 of the citizen's query code.
    public var queryCodeHash: String
    public var receivedAt: Date
    public var status: LetterStatus = .received
    public var departmentID: String?
    /// The routing rule that routed the letter at intake (status `assigned`, a `routed` event).
    public var routedBy: RoutingRule?
    public var sla: SLAColumns
    /// Given for imported letters; generated (year + sequence) otherwise.
    public var trackingNo: String?
    public var closedAt: Date?
    public var reply: String?
    public var imported: Bool = false
    /// The first events of the letter's history, in order (at least `received` or `imported`).
    public var events: [NewEvent]

    public init(content: LetterContent, channel: LetterChannel, channelRef: String? = nil, intakeDigest: String? = nil,
                citizenKey: String, queryCodeHash: String, receivedAt: Date, sla: SLAColumns, events: [NewEvent]) {
        self.content = content
        self.channel = channel
        self.channelRef = channelRef
        self.intakeDigest = intakeDigest
        self.citizenKey = citizenKey
        self.queryCodeHash = queryCodeHash
        self.receivedAt = receivedAt
        self.sla = sla
        self.events = events
    }
}

/// The SLA clock's state as stored on a letter (docs/sla.md).
public struct SLAColumns: Sendable, Hashable {
    public enum State: String, Sendable { case running, paused, stopped, calendarIncomplete = "calendar_incomplete" }
    /// The clock's inputs (receipt, rule, pauses, extensions, closure) as JSON.
    public var clockJSON: String?
    public var state: State
    public var dueAt: Date?
    public var warnAt: Date?
    public var elapsedBusinessSeconds: Int64?
    public var deadlineMet: Bool?
    /// Computed on the plain weekday rule for a year whose notice is not loaded (recomputed when it is).
    public var provisional: Bool

    public init(clockJSON: String?, state: State, dueAt: Date? = nil, warnAt: Date? = nil,
                elapsedBusinessSeconds: Int64? = nil, deadlineMet: Bool? = nil, provisional: Bool = false) {
        self.provisional = provisional
        self.clockJSON = clockJSON
        self.state = state
        self.dueAt = dueAt
        self.warnAt = warnAt
        self.elapsedBusinessSeconds = elapsedBusinessSeconds
        self.deadlineMet = deadlineMet
    }
}

public struct NewEvent: Sendable, Hashable {
    public var kind: LetterEventKind
    public var occurredAt: Date
    public var actor: String
    /// JSON object text with the event's details (never personal data).
    public var dataJSON: String

    public init(kind: LetterEventKind, occurredAt: Date, actor: String, dataJSON: String = "{}") {
        self.kind = kind
        self.occurredAt = occurredAt
        self.actor = actor
        self.dataJSON = dataJSON
    }
}

/// A stored letter as staff see it.
public struct LetterRecord: Sendable, Hashable {
    public var id: Int64
    public var trackingNo: String
    public var channel: LetterChannel
    public var channelRef: String?
    public var intakeDigest: String?
    public var content: LetterContent
    public var citizenKey: String
    public var queryCodeHash: String
    public var status: LetterStatus
    public var departmentID: String?
    public var departmentName: String?
    public var receivedAt: Date
    public var sla: SLAColumns
    public var closedAt: Date?
    public var reply: String?
    public var imported: Bool
    public var version: Int
    public var cohandlers: [String] = []
    public var departments: [String] = []
    public var supervised: Bool = false
    public var mergedIntoTrackingNo: String?
    public var pendingExtension: PendingExtension?
    /// The reply draft not yet released, if any (staff only; never shown to the public).
    public var draft: StoredDraft?
    public var review: ReplyReview?
    public var reviewSteps: ReviewSteps = .leadCentre
    public var lastDraftRevision = 0
    /// How many replies were released (1, or 2 after a re-handling).
    public var releaseRound = 0
    public var withheld = false
    public var reopenedAt: Date?

    public var ownership: LetterOwnership {
        LetterOwnership(ownerDepartmentID: departmentID, cohandlers: cohandlers, departments: departments)
    }

    /// What the life cycle decides on.
    public var facts: LetterFacts {
        let clock = sla.clockJSON.flatMap(SLAClock.decodeStored)
        return LetterFacts(status: status, ownership: ownership, clock: clock, pendingExtension: pendingExtension,
                           supervised: supervised, mergedIntoTrackingNo: mergedIntoTrackingNo,
                           draft: draft.map { ReplyDraft(revision: $0.revision, text: $0.text, openFindings: $0.findingsCount) },
                           review: review, reviewSteps: reviewSteps, withheld: withheld, reopened: reopenedAt != nil,
                           lastDraftRevision: lastDraftRevision)
    }
}

/// A saved revision of a reply draft.
public struct StoredDraft: Sendable, Hashable {
    public var revision: Int
    public var text: String
    public var author: String
    public var createdAt: Date
    /// How many 错敏字 findings it had when it was saved (callers re-check with today's lists).
    public var findingsCount: Int
}

/// 满意度评价: the citizen's rating of a released reply.
public struct LetterRating: Sendable, Hashable {
    public enum Satisfaction: String, Sendable, Codable, CaseIterable, Hashable {
        /// 满意
        case satisfied
        /// 基本满意
        case basicallySatisfied = "basically_satisfied"
        /// 不满意
        case dissatisfied

        public var chineseName: String {
            switch self {
            case .satisfied: "满意"
            case .basicallySatisfied: "基本满意"
            case .dissatisfied: "不满意"
            }
        }
    }
    public var satisfaction: Satisfaction
    /// 已解决 / 未解决.
    public var resolved: Bool
    public var comment: String?
    public var channel: LetterChannel

    public init(satisfaction: Satisfaction, resolved: Bool, comment: String?, channel: LetterChannel) {
        self.satisfaction = satisfaction
        self.resolved = resolved
        self.comment = comment
        self.channel = channel
    }
}

/// A stored rating, with the release round it rates.
public struct StoredRating: Sendable, Hashable {
    public var round: Int
    public var rating: LetterRating
    public var ratedAt: Date
    public var reopened: Bool
}

public struct LetterEventRecord: Sendable, Hashable {
    public var version: Int
    public var kind: String
    public var occurredAt: Date
    public var actor: String
    public var actorRole: String?
    public var isPublic: Bool
    public var dataJSON: String
}

public enum IntakeOutcome: Sendable {
    case created(LetterRecord)
    /// The channel already delivered this letter; `sameDelivery` is false when the content differs.
    case existing(LetterRecord, sameDelivery: Bool)
}

/// Persistence of letters: the interface the HTTP layer depends on.
public protocol LetterStore: Sendable {
    /// Answers within `timeout` or throws: for /readyz.
    func ping(timeout: Duration) async throws
    /// Stores a letter and its first event atomically; idempotent on (channel, channelRef).
    func intake(_ letter: NewLetter) async throws -> IntakeOutcome
    func letter(trackingNo: String) async throws -> LetterRecord?
    /// The letter a channel delivered under its own id (the app's letter id).
    func letter(channel: LetterChannel, channelRef: String) async throws -> LetterRecord?
    func events(letterID: Int64, publicOnly: Bool) async throws -> [LetterEventRecord]
    /// Stores all letters in one transaction, or none (StoreError.importRejected with line numbers).
    func importLetters(_ letters: [(line: Int, letter: NewLetter)]) async throws -> Int
    /// Writes a decided transition: the letter's new facts and SLA columns and one event, only if
    /// the letter is still at `expectedVersion` (else StoreError.staleVersion).
    func apply(_ transition: LetterTransition, letterID: Int64, expectedVersion: Int, sla: SLAColumns,
               by who: StaffIdentity, at now: Date) async throws -> LetterRecord
    /// One page of a work list, within `scope`.
    func workList(_ query: WorkListQuery, scope: LetterScope) async throws -> WorkListPage
    /// 个人信息查阅记录: records that `who` saw the letter's unmasked personal data.
    func recordPersonalDataRead(by who: StaffIdentity, letterID: Int64, trackingNo: String, purpose: String) async throws
    /// Ids of the departments letters may be routed to (active ones).
    func activeDepartmentIDs() async throws -> Set<String>
    /// Records a rating of the letter's current release round with its `rated` event and, when
    /// `reopen` is given, the 重办 transition, atomically at `expectedVersion`. A second rating of
    /// the same round is StoreError.conflict.
    func rate(letterID: Int64, expectedVersion: Int, round: Int, _ rating: LetterRating,
              reopen: (LetterTransition, SLAColumns)?, at now: Date) async throws -> LetterRecord
    func ratings(letterID: Int64) async throws -> [StoredRating]
}
