import Foundation

/// An SLA policy (办理时限): how many working days a category of letter may take, optionally specific to a
/// department (承办单位) and/or a channel (渠道).
public struct SLAPolicy: Sendable, Codable, Hashable {
    public var category: LetterCategory
    /// nil = any department.
    public var departmentID: String?
    /// nil = any channel.
    public var channel: LetterChannel?
    /// The limit N in working days (≥ 1).
    public var limitWorkingDays: Int
    public var rule: CountingRule
    /// Fraction of the allowed working time after which the letter is flagged (预警), 0…1.
    public var warningRatio: Double

    public init(
        category: LetterCategory, departmentID: String? = nil, channel: LetterChannel? = nil,
        limitWorkingDays: Int, rule: CountingRule = .followingDays, warningRatio: Double = 0.8
    ) {
        self.category = category
        self.departmentID = departmentID
        self.channel = channel
        self.limitWorkingDays = limitWorkingDays
        self.rule = rule
        self.warningRatio = warningRatio
    }

    /// Default limits, all counted `following_days` (次日起算) with a warning at 80 % of the allowed time:
    /// 咨询 consultation 1, 求助 help 3, 投诉 complaint 5, 建议 suggestion 10, 举报 report 15 working days.
    public static let defaults: [SLAPolicy] = [
        SLAPolicy(category: .consultation, limitWorkingDays: 1),
        SLAPolicy(category: .help, limitWorkingDays: 3),
        SLAPolicy(category: .complaint, limitWorkingDays: 5),
        SLAPolicy(category: .suggestion, limitWorkingDays: 10),
        SLAPolicy(category: .report, limitWorkingDays: 15),
    ]

    /// How specific a policy is: department + channel (3) > department (2) > channel (1) > category only (0).
    public var specificity: Int { (departmentID != nil ? 2 : 0) + (channel != nil ? 1 : 0) }

    /// Whether the policy applies to a letter.
    public func applies(category: LetterCategory, departmentID: String?, channel: LetterChannel) -> Bool {
        self.category == category
            && (self.departmentID == nil || self.departmentID == departmentID)
            && (self.channel == nil || self.channel == channel)
    }

    /// The most specific applicable policy: dept+channel > dept > channel > category-only.
    /// Among equally specific policies the first in `policies` wins. nil when none applies.
    public static func select(
        from policies: [SLAPolicy], category: LetterCategory, departmentID: String?, channel: LetterChannel
    ) -> SLAPolicy? {
        var best: SLAPolicy?
        for p in policies where p.applies(category: category, departmentID: departmentID, channel: channel) {
            if best == nil || p.specificity > best!.specificity { best = p }
        }
        return best
    }
}
