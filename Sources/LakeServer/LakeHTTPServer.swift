import Foundation
import Hummingbird
import HummingbirdCore
import Lake
import HTTPTypes
import Logging
import NIOCore

/// `lake serve`: the dashboard, its JSON API, `/metrics`, and HTTP ingest, on one port.
///
/// Routes (anything else is a 404 with a JSON error; no file is ever served from disk):
/// `GET /` the first job's page (`?job=` another's) · `GET /jobs/<job>` a job's page (`DashboardPage`)
/// · `GET /api/dashboard|kpis|funnel|hourly|top-customers|session-status|status`
/// · `GET /api/jobs` and `GET /api/jobs/<job>/<view or gold table>?limit=&offset=` (`TableAPI`)
/// · `GET /metrics` · `POST /ingest/<job>` with an NDJSON body (acknowledged once committed).
/// SwiftNIO's HTTP parser bounds request lines and headers; bodies are bounded here.
public final class LakeHTTPServer: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var ingestBytesMax = 16 << 20
        /// When set, ingest requires `Authorization: Bearer <token>` (or Basic with the token
        /// as password), and so do pages, the API and /metrics unless `publicRead`.
        public var token: String?
        public var publicRead = false
        /// A connection that sends nothing for `idleTimeoutSeconds` (between requests, inside a
        /// request head, or inside a body) is closed; an ingest body not complete after
        /// `bodyTimeoutSeconds` gets a 408 (a slow client that keeps sending is not idle).
        public var idleTimeoutSeconds = 30
        public var bodyTimeoutSeconds = 60
        /// Ingest bodies being received at once; more get a 503 (each may hold `ingestBytesMax`).
        public var ingestInFlightMax = 4
        public init() {}
    }

    let paths: LakePaths
    let jobs: [JobDefinition]
    let settings: Settings
    /// Writes (ingest) run one at a time, off the concurrency pool.
    let writes = DispatchQueue(label: "lake.ingest")
    /// Ingest bodies being received.
    let ingestSlots: Slots

    public init(paths: LakePaths, jobs: [JobDefinition], settings: Settings) throws {
        guard !jobs.isEmpty else {
            throw LakeError("serve", "no jobs loaded", hint: "pass --jobs DIR with the job files")
        }
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(settings.host)
        if !loopback && settings.token == nil {
            throw LakeError("serve", "binding to \(settings.host) without a token would expose ingest to the network",
                hint: "set LAKE_INGEST_TOKEN, or bind to 127.0.0.1")
        }
        self.paths = paths
        self.jobs = jobs
        self.settings = settings
        ingestSlots = Slots(settings.ingestInFlightMax)
    }

    /// Serves until SIGINT or SIGTERM (then finishes requests in flight); `onListening` gets
    /// the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        var logger = Logger(label: "lake.serve")
        logger.logLevel = .warning
        let app = Application(
            responder: CallbackResponder { [self] (request: Request, _: BasicRequestContext) in
                await Router(owner: self).respond(request)
            },
            server: HTTPServerBuilder { [settings] responder in
                LakeHTTP1Channel(inner: HTTP1Channel(
                    responder: responder, configuration: .init(idleTimeout: .seconds(Int64(settings.idleTimeoutSeconds)))))
            },
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "lake"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService()
    }

    var isLoopback: Bool { ["127.0.0.1", "localhost", "::1"].contains(settings.host) }

    /// `127.0.0.1`, `localhost` or `[::1]`, with or without a port.
    static func isLoopbackName(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("[") {
            name = String(name.dropFirst().prefix { $0 != "]" })
        } else if let colon = name.lastIndex(of: ":") {
            name = String(name[..<colon])
        }
        return name == "127.0.0.1" || name == "localhost" || name == "::1"
    }

    func job(named name: String?) -> JobDefinition? {
        guard let name else { return jobs.first }
        return jobs.first { $0.name == name }
    }

    /// Runs `body` against a fresh read-only catalog connection (one per request: SQLite
    /// connections are not shared between threads).
    func read<T>(_ body: (Catalog) throws -> T) throws -> T {
        try body(Catalog(paths: paths, readOnly: true))
    }
}

/// Dispatches every request by method and path.
struct Router {
    let owner: LakeHTTPServer

    func respond(_ request: Request) async -> Response {
        do {
            return try await route(request)
        } catch let e as HTTPFailure {
            return Responses.error(e.status, e.message)
        } catch {
            return Responses.error(.internalServerError, "\(error)")
        }
    }

    private func route(_ request: Request) async throws -> Response {
        let path = request.uri.path
        guard path.utf8.count + (request.uri.query?.utf8.count ?? 0) <= 4096 else {
            throw HTTPFailure(.uriTooLong, "request target longer than 4096 bytes")
        }
        // Bound to loopback, the server answers only to loopback names: a page on a name that
        // resolves to 127.0.0.1 (DNS rebinding) must not read /api/* or ingest.
        if owner.isLoopback, let host = request.head.authority, !LakeHTTPServer.isLoopbackName(host) {
            throw HTTPFailure(.forbidden, "Host \(host.prefix(100)) is not this server's (bound to loopback)")
        }
        if path.hasPrefix("/ingest/") {
            guard request.method == .post else {
                throw HTTPFailure(.methodNotAllowed, "use POST /ingest/<job> with an NDJSON body")
            }
            return try await Ingest.handle(request, owner: owner, job: String(path.dropFirst("/ingest/".count)))
        }
        guard request.method == .get || request.method == .head else {
            throw HTTPFailure(.methodNotAllowed, "\(request.method) is not allowed on \(path.prefix(200))")
        }
        // With a token, what the pages and the API show (user ids, revenue) needs it too.
        if let token = owner.settings.token, !owner.settings.publicRead {
            try Ingest.authorize(request, token: token)
        }
        if path == "/api/jobs" {
            return Responses.text(try DashboardData.jsonText(TableAPI.jobs(owner.jobs)), type: "application/json")
        }
        if path.hasPrefix("/api/jobs/") {
            let parts = path.dropFirst("/api/jobs/".count).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let job = owner.job(named: String(parts[0])), !parts[1].isEmpty else {
                throw HTTPFailure(.notFound, "use /api/jobs/<job>/<view or gold table>; the jobs: "
                                  + owner.jobs.map(\.name).joined(separator: ", "))
            }
            var query: [String: String] = [:]
            for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
            let page = try owner.read { try TableAPI.page($0, job: job, name: String(parts[1]), query: query) }
            return Responses.text(try DashboardData.jsonText(page), type: "application/json")
        }
        if path.hasPrefix("/jobs/") {
            let name = String(path.dropFirst("/jobs/".count))
            guard let job = owner.jobs.first(where: { $0.name == name }) else {
                throw HTTPFailure(.notFound, "no job named \(name.prefix(100)); the jobs: " + owner.jobs.map(\.name).joined(separator: ", "))
            }
            return page(job)
        }
        let jobName = request.uri.queryParameters["job"].map(String.init)
        guard let job = owner.job(named: jobName) else {
            throw HTTPFailure(.notFound, "no job named \(jobName?.prefix(100) ?? "")")
        }
        switch path {
        case "/", "/index.html":
            return page(job)
        case "/metrics":
            return Responses.text(try owner.read { try Metrics.text($0, jobs: owner.jobs) },
                                  type: "text/plain; version=0.0.4; charset=utf-8")
        case "/api/dashboard": return try json(job) { try $0.all() }
        case "/api/kpis": return try json(job) { try $0.kpis() }
        case "/api/funnel": return try json(job) { try $0.funnel() }
        case "/api/hourly": return try json(job) { try $0.hourly() }
        case "/api/top-customers": return try json(job) { try $0.topCustomers() }
        case "/api/session-status": return try json(job) { try $0.sessionStatus() }
        case "/api/status": return try json(job) { try $0.status() }
        default:
            throw HTTPFailure(.notFound, "no such resource: \(path.prefix(200))")
        }
    }

    /// A job's page: its declared dashboard, or a table per gold table and view.
    private func page(_ job: JobDefinition) -> Response {
        Responses.text(DashboardPage.html(job: job, jobs: owner.jobs.map(\.name)), type: "text/html; charset=utf-8")
    }

    private func json(_ job: JobDefinition, _ body: (DashboardData) throws -> Any) throws -> Response {
        do {
            let value = try owner.read { try body(DashboardData(catalog: $0, job: job)) }
            return Responses.text(try DashboardData.jsonText(value), type: "application/json")
        } catch let e as LakeError {
            throw HTTPFailure(.serviceUnavailable, e.description)
        }
    }
}

struct HTTPFailure: Error {
    var status: HTTPResponse.Status
    var message: String
    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}

enum Responses {
    static func text(_ body: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        if let h = HTTPField.Name("X-Content-Type-Options") { headers[h] = "nosniff" }
        if let h = HTTPField.Name("Content-Security-Policy") {
            // Only the page's own script and style run, named by their hashes: an injected
            // <script> or inline handler would not, whatever escaping missed.
            headers[h] = "default-src 'none'; script-src \(DashboardPage.scriptHash); style-src \(DashboardPage.styleHash); "
                + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = (try? DashboardData.jsonText(["error": message, "status": status.code])) ?? "{}"
        var response = text(body, type: "application/json", status: status)
        // RFC 9110 §11.6.1: a 401 names the schemes the client may use (Basic: a browser asks
        // for the token as a password and sends it with the page's API requests too).
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"lake\", Basic realm=\"lake\"" }
        return response
    }
}

/// A count of things in progress with a ceiling (ingest bodies being received).
final class Slots: @unchecked Sendable {
    private let lock = NSLock()
    private var used = 0
    let limit: Int

    init(_ limit: Int) { self.limit = max(1, limit) }

    /// Takes a slot; false when all are taken.
    func take() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard used < limit else { return false }
        used += 1
        return true
    }

    func give() {
        lock.lock()
        used -= 1
        lock.unlock()
    }
}
