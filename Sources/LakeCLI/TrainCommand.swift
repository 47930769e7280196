import ArgumentParser
import Foundation
import Lake

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a new k-means model for each kmeans gold table on all of silver.",
        discussion: """
            The model is stored as the next version in the catalog (lake_model) and in the table's \
            model table; gold labels new rows with it. `lake backfill gold` relabels earlier rows.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Train only this job's tables (default: every job with a kmeans table).") var job: String?
    @Option(help: "Train only this gold table.") var table: String?

    func run() throws {
        let catalog = try Catalog(paths: global.paths)
        var trained = 0
        for job in try global.loadJobs(only: job) where job.gold.contains(where: { $0.kind == .kmeans }) {
            for t in try ModelTrainer.train(catalog: catalog, job: job, table: table) {
                let segments = t.segments.map { s in
                    "\(s.label) \(s.center.map { String(format: "%.2f", $0) }.joined(separator: "/")) "
                        + "(\(String(format: "%.1f", s.share * 100))%)"
                }
                Output.note("train \(t.table): model v\(t.version) on \(t.rows) rows in \(t.iterations) iterations: "
                            + segments.joined(separator: ", "))
                trained += 1
            }
        }
        if trained == 0 {
            throw LakeError("train", "no job has a kmeans gold table", hint: "declare one: [gold.<name>] kind = \"kmeans\"")
        }
    }
}
