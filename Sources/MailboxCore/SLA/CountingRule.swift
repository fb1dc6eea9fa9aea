import Foundation

/// How a limit of N working days is counted.
public enum CountingRule: String, Sendable, Codable, CaseIterable {
    /// 次日起算 (default): the day of receipt is not counted; due at the end of business hours (17:30)
    /// of the Nth working day after the local date of receipt (Civil Code art. 201; 12345 hotline practice).
    case followingDays = "following_days"
    /// 按工作时长: due when N × D business seconds have elapsed since receipt.
    case elapsed
}
