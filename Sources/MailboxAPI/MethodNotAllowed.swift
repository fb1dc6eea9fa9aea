public import Hummingbird
import HTTPTypes
import Synchronization

/// The methods each route path answers, from the router once every route is registered: a request whose path
/// matches a route but whose method none of them declares gets 405 problem+json with `Allow`, not 404 (RFC 9110
/// §15.5.6), before authentication (the path exists whoever asks).
public final class AllowedMethods: Sendable {
    struct Pattern: Sendable {
        var segments: [String]  // "" for a capture or wildcard, "**" for the rest of the path
        var methods: Set<String>
        /// Constant segments: the router prefers the path with more of them.
        let specificity: Int

        init(segments: [String]) {
            self.segments = segments
            methods = []
            specificity = segments.filter { !$0.isEmpty && $0 != "**" }.count
        }
    }
    private let patterns = Mutex<[Pattern]>([])

    public init() {}

    /// Reads the routes of `router` (call after the last route is added).
    public func load<Context>(from router: Router<Context>) {
        var byPath: [String: Pattern] = [:]
        for r in router.routes {
            let segments = r.path.components.map { c in
                let d = c.description
                return d == "**" ? "**" : d.contains("{") || d.contains("*") ? "" : d
            }
            byPath[r.path.description, default: Pattern(segments: segments)].methods.insert(r.method.rawValue)
        }
        // Most specific first: the first match fixes the specificity that counts.
        let sorted = byPath.values.sorted { $0.specificity > $1.specificity }
        patterns.withLock { $0 = sorted }
    }

    /// The methods of the routes matching `path`, or nil when no route matches it.
    /// Only the most specific matching paths count, as in the router: `/v1/letters/batch-route` is that constant
    /// path's, not also `/v1/letters/{tracking}`'s.
    public func methods(for path: String) -> Set<String>? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return patterns.withLock { all in
            var found: (methods: Set<String>, specificity: Int)?
            for p in all {
                if let f = found, p.specificity < f.specificity { break }
                if Self.matches(p.segments, parts) { found = ((found?.methods ?? []).union(p.methods), p.specificity) }
            }
            return found?.methods
        }
    }

    static func matches(_ pattern: [String], _ parts: [Substring]) -> Bool {
        var i = 0
        for (k, seg) in pattern.enumerated() {
            if seg == "**" { return true }
            guard i < parts.count else { return false }
            if !seg.isEmpty && seg != parts[i] { return false }
            i += 1
            if k == pattern.count - 1 { return i == parts.count }
        }
        return pattern.isEmpty && parts.isEmpty
    }
}

public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowed: AllowedMethods

    public init(allowed: AllowedMethods) {
        self.allowed = allowed
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let method = request.method.rawValue
        if let methods = allowed.methods(for: request.uri.path), !methods.contains(method),
           !(method == "HEAD" && methods.contains("GET"))
        {
            var p = Problem(.methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
                            detail: "\(method) is not defined for this path; it answers \(methods.sorted().joined(separator: ", ")).")
            p.headers[.allow] = methods.sorted().joined(separator: ", ")
            throw p
        }
        return try await next(request, context)
    }
}
