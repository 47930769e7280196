import FlyingFox
import Foundation
import Lake

/// `POST /ingest/<job>`: appends an NDJSON body to the job's bronze table under the bronze
/// lock, as one commit; the 200 answer comes only after the commit, so an acknowledged line is
/// durable and a failed request left nothing behind (the client may retry it).
enum Ingest {
    static let contentTypes = ["application/x-ndjson", "application/jsonl", "application/json", "text/plain",
                               "application/ndjson", "application/octet-stream"]

    static func handle(_ request: HTTPRequest, owner: LakeHTTPServer, job name: String) async throws -> HTTPResponse {
        if let token = owner.settings.token {
            guard request.headers[.authorization] == "Bearer \(token)" else {
                throw HTTPFailure(.unauthorized, "missing or wrong bearer token")
            }
        }
        guard let job = owner.jobs.first(where: { $0.name == name }) else {
            throw HTTPFailure(.notFound, "no job named \(name.prefix(100)); jobs: \(owner.jobs.map(\.name).joined(separator: ", "))")
        }
        let type = (request.headers[.contentType] ?? "").split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard contentTypes.contains(type) else {
            throw HTTPFailure(.unsupportedMediaType, "Content-Type must be application/x-ndjson (got \(type.isEmpty ? "none" : type))")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > owner.settings.ingestBytesMax {
            throw HTTPFailure(.payloadTooLarge, "body of \(length) bytes is over the \(owner.settings.ingestBytesMax)-byte limit; split it")
        }
        let body = try await request.bodyData
        guard body.count <= owner.settings.ingestBytesMax else {
            throw HTTPFailure(.payloadTooLarge, "body is over the \(owner.settings.ingestBytesMax)-byte limit; split it")
        }
        guard !body.isEmpty else { throw HTTPFailure(.badRequest, "empty body: send one JSON event per line") }
        let result: [String: Any] = try await withCheckedThrowingContinuation { continuation in
            owner.writes.async {
                continuation.resume(with: Result { try commit(body, job: job, paths: owner.paths) })
            }
        }
        return Responses.text(try DashboardData.jsonText(result), type: "application/json")
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
