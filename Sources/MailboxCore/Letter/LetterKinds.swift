/// 信件类别: what the citizen asks for. Drives the SLA policy and the published statistics.
public enum LetterCategory: String, Sendable, Codable, CaseIterable, Hashable {
    /// 咨询
    case consultation
    /// 投诉
    case complaint
    /// 求助
    case help
    /// 建议
    case suggestion
    /// 举报
    case report

    /// The Chinese name used in published statistics and explanations.
    public var chineseName: String {
        switch self {
        case .consultation: "咨询"
        case .complaint: "投诉"
        case .help: "求助"
        case .suggestion: "建议"
        case .report: "举报"
        }
    }
}

/// 渠道: where a letter came in. Replies go back through the same channel.
public enum LetterChannel: String, Sendable, Codable, CaseIterable, Hashable {
    /// District web portal (区长信箱网页).
    case portal
    /// The 宜居密云 app, through its signed webhook.
    case app
    /// Typed in by staff on a caller's behalf (代录).
    case staff
}

/// 办理状态: where a letter stands in its life cycle.
public enum LetterStatus: String, Sendable, Codable, CaseIterable, Hashable {
    /// 待受理: received, not yet accepted by the mailbox office.
    case received
    /// 已受理: accepted for handling.
    case accepted
    /// 已转办: assigned to a department (委办局/镇街), waiting for it to sign.
    case assigned
    /// 已签收: the department has signed for the letter.
    case signed
    /// 办理中: the department is working on it.
    case processing
    /// 待补充: waiting for the citizen's supplementary information (clock paused).
    case awaitingCitizen = "awaiting_citizen"
    /// 答复审核中: a reply draft waits for its reviewers (the lead, then maybe the centre); the
    /// clock keeps running until the final approval releases it.
    case reviewing
    /// 已办结: replied and closed.
    case closed
    /// 不予受理: rejected (out of scope, abusive).
    case rejected
    /// 已合并: a duplicate, merged into the letter it repeats.
    case merged

    /// A letter in one of these states no longer runs an SLA clock.
    public var isFinal: Bool { self == .closed || self == .rejected || self == .merged }
}

extension LetterStatus {
    /// The status as shown to citizens.
    public var chineseName: String {
        switch self {
        case .received: "待受理"
        case .accepted: "已受理"
        case .assigned: "已转办"
        case .signed: "已签收"
        case .processing: "办理中"
        case .awaitingCitizen: "待补充材料"
        case .reviewing: "答复审核中"
        case .closed: "已办结"
        case .rejected: "不予受理"
        case .merged: "已合并"
        }
    }
}
