import ArgumentParser
import Dispatch
import Foundation
import Lake
import LakeServer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the dashboard, its JSON API, /metrics and HTTP ingest (POST /ingest/<job>).",
        discussion: """
            Binds to 127.0.0.1 by default. Set LAKE_INGEST_TOKEN to require \
            `Authorization: Bearer <token>` (or Basic with the token as password, which a browser \
            asks for) on ingest and, unless --public-read, on pages, the API and /metrics; \
            binding to another address requires it.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free one).") var port = 8080
    @Option(help: "Largest ingest request body, in MB.") var maxBodyMB = 16
    @Flag(help: "With LAKE_INGEST_TOKEN set, serve pages, the API and /metrics without it (ingest still needs it).")
    var publicRead = false
    @Option(help: "Close a connection that sends nothing for this many seconds (between requests or inside one).")
    var idleTimeout = 30
    @Option(help: "Answer 408 to an ingest body not complete after this many seconds.") var bodyTimeout = 60

    func validate() throws {
        if maxBodyMB < 1 || maxBodyMB > 1024 { throw ValidationError("--max-body-mb must be between 1 and 1024") }
        if port < 0 || port > 65535 { throw ValidationError("--port must be between 0 and 65535") }
        if idleTimeout < 1 || bodyTimeout < 1 { throw ValidationError("--idle-timeout and --body-timeout must be 1 or more") }
    }

    func run() throws {
        var settings = LakeHTTPServer.Settings()
        settings.host = host
        settings.port = port
        settings.ingestBytesMax = maxBodyMB << 20
        settings.token = ProcessInfo.processInfo.environment["LAKE_INGEST_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        settings.publicRead = publicRead
        settings.idleTimeoutSeconds = idleTimeout
        settings.bodyTimeoutSeconds = bodyTimeout
        let paths = global.paths
        _ = try Catalog(paths: paths)  // create or migrate before serving read-only connections
        let server = try LakeHTTPServer(paths: paths, jobs: try global.loadJobs(only: nil), settings: settings)
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        let host = self.host
        Task {
            do {
                try await server.run { bound in
                    Output.note("lake serve: dashboard on http://\(host):\(bound)/ (ingest: POST /ingest/<job>); Ctrl-C stops")
                }
            } catch { failure.set(error) }
            done.signal()
        }
        done.wait()
        if let error = failure.get() { throw error }
    }
}

/// An error handed from the server task to the blocked command.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    func set(_ e: Error) { lock.lock(); error = e; lock.unlock() }
    func get() -> Error? { lock.lock(); defer { lock.unlock() }; return error }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write every job's dashboard page into one static, self-contained HTML file.",
        discussion: "With --job, that job's page alone. The data is read once and embedded: the file opens offline.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Where to write the page.") var out = "report.html"
    @Option(help: "Report only this job's page (default: every job's, with a job switcher).") var job: String?

    func run() throws {
        let jobs = try global.loadJobs(only: self.job)
        let catalog = try Catalog(paths: global.paths, readOnly: true)
        let pages = try jobs.map { job in
            (job: job.name, html: DashboardPage.html(job: job, jobs: [], embeddedJSON: try DashboardData.jsonText(
                try DashboardPage.embedded(catalog, job: job))))
        }
        let page = pages.count == 1 ? pages[0].html : DashboardPage.book(pages)
        do {
            try page.write(toFile: out, atomically: true, encoding: .utf8)
        } catch {
            throw LakeError("write report", path: out, error.localizedDescription, hint: "check the --out path")
        }
        Output.note("report: \(out) (\(Output.bytes(Int64(page.utf8.count))))")
    }
}
