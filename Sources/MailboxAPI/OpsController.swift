import Foundation
import Hummingbird
import MailboxStore

/// Liveness, readiness, metrics and the API contract.
struct OpsController<Letters: LetterStore, Calendars: CalendarRepository, Staff: StaffStore> {
    let mailbox: Mailbox<Letters, Calendars, Staff>
    let metrics: @Sendable () -> String

    struct Health: Encodable {
        var status: String
        var database: String?
        var calendarYears: [Int]?
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in try jsonResponse(Health(status: "ok")) }
        router.get("/readyz") { _, context in
            do {
                // Known down (the probe failed): say so at once; otherwise ask.
                guard mailbox.database.isReachable else { throw StoreError.unavailable("the last probe failed") }
                try await mailbox.letters.ping(timeout: .milliseconds(1500))
                mailbox.database.record(reachable: true)
            } catch {
                mailbox.database.record(reachable: false)
                context.logger.warning("readiness check failed", metadata: ["error": "\(StoreError.describe(error))"])
                return try jsonResponse(Health(status: "unavailable", database: "unreachable"), status: .serviceUnavailable)
            }
            return try jsonResponse(Health(status: "ready", database: "ok", calendarYears: mailbox.cache.current.years))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics())))
        }
        router.get("/openapi.yaml") { _, _ in
            guard let doc = mailbox.config.openAPIDocument else {
                throw Problem(.notFound, type: "not-found", title: "Not found", detail: "docs/openapi.yaml was not found at start-up.")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: doc)))
        }
    }
}
