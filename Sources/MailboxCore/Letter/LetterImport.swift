import Foundation

/// One line of a historical import file (JSON Lines) from the previous mailbox system.
/// Carries the original times, channel, status and, for closed letters, closure time and reply.
public struct LetterImportLine: Sendable, Decodable {
    public var submission: LetterSubmission
    public var trackingNo: String?
    public var channelRef: String?
    public var receivedAt: Date?
    public var status: String?
    public var departmentID: String?
    public var closedAt: Date?
    public var reply: String?

    enum CodingKeys: String, CodingKey {
        case trackingNo = "tracking_no"
        case channelRef = "channel_ref"
        case receivedAt = "received_at"
        case status
        case departmentID = "department_id"
        case closedAt = "closed_at"
        case reply
    }

    public init(from decoder: any Decoder) throws {
        submission = try LetterSubmission(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trackingNo = try c.decodeIfPresent(String.self, forKey: .trackingNo)
        channelRef = try c.decodeIfPresent(String.self, forKey: .channelRef)
        receivedAt = try c.decodeIfPresent(Date.self, forKey: .receivedAt)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        departmentID = try c.decodeIfPresent(String.self, forKey: .departmentID)
        closedAt = try c.decodeIfPresent(Date.self, forKey: .closedAt)
        reply = try c.decodeIfPresent(String.self, forKey: .reply)
    }
}

/// A validated historical letter, ready to be stored as it was.
public struct ImportedLetter: Sendable, Hashable {
    public var content: LetterContent
    public var channel: LetterChannel
    public var channelRef: String?
    public var trackingNo: String?
    public var receivedAt: Date
    public var status: LetterStatus
    public var departmentID: String?
    public var closedAt: Date?
    public var reply: String?
}

extension LetterImportLine {
    /// Validates a line; `now` bounds times (a historical letter cannot come from the future).
    public func validated(now: Date) throws(ValidationFailure) -> ImportedLetter {
        var v = FieldValidator()
        let channel = v.enumValue(submission.channel, "channel", as: LetterChannel.self)
        let content = submission.content(&v)
        var ref: String?
        if channelRef != nil { ref = ChannelReference.validate(channelRef, field: "channel_ref", &v) }
        if let trackingNo {
            let ok = (1...32).contains(trackingNo.count)
                && trackingNo.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
            if !ok { v.fail("tracking_no", "must be 1–32 characters of A–Z a–z 0–9 -") }
        }
        if receivedAt == nil { v.fail("received_at", "is required (RFC 3339 time)") }
        if let receivedAt, receivedAt > now { v.fail("received_at", "must not be in the future") }
        let status = v.enumValue(status, "status", as: LetterStatus.self)
        if let departmentID, departmentID.isEmpty || departmentID.count > 64 {
            v.fail("department_id", "must be a department code of 1–64 characters")
        }
        if status == .merged { v.fail("status", "merged letters cannot be imported (they point to a letter of this system)") }
        if let status, [.assigned, .signed, .processing, .awaitingCitizen].contains(status), departmentID == nil {
            v.fail("department_id", "is required when status is \(status.rawValue): the department that owns the letter")
        }
        var replyText: String?
        if status == .closed {
            if closedAt == nil { v.fail("closed_at", "is required when status is closed") }
            replyText = v.text(reply, "reply", limit: LetterLimits.reply, multiline: true)
        } else if status != nil {
            if closedAt != nil { v.fail("closed_at", "is only allowed when status is closed") }
            replyText = v.optionalText(reply, "reply", limit: LetterLimits.reply, multiline: true)
        }
        if let closedAt, let receivedAt, closedAt < receivedAt {
            v.fail("closed_at", "must not be before received_at")
        }
        if let closedAt, closedAt > now { v.fail("closed_at", "must not be in the future") }
        if submission.appLetterID != nil { v.fail("app_letter_id", "use channel_ref for the original channel's id") }
        try v.finish()
        return ImportedLetter(
            content: content!, channel: channel!, channelRef: ref, trackingNo: trackingNo,
            receivedAt: receivedAt!, status: status!, departmentID: departmentID,
            closedAt: status == .closed ? closedAt : nil, reply: replyText)
    }
}

/// What happened to a letter; each kind is one row of its append-only history.
public enum LetterEventKind: String, Sendable, Codable, CaseIterable {
    /// 收到: the letter came in through a channel.
    case received
    /// 导入: loaded from the previous system with its original times.
    case imported
    /// 受理.
    case accepted
    /// 不予受理.
    case rejected
    /// 转办: routed to a department (by a dispatcher, or by a routing rule at intake).
    case routed
    /// 改派: moved to another department.
    case transferred
    /// 签收.
    case signed
    /// 开始办理.
    case started
    /// 退回: the department sent it back to the centre.
    case returned
    /// 延期申请.
    case extensionRequested = "extension_requested"
    /// The department lead approved an extension request; it goes on to the centre.
    case extensionEndorsed = "extension_endorsed"
    case extensionDenied = "extension_denied"
    /// 督办.
    case supervised
    /// 合并: merged into the letter it duplicates.
    case merged
    /// 办结: the reply was released (its final approval) and the letter closed.
    case closed
    /// 答复拟稿: a revision of the reply draft was saved.
    case replyDrafted = "reply_drafted"
    /// 提交审核: the draft went to its reviewers.
    case replySubmitted = "reply_submitted"
    /// A reviewer approved the draft at a step that is not the last one (the lead, before the centre).
    case replyApproved = "reply_approved"
    /// A reviewer sent the draft back with a comment.
    case replyReturned = "reply_returned"
    /// 不予公开: the centre withheld the letter from publication.
    case withheld
    /// 评价: the citizen rated the released reply.
    case rated
    /// 重办: an unsatisfied rating reopened the letter to the same department with a new clock.
    case reopened
    /// The SLA clock paused: waiting for the citizen (待补充).
    case slaPaused = "sla_paused"
    /// The SLA clock resumed: the citizen answered.
    case slaResumed = "sla_resumed"
    /// 延期: an approved extension added working days.
    case slaExtended = "sla_extended"
    /// The deadline moved because the working-day calendar changed.
    case slaRecomputed = "sla_recomputed"
    /// The deadline watch: the letter passed its warning time (预警).
    case slaWarning = "sla_warning"
    /// The deadline watch: the letter passed its due time (超期).
    case slaOverdue = "sla_overdue"

    /// Whether citizens see this event on the public lookup (一网通查).
    public var isPublic: Bool {
        switch self {
        case .received, .imported, .accepted, .rejected, .routed, .transferred, .signed, .merged, .closed,
            .slaPaused, .slaResumed, .slaExtended, .rated, .reopened:
            true
        case .started, .returned, .extensionRequested, .extensionEndorsed, .extensionDenied, .supervised,
            .slaRecomputed, .slaWarning, .slaOverdue, .replyDrafted, .replySubmitted, .replyApproved, .replyReturned,
            .withheld:
            false
        }
    }
}
