import FlyingFox
import FlyingSocks
import Foundation
import Lake

/// `lake serve`: the dashboard, its JSON API, `/metrics`, and HTTP ingest, on one port.
///
/// Routes (anything else is a 404 with a JSON error; no file is ever served from disk):
/// `GET /` the page · `GET /api/dashboard|kpis|funnel|hourly|top-customers|session-status|status`
/// · `GET /metrics` · `POST /ingest/<job>` with an NDJSON body (acknowledged once committed).
public final class LakeHTTPServer: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port: UInt16 = 8080
        public var ingestBytesMax = 16 << 20
        /// When set, ingest requires `Authorization: Bearer <token>`.
        public var token: String?
        public init() {}
    }

    let paths: LakePaths
    let jobs: [JobDefinition]
    let settings: Settings
    let server: HTTPServer
    /// Writes (ingest) run one at a time, off the concurrency pool.
    let writes = DispatchQueue(label: "lake.ingest")

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
        let address: any SocketAddress
        if settings.host == "localhost" || settings.host == "127.0.0.1" {
            address = try sockaddr_in.inet(ip4: "127.0.0.1", port: settings.port)
        } else if settings.host.contains(":") {
            address = try sockaddr_in6.inet6(ip6: settings.host, port: settings.port)
        } else {
            address = try sockaddr_in.inet(ip4: settings.host, port: settings.port)
        }
        server = HTTPServer(address: address, timeout: 30, logger: StderrLogger())
    }

    public func run() async throws {
        await server.appendRoute("*", to: Router(owner: self))
        try await server.run()
    }

    public func waitUntilListening() async throws { try await server.waitUntilListening() }

    public func stop() async { await server.stop(timeout: 2) }

    /// The port actually bound (useful with port 0).
    public var boundPort: UInt16? {
        get async {
            guard let address = await server.listeningAddress else { return nil }
            switch address {
            case .ip4(_, let port), .ip6(_, let port): return port
            default: return nil
            }
        }
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
struct Router: HTTPHandler {
    let owner: LakeHTTPServer

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        do {
            return try await route(request)
        } catch let e as HTTPFailure {
            return Responses.error(e.status, e.message)
        } catch {
            return Responses.error(.internalServerError, "\(error)")
        }
    }

    private func route(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.target.path().utf8.count + request.target.query().utf8.count <= 4096 else { throw HTTPFailure(.uriTooLong, "request target longer than 4096 bytes") }
        let path = request.path
        let jobName = request.query.first { $0.name == "job" }?.value
        if path.hasPrefix("/ingest/") {
            guard request.method == .POST else {
                throw HTTPFailure(.methodNotAllowed, "use POST /ingest/<job> with an NDJSON body")
            }
            return try await Ingest.handle(request, owner: owner, job: String(path.dropFirst("/ingest/".count)))
        }
        guard request.method == .GET || request.method == .HEAD else {
            throw HTTPFailure(.methodNotAllowed, "\(request.method.rawValue) is not allowed on \(path)")
        }
        guard let job = owner.job(named: jobName) else {
            throw HTTPFailure(.notFound, "no job named \(jobName ?? "")")
        }
        switch path {
        case "/", "/index.html":
            return Responses.html(DashboardPage.html(title: "lake · \(job.name)"))
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

    private func json(_ job: JobDefinition, _ body: (DashboardData) throws -> Any) throws -> HTTPResponse {
        do {
            let value = try owner.read { try body(DashboardData(catalog: $0, job: job)) }
            return Responses.text(try DashboardData.jsonText(value), type: "application/json")
        } catch let e as LakeError {
            throw HTTPFailure(.serviceUnavailable, e.description)
        }
    }
}

struct HTTPFailure: Error {
    var status: HTTPStatusCode
    var message: String
    init(_ status: HTTPStatusCode, _ message: String) {
        self.status = status
        self.message = message
    }
}

enum Responses {
    static let securityHeaders: [(HTTPHeader, String)] = [
        (HTTPHeader("X-Content-Type-Options"), "nosniff"),
        (HTTPHeader("Content-Security-Policy"),
         "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:"),
        (HTTPHeader("Cache-Control"), "no-store"),
    ]

    static func text(_ body: String, type: String, status: HTTPStatusCode = .ok) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers[.contentType] = type
        for (h, v) in securityHeaders { headers[h] = v }
        return HTTPResponse(statusCode: status, headers: headers, body: Data(body.utf8))
    }

    static func html(_ body: String) -> HTTPResponse { text(body, type: "text/html; charset=utf-8") }

    static func error(_ status: HTTPStatusCode, _ message: String) -> HTTPResponse {
        let body = (try? DashboardData.jsonText(["error": message, "status": status.code])) ?? "{}"
        return text(body, type: "application/json", status: status)
    }
}

extension HTTPStatusCode {
    static let serviceUnavailable = HTTPStatusCode(503, phrase: "Service Unavailable")
}

/// Server warnings and errors go to stderr; per-request chatter is not logged.
struct StderrLogger: Logging {
    func logDebug(_ debug: @autoclosure () -> String) {}
    func logInfo(_ info: @autoclosure () -> String) {}
    func logWarning(_ warning: @autoclosure () -> String) { write("warning: " + warning()) }
    func logError(_ error: @autoclosure () -> String) { write("error: " + error()) }
    func logCritical(_ critical: @autoclosure () -> String) { write("critical: " + critical()) }
    private func write(_ s: String) { FileHandle.standardError.write(Data(("lake serve: " + s + "\n").utf8)) }
}
