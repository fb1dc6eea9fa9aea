import Crypto
public import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdBcrypt
public import MailboxCore
import MailboxStore
import NIOPosix
import Synchronization

/// Passwords (bcrypt) and session tokens (random, stored as SHA-256 only).
public enum StaffCredentials {
    /// Hashes off the event loops: bcrypt is deliberately slow.
    public static func hash(_ password: String, cost: UInt8) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash to verify against when the account does not exist, so that an unknown username
    /// costs the same time as a wrong password.
    static let dummyHash = Bcrypt.hash("not a password", cost: 12)

    /// 32 random bytes, base64url: the bearer token shown once at login.
    public static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public static func tokenHash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }

    /// A readable generated password: 16 characters without look-alikes (about 90 bits).
    public static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet.randomElement(using: &rng)! })
    }

    /// Password rule: 10–128 characters (a passphrase is welcome).
    public static func validatePassword(_ password: String?, field: String = "password", _ v: inout FieldValidator) {
        guard let password else { return v.fail(field, "is required") }
        if password.count < 10 || password.count > 128 { v.fail(field, "must be 10–128 characters") }
    }
}

/// Resolves `Authorization: Bearer <token>` to the staff identity on the context. Requests
/// without a token pass through anonymous; `RequirePermission` decides what needs one.
struct StaffAuthMiddleware<Staff: StaffStore>: RouterMiddleware {
    typealias Context = AppRequestContext
    let staff: Staff
    let sessions: SessionCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count < 200 {
            let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            context.identity = try await Self.identity(token: token, staff: staff, sessions: sessions)
        }
        return try await next(request, context)
    }

    /// The live session behind a token (the bearer header's, or the dashboard cookie's), through the cache.
    static func identity(token: String, staff: Staff, sessions: SessionCache) async throws -> StaffIdentity? {
        guard !token.isEmpty, token.count < 200 else { return nil }
        let hash = StaffCredentials.tokenHash(token)
        let now = Date()
        if let cached = sessions.identity(for: hash, now: now) { return cached }
        guard let identity = try await staff.identity(tokenHash: hash, now: now) else { return nil }
        sessions.remember(identity, for: hash, now: now)
        return identity
    }
}

/// Live sessions this instance looked up in the last `lifetime` (default 5 s), so that a burst of
/// requests costs one lookup. Logout and account changes made through this instance forget at
/// once; another instance's revocation reaches this one within `lifetime` (docs/workflow.md).
public final class SessionCache: Sendable {
    private let state = Mutex<[[UInt8]: (identity: StaffIdentity, until: Date)]>([:])
    let lifetime: TimeInterval
    let capacity: Int

    public init(lifetime: TimeInterval = 5, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func identity(for hash: [UInt8], now: Date) -> StaffIdentity? {
        state.withLock { entries in
            guard let e = entries[hash] else { return nil }
            if e.until > now { return e.identity }
            entries[hash] = nil
            return nil
        }
    }

    func remember(_ identity: StaffIdentity, for hash: [UInt8], now: Date) {
        guard lifetime > 0 else { return }
        state.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[hash] = (identity, now.addingTimeInterval(lifetime))
        }
    }

    func forget(_ hash: [UInt8]) { state.withLock { $0[hash] = nil } }

    /// After an account change: its sessions may have ended.
    func forgetAll() { state.withLock { $0.removeAll() } }
}

/// The role rule of one endpoint: 401 without a live session, 403 when the role lacks the right.
struct RequirePermission: RouterMiddleware {
    typealias Context = AppRequestContext
    let permission: StaffPermission

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try Self.check(permission, context)
        return try await next(request, context)
    }

    static func check(_ permission: StaffPermission, _ context: Context) throws {
        guard let who = context.identity else { throw Problem.signInRequired }
        guard permission.isGranted(to: who.role) else {
            throw Problem(.forbidden, type: "forbidden", title: "Not permitted for this role",
                          detail: "\(who.role == .admin || who.role == .auditor ? "An" : "A") \(who.role.rawValue) may not \(permission.summary); this needs the role "
                              + permission.roles.map(\.rawValue).sorted().joined(separator: " or ") + ".")
        }
    }
}

extension Problem {
    static var signInRequired: Problem {
        var p = Problem.unauthorized("Sign in with POST /v1/auth/login and send Authorization: Bearer <token>.")
        p.headers[.wwwAuthenticate] = "Bearer"
        return p
    }
}

/// One staff endpoint and the right it needs: the routing table's single source of role rules
/// (docs/workflow.md lists it; the endpoint × role test walks it).
public struct StaffEndpoint: Sendable, Hashable {
    public var method: HTTPRequest.Method
    public var path: String
    public var permission: StaffPermission
}

/// Registers staff endpoints, each with its permission, and remembers them.
final class StaffRoutes: @unchecked Sendable {
    let router: Router<AppRequestContext>
    private(set) var endpoints: [StaffEndpoint] = []

    init(router: Router<AppRequestContext>) { self.router = router }

    func on(_ method: HTTPRequest.Method, _ path: String, _ permission: StaffPermission,
            use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response) {
        endpoints.append(StaffEndpoint(method: method, path: path, permission: permission))
        router.group().add(middleware: RequirePermission(permission: permission)).on(RouterPath(path), method: method, use: handler)
    }
}
