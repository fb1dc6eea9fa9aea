import Foundation
import Logging
import MailboxStore

/// The quick start's private PostgreSQL cluster: created under the project folder on first run,
/// reused after, started with `mailbox serve` when DATABASE_URL is unset and stopped with it.
/// PostgreSQL refuses to run as root, so as root every command runs as the `postgres` user.
struct EmbeddedPostgres {
    var dataDirectory: URL
    let port: Int
    let logger: Logger
    var binDirectory = ProcessInfo.processInfo.environment["MAILBOX_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
    let database = "mailbox"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var isRoot: Bool { geteuid() == 0 }
    var clusterDirectory: URL { dataDirectory.appendingPathComponent("pg15") }

    /// As root, a project under a private folder (e.g. /root) cannot host the cluster, since the
    /// server runs as `postgres`: then it lives in /var/lib/mailbox/embedded-<hash of the path>.
    mutating func relocateIfUnreachable() {
        guard isRoot, (try? run("/usr/bin/test", ["-x", dataDirectory.deletingLastPathComponent().path], asPostgres: true, failure: "")) == nil
        else { return }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in dataDirectory.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let fallback = URL(fileURLWithPath: "/var/lib/mailbox/embedded-\(String(hash, radix: 16))")
        logger.notice("the postgres user cannot enter the project folder; the embedded cluster lives elsewhere",
                      metadata: ["requested": "\(dataDirectory.path)", "path": "\(fallback.path)"])
        dataDirectory = fallback
    }

    /// Starts the cluster (creating it if needed); returns whether this call started it.
    func start() throws -> (url: DatabaseURL, startedHere: Bool) {
        guard FileManager.default.isExecutableFile(atPath: "\(binDirectory)/pg_ctl") else {
            throw Failure(description: "PostgreSQL 15 server binaries are missing at \(binDirectory): run deploy/quickstart.sh (installs postgresql) or set DATABASE_URL")
        }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        if isRoot {
            try run("/usr/bin/id", ["-u", "postgres"], asPostgres: false, failure: "no postgres user (install postgresql)")
            try run("/bin/chown", ["postgres:postgres", dataDirectory.path], asPostgres: false, failure: "cannot chown \(dataDirectory.path)")
            try run("/bin/chmod", ["700", dataDirectory.path], asPostgres: false, failure: "cannot chmod \(dataDirectory.path)")
            do {
                try run("/usr/bin/test", ["-x", dataDirectory.path], asPostgres: true, failure: "")
            } catch {
                throw Failure(description: "the postgres user cannot enter \(dataDirectory.path) (a parent folder is private, e.g. /root); set MAILBOX_DATA_DIR to a folder it can reach, or DATABASE_URL")
            }
        }
        let pgdata = clusterDirectory.path
        if !FileManager.default.fileExists(atPath: "\(pgdata)/PG_VERSION") {
            logger.notice("creating embedded PostgreSQL cluster", metadata: ["path": "\(pgdata)"])
            try run("\(binDirectory)/initdb", ["-D", pgdata, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                                                "--no-locale", "--no-sync"], failure: "initdb failed")
            let conf = """

                # mailbox embedded defaults
                listen_addresses = '127.0.0.1'
                port = \(port)
                unix_socket_directories = '\(pgdata)'
                max_connections = 100
                shared_buffers = 256MB
                timezone = 'UTC'

                """
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(pgdata)/postgresql.conf"))
            handle.seekToEndOfFile()
            handle.write(Data(conf.utf8))
            try handle.close()
        }
        var startedHere = false
        if (try? run("\(binDirectory)/pg_ctl", ["-D", pgdata, "status"], failure: "")) == nil {
            logger.notice("starting embedded PostgreSQL", metadata: ["port": "\(port)"])
            try run("\(binDirectory)/pg_ctl", ["-D", pgdata, "-l", "\(pgdata)/server.log", "-w", "-t", "60", "start"],
                    failure: "pg_ctl start failed; see \(pgdata)/server.log")
            startedHere = true
        }
        let exists = try output("\(binDirectory)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres",
                                                       "-tAc", "SELECT 1 FROM pg_database WHERE datname = '\(database)'"])
        if exists.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
            try run("\(binDirectory)/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", database],
                    failure: "createdb \(database) failed")
        }
        return (DatabaseURL(host: "127.0.0.1", port: port, username: "postgres", database: database), startedHere)
    }

    func stop() {
        logger.notice("stopping embedded PostgreSQL")
        try? run("\(binDirectory)/pg_ctl", ["-D", clusterDirectory.path, "-m", "fast", "-w", "stop"], failure: "pg_ctl stop failed")
    }

    private func argv(_ path: String, _ args: [String], asPostgres: Bool) -> [String] {
        isRoot && asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", path] + args : [path] + args
    }

    private func run(_ path: String, _ args: [String], asPostgres: Bool = true, failure: String) throws {
        guard Subprocess.run(argv(path, args, asPostgres: asPostgres)).status == 0 else { throw Failure(description: failure) }
    }

    private func output(_ path: String, _ args: [String]) throws -> String {
        let result = Subprocess.run(argv(path, args, asPostgres: true), captureOutput: true)
        guard result.status == 0 else { throw Failure(description: "\(path) failed") }
        return result.output
    }
}

/// posix_spawn + waitpid. Foundation's Process.waitUntilExit never returned after `pg_ctl start`
/// (whose server daemon outlives it) when the service ran in the background: the child stayed a
/// zombie. Output, when captured, is read from a pipe to its end before waiting.
enum Subprocess {
    static func run(_ argv: [String], captureOutput: Bool = false) -> (status: Int32, output: String) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var fds: [Int32] = [-1, -1]
        if captureOutput {
            guard pipe(&fds) == 0 else { return (-1, "") }
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addclose(&actions, fds[0])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        if captureOutput { close(fds[1]) }
        guard spawned == 0 else {
            if captureOutput { close(fds[0]) }
            return (-1, "")
        }
        var output = [UInt8]()
        if captureOutput {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fds[0], &buffer, buffer.count)
                if n <= 0 { break }
                output.append(contentsOf: buffer[0..<n])
            }
            close(fds[0])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : -1, String(decoding: output, as: UTF8.self))
    }
}
