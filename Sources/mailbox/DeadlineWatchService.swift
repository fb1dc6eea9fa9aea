import Foundation
import Logging
import MailboxStore
import PostgresNIO
import ServiceLifecycle

/// Runs the deadline watch (临期预警 / 超期督办) every MAILBOX_DEADLINE_WATCH_SECONDS (default
/// 60). Every instance may run it: the watch skips letters another instance holds and never
/// records one deadline twice (docs/audit.md). It lives here rather than in MailboxStore so
/// that the store does not depend on ServiceLifecycle.
struct DeadlineWatchService: Service {
    let watch: DeadlineWatch
    let interval: Duration
    let logger: Logger

    init(client: PostgresClient, logger: Logger, interval: Duration? = nil,
         environment: [String: String] = ProcessInfo.processInfo.environment) {
        watch = DeadlineWatch(client: client, logger: logger)
        self.interval = interval ?? Self.interval(from: environment)
        self.logger = logger
    }

    /// MAILBOX_DEADLINE_WATCH_SECONDS when it is a positive number, else 60 s.
    static func interval(from environment: [String: String]) -> Duration {
        guard let seconds = Double(environment["MAILBOX_DEADLINE_WATCH_SECONDS"] ?? ""), seconds > 0, seconds.isFinite
        else { return .seconds(60) }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Waits one interval before the first run, as CalendarRefresher does: at start-up the
    /// migrations may still be running (beforeServerStarts). An error (database down, a
    /// deadlock) is logged and the next run retries; nothing is lost, since the watch works
    /// from the letters' columns, not from the time it last ran.
    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            do {
                let (warnings, overdue) = try await watch.runOnce(now: Date())
                if warnings + overdue > 0 {
                    logger.notice("deadline watch recorded events", metadata: [
                        "sla_warning": "\(warnings)", "sla_overdue": "\(overdue)",
                    ])
                } else {
                    logger.debug("deadline watch: nothing due")
                }
            } catch {
                logger.warning("deadline watch failed", metadata: ["error": "\(StoreError.describe(error))"])
            }
        }
    }
}
