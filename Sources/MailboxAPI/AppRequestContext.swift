public import Foundation
public import Hummingbird
public import Logging
public import MailboxCore
public import NIOCore

/// The request context of every route: Hummingbird's core storage, our JSON coders, the
/// client's address and, once `StaffAuthMiddleware` has run, the staff identity.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The staff member behind the bearer token, if one was presented and is live.
    public var identity: StaffIdentity?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    public var requestDecoder: MailboxRequestDecoder { MailboxRequestDecoder() }
    public var responseEncoder: MailboxResponseEncoder { MailboxResponseEncoder() }
}

public struct MailboxRequestDecoder: RequestDecoder {
    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: BodyLimits.json)
        return try decodeJSON(T.self, from: buffer)
    }
}

public struct MailboxResponseEncoder: ResponseEncoder {
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        try jsonResponse(value)
    }
}

/// Body size limits; 413 problem+json beyond them.
public enum BodyLimits {
    /// A letter's JSON: 5000-character body × 3 bytes of UTF-8 plus the other fields, generously.
    public static let json = 64 * 1024
    /// A JSON Lines import through the admin API.
    public static let importFile = 64 * 1024 * 1024
}

/// Reads the raw body within `limit` and checks it is UTF-8 (invalid bytes: 400, not a decoder error).
func readBody(_ request: Request, limit: Int) async throws -> ByteBuffer {
    let buffer = try await request.body.collect(upTo: limit)
    try requireUTF8(buffer)
    return buffer
}

func requireUTF8(_ buffer: ByteBuffer) throws {
    var copy = buffer
    let bytes = copy.readBytes(length: copy.readableBytes) ?? []
    guard String(validating: bytes, as: UTF8.self) != nil else {
        throw Problem.badRequest("invalid-encoding", "The request body is not valid UTF-8.")
    }
}

/// Requires a JSON content type when one is given (415 otherwise).
func requireJSONContentType(_ request: Request) throws {
    guard let type = request.headers[.contentType] else { return }
    let base = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    guard base == "application/json" || base.hasSuffix("+json") else {
        throw Problem(.unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                      detail: "Send the letter as application/json (got \(type.prefix(60))).")
    }
}

/// Decodes JSON, turning decoder errors into problems that name the field.
func decodeJSON<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
    do {
        return try MailboxJSON.decoder().decode(T.self, from: Data(buffer: buffer))
    } catch let error as DecodingError {
        throw problem(for: error)
    }
}

func fieldPath(_ path: [any CodingKey]) -> String {
    var s = ""
    for key in path {
        if let i = key.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + key.stringValue }
    }
    return s
}

func problem(for error: DecodingError) -> Problem {
    switch error {
    case .typeMismatch(let type, let ctx):
        let field = fieldPath(ctx.codingPath)
        if field.isEmpty {
            return .badRequest("invalid-json", "The body must be a JSON object.")
        }
        return .validation([FieldError(field: field, message: "must be \(jsonTypeName(type))")])
    case .valueNotFound(let type, let ctx):
        return .validation([FieldError(field: fieldPath(ctx.codingPath), message: "must be \(jsonTypeName(type)), not null")])
    case .keyNotFound(let key, let ctx):
        return .validation([FieldError(field: fieldPath(ctx.codingPath + [key]), message: "is required")])
    case .dataCorrupted(let ctx):
        if ctx.codingPath.isEmpty {
            return .badRequest("invalid-json", "The body is not valid JSON.")
        }
        return .validation([FieldError(field: fieldPath(ctx.codingPath), message: ctx.debugDescription)])
    @unknown default:
        return .badRequest("invalid-json", "The body is not valid JSON.")
    }
}

func jsonTypeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Bool.Type: "true or false"
    case is Int.Type, is Int32.Type, is Int64.Type: "an integer"
    case is Double.Type: "a number"
    case is Date.Type: "an RFC 3339 time string"
    default: "of another type"
    }
}

func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
    var headers = headers
    headers[.contentType] = "application/json; charset=utf-8"
    let data = try MailboxJSON.encoder().encode(value)
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
    try requireJSONContentType(request)
    return try decodeJSON(T.self, from: try await readBody(request, limit: BodyLimits.json))
}
