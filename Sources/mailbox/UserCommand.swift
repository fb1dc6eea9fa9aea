import ArgumentParser
import Foundation
import MailboxAPI
import MailboxCore
import MailboxStore

/// `mailbox user add|set-password|disable`: staff accounts from the command line (the first
/// admin, scripted set-ups). The API offers the same to admins.
struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage staff accounts.", subcommands: [UserAdd.self, UserDisable.self, UserSetPassword.self])
}

/// Reads one line (a password) from standard input.
func readPasswordFromStdin() throws -> String {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on standard input") }
    var v = FieldValidator()
    StaffCredentials.validatePassword(line, &v)
    if let e = v.errors.first { throw ValidationError("password \(e.message)") }
    return line
}

struct UserAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create an account; prints a generated password once (or reads one with --password-stdin).")
    @OptionGroup var db: DatabaseOptions
    @Argument(help: "Username: 2–64 of a–z 0–9 . _ -") var username: String
    @Option(help: "dispatcher, handler, lead, admin or auditor") var role: String
    @Option(help: "Department id (handlers and leads only).") var department: String?
    @Option(name: .customLong("display-name"), help: "Name shown to colleagues.") var displayName: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false
    @Flag(name: .customLong("if-missing"), help: "Do nothing (exit 0) when the account exists.") var ifMissing = false

    func run() async throws {
        guard let staffRole = StaffRole(rawValue: role) else {
            throw ValidationError("--role must be one of " + StaffRole.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if staffRole.belongsToDepartment != (department != nil) {
            throw ValidationError(staffRole.belongsToDepartment ? "--department is required for a \(role)" : "--department is only for handlers and leads")
        }
        guard username.wholeMatch(of: /[a-z0-9][a-z0-9._-]{1,63}/) != nil else {
            throw ValidationError("username must be 2–64 of a–z 0–9 . _ - (lower case)")
        }
        let password = passwordStdin ? try readPasswordFromStdin() : StaffCredentials.generatePassword()
        let logger = db.makeLogger()
        let cost = authSettings(db.env).bcryptCost
        let (username, department, displayName, ifMissing) = (username, department, displayName, ifMissing)
        let created = try await db.withClient(logger: logger) { client -> Bool in
            let store = PostgresStaffStore(client: client, logger: logger)
            if ifMissing, try await store.account(username: username) != nil { return false }
            let hash = try await StaffCredentials.hash(password, cost: cost)
            do {
                _ = try await store.createAccount(username: username, displayName: displayName, role: staffRole,
                                                  departmentID: department, passwordHash: hash, actor: "cli:user-add")
            } catch StoreError.conflict {
                throw ValidationError("account \(username) exists already")
            } catch StoreError.unknownReference {
                throw ValidationError("unknown department \(department ?? "")")
            }
            return true
        }
        guard created else {
            print("account \(username) exists already; left unchanged")
            return
        }
        print("created \(staffRole.rawValue) account \(username)" + (department.map { " of \($0)" } ?? ""))
        if !passwordStdin { print("password (shown once): \(password)") }
    }
}

struct UserSetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-password", abstract: "Set a new password (generated, or --password-stdin); ends the account's sessions.")
    @OptionGroup var db: DatabaseOptions
    @Argument var username: String
    @Flag(name: .customLong("password-stdin")) var passwordStdin = false

    func run() async throws {
        let password = passwordStdin ? try readPasswordFromStdin() : StaffCredentials.generatePassword()
        let logger = db.makeLogger()
        let cost = authSettings(db.env).bcryptCost
        let username = username
        try await db.withClient(logger: logger) { client in
            let hash = try await StaffCredentials.hash(password, cost: cost)
            do {
                _ = try await PostgresStaffStore(client: client, logger: logger)
                    .updateAccount(username: username, AccountChange(passwordHash: hash), actor: "cli:user-set-password")
            } catch StoreError.notFound { throw ValidationError("no account \(username)") }
        }
        print("password of \(username) changed")
        if !passwordStdin { print("password (shown once): \(password)") }
    }
}

struct UserDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable an account; its sessions end.")
    @OptionGroup var db: DatabaseOptions
    @Argument var username: String

    func run() async throws {
        let logger = db.makeLogger()
        let username = username
        try await db.withClient(logger: logger) { client in
            do {
                _ = try await PostgresStaffStore(client: client, logger: logger)
                    .updateAccount(username: username, AccountChange(disabled: true), actor: "cli:user-disable")
            } catch StoreError.notFound { throw ValidationError("no account \(username)") }
        }
        print("account \(username) disabled")
    }
}
