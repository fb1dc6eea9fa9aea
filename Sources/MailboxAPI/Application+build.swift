import Foundation
public import Hummingbird
import Logging
import MailboxStore

/// Builds the router with every controller; the executable and the tests both call this.
public func buildRouter<Letters: LetterStore, Calendars: CalendarRepository>(
    mailbox: Mailbox<Letters, Calendars>,
    metrics: @escaping @Sendable () -> String = { "" }
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: ProblemMiddleware())
    IntakeController(mailbox: mailbox).addRoutes(to: router)
    PublicController(mailbox: mailbox).addRoutes(to: router)
    StaffController(mailbox: mailbox).addRoutes(to: router)
    CalendarController(mailbox: mailbox).addRoutes(to: router)
    AdminController(mailbox: mailbox).addRoutes(to: router)
    OpsController(mailbox: mailbox, metrics: metrics).addRoutes(to: router)
    return router
}

/// One log line per request: method, route (never the query string, which may hold a query
/// code), status and duration. The request id comes with `context.logger`.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info("request", metadata: [
            "http.method": "\(request.method.rawValue)",
            "http.route": "\(context.endpointPath ?? "unmatched")",
            "http.status": "\(response.status.code)",
            "duration_ms": "\(String(format: "%.2f", ms))",
        ])
        return response
    }
}
