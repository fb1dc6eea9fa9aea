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

/// Decodes JSON, turning decoder errors into problems that name the field. `null` is not a value
/// of any field the request type reads (an optional field is omitted instead): 422 naming the
/// field, as the contract states, where the decoder alone would read it as absent. Unknown keys
/// stay ignored, whatever their value.
func decodeJSON<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
    var data = Data(buffer: buffer)
    let value: T
    do {
        value = try MailboxJSON.decoder().decode(T.self, from: data)
    } catch DecodingError.dataCorrupted(let c) where c.codingPath.isEmpty {
        // JSON's grammar allows an escaped lone UTF-16 surrogate (RFC 8259 §8.2); Foundation refuses the
        // whole text. Read it as U+FFFD, as most parsers do, and try once more.
        guard let repaired = JSONSurrogates.replacingLone(in: data) else {
            // Well-formed JSON that Foundation still refuses holds a number no field can take.
            if (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
                throw Problem.validation([FieldError(field: "", message: "holds a number out of range (\(c.debugDescription.prefix(120)))")])
            }
            throw Problem.badRequest("invalid-json", "The body is not valid JSON.")
        }
        data = repaired
        do {
            value = try MailboxJSON.decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw problem(for: error)
        }
    } catch let error as DecodingError {
        throw problem(for: error)
    }
    if JSONNulls.present(in: buffer), let field = JSONNulls.readField(T.self, in: data) {
        throw Problem.validation([FieldError(field: field, message: "must not be null (omit an optional field instead)")])
    }
    return value
}

/// Escaped UTF-16 surrogates that do not form a pair (`"\\ud800"`), which JSON's grammar allows.
enum JSONSurrogates {
    /// The text with every lone surrogate escape replaced by `\\ufffd`; nil when there is none.
    static func replacingLone(in data: Data) -> Data? {
        let bytes = [UInt8](data)
        func hex(_ i: Int) -> UInt32? {
            guard i + 4 <= bytes.count, let s = String(bytes: bytes[i..<i + 4], encoding: .ascii) else { return nil }
            return UInt32(s, radix: 16)
        }
        func isEscapeU(_ i: Int) -> Bool { i + 1 < bytes.count && bytes[i] == UInt8(ascii: "\\") && bytes[i + 1] == UInt8(ascii: "u") }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var changed = false, inString = false, i = 0
        while i < bytes.count {
            let b = bytes[i]
            if !inString {
                if b == UInt8(ascii: "\"") { inString = true }
                out.append(b); i += 1; continue
            }
            if b == UInt8(ascii: "\"") { inString = false; out.append(b); i += 1; continue }
            guard b == UInt8(ascii: "\\"), i + 1 < bytes.count else { out.append(b); i += 1; continue }
            guard bytes[i + 1] == UInt8(ascii: "u"), let unit = hex(i + 2) else {
                out.append(contentsOf: bytes[i...i + 1]); i += 2; continue
            }
            if (0xD800...0xDBFF).contains(unit), isEscapeU(i + 6), let low = hex(i + 8), (0xDC00...0xDFFF).contains(low) {
                out.append(contentsOf: bytes[i..<i + 12]); i += 12
            } else if (0xD800...0xDFFF).contains(unit) {
                out.append(contentsOf: Array("\\ufffd".utf8)); i += 6; changed = true
            } else {
                out.append(contentsOf: bytes[i..<i + 6]); i += 6
            }
        }
        return changed ? Data(out) : nil
    }
}

/// `null` in request bodies. The scan needs no parse: outside strings, the only JSON token that
/// starts with `n` is `null`. Only when one is there is the body parsed to find out whether the
/// type reads that key.
enum JSONNulls {
    static func present(in buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            var inString = false, escaped = false
            for b in bytes {
                if inString {
                    if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                } else if b == UInt8(ascii: "\"") {
                    inString = true
                } else if b == UInt8(ascii: "n") {
                    return true
                }
            }
            return false
        }
    }

    enum Step: Equatable { case key(String), index(Int) }

    /// The first `null` whose key `T` reads, as a field path (`items[0].town`); nil when every
    /// `null` sits under a key the type ignores. Each `null` is replaced by a value no field
    /// accepts: a decoding error at or below its path means the type reads it.
    static func readField<T: Decodable>(_ type: T.Type, in data: Data) -> String? {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        var paths: [[Step]] = []
        collect(root, [], &paths)
        for path in paths {
            let probe = replacing(root, path[...], with: ["\u{1}": [[[true]]]])
            guard let probeData = try? JSONSerialization.data(withJSONObject: probe, options: [.fragmentsAllowed]) else { continue }
            do {
                _ = try MailboxJSON.decoder().decode(T.self, from: probeData)
            } catch let error as DecodingError {
                let at = codingPath(of: error).map { $0.intValue.map(Step.index) ?? .key($0.stringValue) }
                if at.starts(with: path) || path.starts(with: at) { return name(path) }
            } catch {
                return name(path)
            }
        }
        return nil
    }

    static func collect(_ value: Any, _ path: [Step], _ paths: inout [[Step]]) {
        if value is NSNull {
            paths.append(path)
        } else if let object = value as? [String: Any] {
            for key in object.keys.sorted() { collect(object[key]!, path + [.key(key)], &paths) }
        } else if let array = value as? [Any] {
            for (i, element) in array.enumerated() { collect(element, path + [.index(i)], &paths) }
        }
    }

    static func replacing(_ value: Any, _ path: ArraySlice<Step>, with replacement: Any) -> Any {
        guard let step = path.first else { return replacement }
        switch step {
        case .key(let key):
            guard var object = value as? [String: Any], let child = object[key] else { return value }
            object[key] = replacing(child, path.dropFirst(), with: replacement)
            return object
        case .index(let i):
            guard var array = value as? [Any], array.indices.contains(i) else { return value }
            array[i] = replacing(array[i], path.dropFirst(), with: replacement)
            return array
        }
    }

    static func codingPath(of error: DecodingError) -> [any CodingKey] {
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): c.codingPath
        case .keyNotFound(let key, let c): c.codingPath + [key]
        @unknown default: []
        }
    }

    static func name(_ path: [Step]) -> String {
        var s = ""
        for step in path {
            switch step {
            case .key(let k): s += (s.isEmpty ? "" : ".") + k
            case .index(let i): s += "[\(i)]"
            }
        }
        return s
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
