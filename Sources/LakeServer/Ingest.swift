import Foundation
import Hummingbird
import Lake
import NIOCore

/// `POST /ingest/<job>`: appends an NDJSON body to the job's bronze table under the bronze
/// lock, as one commit; the 200 answer comes only after the commit, so an acknowledged line is
/// durable and a failed request left nothing behind (the client may retry it).
enum Ingest {
    /// JSON types only: `text/plain` (and the other types a form can send) would let any web
    /// page POST events cross-site without a preflight.
    static let contentTypes = ["application/x-ndjson", "application/jsonl", "application/json", "application/ndjson"]

    static func handle(_ request: Request, owner: LakeHTTPServer, job name: String) async throws -> Response {
        if let token = owner.settings.token { try authorize(request, token: token) }
        // A page on another site (or another port of this host) may POST text/plain without a
        // preflight; the browser then names its origin, which must be this server's.
        if let origin = request.headers[.origin], !sameOrigin(origin, host: request.head.authority) {
            throw HTTPFailure(.forbidden, "cross-origin ingest refused (Origin \(origin.prefix(100)))")
        }
        guard let job = owner.jobs.first(where: { $0.name == name }) else {
            throw HTTPFailure(.notFound, "no job named \(name.prefix(100)); jobs: \(owner.jobs.map(\.name).joined(separator: ", "))")
        }
        let type = (request.headers[.contentType] ?? "").split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard contentTypes.contains(type) else {
            throw HTTPFailure(.unsupportedMediaType, "Content-Type must be application/x-ndjson, application/json "
                              + "or application/jsonl (got \(type.isEmpty ? "none" : type))")
        }
        let limit = owner.settings.ingestBytesMax
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw HTTPFailure(.contentTooLarge, "body of \(length) bytes is over the \(limit)-byte limit; split it")
        }
        guard owner.ingestSlots.take() else {
            throw HTTPFailure(.serviceUnavailable, "\(owner.ingestSlots.limit) ingest requests are being received; "
                              + "retry in a second")
        }
        defer { owner.ingestSlots.give() }
        let buffer = try await collect(request, upTo: limit, seconds: owner.settings.bodyTimeoutSeconds)
        guard buffer.readableBytes > 0 else { throw HTTPFailure(.badRequest, "empty body: send one JSON event per line") }
        let body = Data(buffer.readableBytesView)
        let result: [String: Any] = try await withCheckedThrowingContinuation { continuation in
            owner.writes.async {
                continuation.resume(with: Result { try commit(body, job: job, paths: owner.paths) })
            }
        }
        return Responses.text(try DashboardData.jsonText(result), type: "application/json")
    }

    /// The body, unless it is over `limit` bytes (413) or stops arriving for `seconds` (408).
    private static func collect(_ request: Request, upTo limit: Int, seconds: Int) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var request = request
                do {
                    return try await request.collectBody(upTo: limit)
                } catch {
                    throw HTTPFailure(.contentTooLarge, "body is over the \(limit)-byte limit; split it")
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let body = first else {
                throw HTTPFailure(.requestTimeout, "the body did not arrive within \(seconds) s")
            }
            return body
        }
    }

    /// Passes when the request carries `token`: `Authorization: Bearer <token>`, or Basic with
    /// the token as password (what a browser sends once asked); else a 401.
    static func authorize(_ request: Request, token: String) throws {
        let header = request.headers[.authorization]
        if let given = bearerToken(header), sameBytes(given, token) { return }
        if let given = basicPassword(header), sameBytes(given, token) { return }
        throw HTTPFailure(.unauthorized, "missing or wrong token: send Authorization: Bearer <token>")
    }

    /// The password of `Authorization: Basic base64(user:password)`.
    static func basicPassword(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return String(text[text.index(after: colon)...])
    }

    /// The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 9110 §11.1).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Compares every byte whatever differs first, so the time taken does not say how much of a
    /// guessed token was right.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }

    /// Whether `Origin: scheme://host[:port]` names the host the request was sent to.
    static func sameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, let url = URL(string: origin), let originHost = url.host else { return false }
        let port = url.port.map { ":\($0)" } ?? (url.scheme == "https" ? ":443" : ":80")
        let bracketed = originHost.contains(":") ? "[\(originHost)]" : originHost
        let target = host.contains("]:") || (!host.hasPrefix("[") && host.contains(":")) ? host : host + ":80"
        return (bracketed + port).lowercased() == target.lowercased()
    }

    /// Runs on the server's write queue.
    static func commit(_ body: Data, job: JobDefinition, paths: LakePaths) throws -> [String: Any] {
        let catalog = try Catalog(paths: paths)
        return try StageRunner.run(catalog: catalog, job: job.name, stage: "bronze", wait: true) { runID in
            let bronze = try BronzeStage(catalog: catalog, job: job, runID: runID)
            let first = bronze.nextID
            let r = try body.withUnsafeBytes { try bronze.ingestBytes($0, source: "http") }
            return ["job": job.name, "lines": r.lines, "bytes": r.bytes,
                    "first_ingest_id": r.lines > 0 ? first : NSNull(),
                    "last_ingest_id": r.lines > 0 ? first + Int64(r.lines) - 1 : NSNull()]
        }
    }
}
