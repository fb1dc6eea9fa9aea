import Foundation

/// The staff actions on a letter's SLA clock available now (routing, review and replies grow
/// this into the full workflow). Pure: given the state and an instant, the next state.
public enum ClockAction: Sendable, Hashable {
    /// 待补充: wait for the citizen's supplementary information; the clock pauses.
    case pause(reason: String)
    /// The citizen answered; the clock resumes.
    case resume
    /// 延期: an approved extension of `workingDays`.
    case extend(workingDays: Int, reason: String)
    /// 办结: close with the reply sent to the citizen; the clock stops and the outcome is frozen.
    case close(reply: String)
}

public struct TransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public struct Transition: Sendable {
    public var status: LetterStatus
    public var clock: SLAClock
    public var event: LetterEventKind
    /// Event details (no personal data).
    public var data: [String: String]
}

public enum LetterWorkflow {
    public static let maxExtensionDays = 30

    public static func apply(_ action: ClockAction, status: LetterStatus, clock: SLAClock, at now: Date)
        throws(TransitionError) -> Transition
    {
        guard !status.isFinal else { throw TransitionError("the letter is \(status.rawValue); its clock has stopped") }
        var clock = clock
        let paused = clock.pauses.last.map { $0.end == nil } ?? false
        switch action {
        case .pause(let reason):
            guard !paused else { throw TransitionError("the clock is already paused") }
            guard now >= clock.receivedAt else { throw TransitionError("cannot pause before receipt") }
            clock.pauses.append(SLAPause(start: now, end: nil))
            return Transition(status: .awaitingCitizen, clock: clock, event: .slaPaused, data: ["reason": reason])
        case .resume:
            guard paused else { throw TransitionError("the clock is not paused") }
            clock.pauses[clock.pauses.count - 1].end = now
            return Transition(status: .processing, clock: clock, event: .slaResumed, data: [:])
        case .extend(let days, let reason):
            guard (1...maxExtensionDays).contains(days) else {
                throw TransitionError("an extension is 1–\(maxExtensionDays) working days")
            }
            clock.extensions.append(SLAExtension(workingDays: days, approvedAt: now, reason: reason))
            return Transition(status: status, clock: clock, event: .slaExtended,
                              data: ["working_days": "\(days)", "reason": reason])
        case .close:
            if paused { clock.pauses[clock.pauses.count - 1].end = now }
            clock.closedAt = now
            return Transition(status: .closed, clock: clock, event: .closed, data: [:])
        }
    }
}
