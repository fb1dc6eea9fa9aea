import Foundation
public import Hummingbird
import Logging
import MailboxStore

/// Builds the router with every controller; the executable and the tests both call this.
public func buildRouter<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore>(
    mailbox: Mailbox<Letters, Calendars, Staff>,
    metrics: @escaping @Sendable () -> String = { "" }
) -> Router<AppRequestContext> {
    buildRouterAndEndpoints(mailbox: mailbox, metrics: metrics).router
}

/// The router and the staff endpoints it registered, each with its permission (the endpoint ×
/// role table in docs/workflow.md and the tests are made from the second).
public func buildRouterAndEndpoints<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore>(
    mailbox: Mailbox<Letters, Calendars, Staff>,
    metrics: @escaping @Sendable () -> String = { "" }
) -> (router: Router<AppRequestContext>, staffEndpoints: [StaffEndpoint]) {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: ProblemMiddleware())
    let allowed = AllowedMethods()
    router.add(middleware: MethodNotAllowedMiddleware(allowed: allowed))
    router.add(middleware: PublicRateLimitMiddleware(limits: mailbox.config.publicLimits, limiter: mailbox.limiter))
    router.add(middleware: DatabaseDeadlineMiddleware(availability: mailbox.database))
    router.add(middleware: StaffAuthMiddleware(staff: mailbox.staff, sessions: mailbox.sessions))
    let staffRoutes = StaffRoutes(router: router)
    IntakeController(mailbox: mailbox).addRoutes(to: router)
    PublicController(mailbox: mailbox).addRoutes(to: router)
    AuthController(mailbox: mailbox).addRoutes(to: router, staffRoutes: staffRoutes)
    LettersController(mailbox: mailbox).addRoutes(to: staffRoutes)
    DirectoryController(mailbox: mailbox).addRoutes(to: staffRoutes)
    RepliesController(mailbox: mailbox).addRoutes(to: staffRoutes)
    ReportsController(mailbox: mailbox).addRoutes(to: staffRoutes)
    // Cookie-signed-in HTML, not a bearer endpoint: it redirects to its sign-in form instead of a 401.
    DashboardController(mailbox: mailbox).addRoutes(to: router)
    CalendarController(mailbox: mailbox).addRoutes(to: router, staffRoutes: staffRoutes)
    AdminController(mailbox: mailbox).addRoutes(to: staffRoutes)
    OpsController(mailbox: mailbox, metrics: metrics).addRoutes(to: router)
    allowed.load(from: router)
    return (router, staffRoutes.endpoints)
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
