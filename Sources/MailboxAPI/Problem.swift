public import Foundation
public import HTTPTypes
public import Hummingbird
import Logging
public import MailboxCore
import MailboxStore
import NIOCore

/// An RFC 9457 problem detail (`application/problem+json`). Thrown by handlers; the
/// ProblemMiddleware turns it, and every other error, into a response.
public struct Problem: Error, Sendable, Encodable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    /// The one field at fault, when there is exactly one.
    public var field: String?
    /// Every field at fault (validation).
    public var errors: [FieldError]?
    /// Import: every line at fault.
    public var lineErrors: [ImportLineError]?
    /// A refused life-cycle action: what the caller may do with the letter now.
    public var allowedActions: [String]?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, type: String, title: String, detail: String? = nil,
                field: String? = nil, errors: [FieldError]? = nil) {
        self.type = "https://mailbox.example.gov.cn/problems/\(type)"
        self.title = title
        self.status = status.code
        self.detail = detail
        self.field = field ?? (errors?.count == 1 ? errors?.first?.field : nil)
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey { case type, title, status, detail, field, errors, lineErrors = "line_errors", allowedActions = "allowed_actions" }

    public static func validation(_ errors: [FieldError]) -> Problem {
        Problem(.unprocessableContent, type: "validation-failed", title: "The request breaks a rule",
                detail: errors.map(\.description).joined(separator: "; "), errors: errors)
    }

    public static func badRequest(_ type: String, _ detail: String, field: String? = nil) -> Problem {
        Problem(.badRequest, type: type, title: "Malformed request", detail: detail, field: field)
    }

    public static let notFound = Problem(.notFound, type: "not-found", title: "Not found",
                                         detail: "No letter matches this tracking number and query code.")

    public static func unauthorized(_ detail: String) -> Problem {
        Problem(.unauthorized, type: "unauthorized", title: "Not authorized", detail: detail)
    }

    func response() -> Response {
        var headers = headers
        headers[.contentType] = "application/problem+json"
        let data = (try? MailboxJSON.encoder().encode(self)) ?? Data("{\"status\":\(status)}".utf8)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// 503 with Retry-After: the database cannot be reached now (docs/operations.md, "Fail fast").
func databaseUnavailable(_ error: any Error, logger: Logger) -> Problem {
    logger.warning("database unavailable", metadata: ["error": "\(StoreError.describe(error))"])
    return .databaseUnavailable(retryAfterSeconds: 5)
}

extension Problem {
    public static func databaseUnavailable(retryAfterSeconds: Int) -> Problem {
        var p = Problem(.serviceUnavailable, type: "database-unavailable", title: "Service temporarily unavailable",
                        detail: "The database does not answer. Try again after \(retryAfterSeconds) s (an app delivery with the same app_letter_id is recognised if it was stored after all).")
        p.headers[.retryAfter] = String(retryAfterSeconds)
        return p
    }
}

/// Maps every error to problem+json. Domain errors keep their meaning; anything unexpected is
/// a 500 whose details go to the log (`String(reflecting:)`), never to the client.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.problem(for: error, logger: context.logger).response()
        }
    }

    static func problem(for error: any Error, logger: Logger) -> Problem {
        switch error {
        case let p as Problem:
            return p
        case let v as ValidationFailure:
            return .validation(v.errors)
        case is NIOTooManyBytesError:
            return Problem(.contentTooLarge, type: "body-too-large", title: "Request body too large",
                           detail: "The request body exceeds the limit for this endpoint (see docs/api.md).")
        case let e as HTTPError:
            return Problem(e.status, type: e.status == .notFound ? "not-found" : "http-\(e.status.code)",
                           title: e.status.reasonPhrase, detail: e.body)
        case let s as StoreError:
            switch s {
            case .notFound: return Problem(.notFound, type: "not-found", title: "Not found", detail: "Nothing matches this request.")
            case .channelRefConflict(let t):
                return Problem(.conflict, type: "delivery-conflict", title: "Letter id reused with different content",
                               detail: "This app_letter_id was already delivered as letter \(t) with different content.")
            case .importRejected(let lines):
                var p = Problem(.unprocessableContent, type: "import-rejected", title: "Import rejected; nothing was loaded",
                                detail: "\(lines.count) line(s) cannot be loaded: " + lines.prefix(5).map(\.description).joined(separator: "; "))
                p.lineErrors = lines
                return p
            case .invalidTransition(let why):
                return Problem(.conflict, type: "invalid-transition", title: "Not allowed in the letter's current state", detail: why)
            case .calendarIncomplete(let why):
                return Problem(.unprocessableContent, type: "calendar-incomplete", title: "Calendar incomplete", detail: why)
            case .staleVersion(let current):
                var p = Problem(.preconditionFailed, type: "stale-version", title: "Changed meanwhile",
                                detail: "Now at version \(current); reload and decide again.")
                p.headers[.eTag] = "\"\(current)\""
                return p
            case .conflict(let why):
                return Problem(.conflict, type: "conflict", title: "Conflicts with stored data", detail: why)
            case .unknownReference(let field, let message):
                return .validation([FieldError(field: field, message: message)])
            case .unavailable:
                return databaseUnavailable(error, logger: logger)
            }
        case let e as CalendarError:
            return Problem(.unprocessableContent, type: "calendar-rejected", title: "Calendar change rejected", detail: e.description)
        case let e as CalendarFileError:
            return Problem(.unprocessableContent, type: "calendar-file", title: "Calendar file rejected", detail: "\(e)")
        case _ where StoreError.isUnavailable(error):
            return databaseUnavailable(error, logger: logger)
        case _ where ["22021", "22P05"].contains(StoreError.sqlState(error) ?? ""):
            // Text PostgreSQL cannot store (U+0000) in a field no rule of ours reads as text, e.g. an id
            // that is only looked up: the request's fault, not ours.
            return .validation([FieldError(field: "", message: "contains a character that cannot be stored (U+0000)")])
        default:
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(.internalServerError, type: "internal", title: "Internal error",
                           detail: "The request could not be completed; it has been logged with its request id.")
        }
    }
}
