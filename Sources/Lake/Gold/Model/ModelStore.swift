import Foundation
import Parquet

/// The k-means models of a job's `kmeans` tables, versioned in the catalog (`lake_model`: one
/// row per fitted model, never changed), and each table's model table in SQLite (one row per
/// label: its center in the features' own units, and how many training rows it holds).
enum ModelStore {
    /// The newest model of a table, nil when none was fitted yet.
    static func latest(_ catalog: Catalog, job: String, table: String) throws -> (version: Int64, model: KMeansModel)? {
        guard let row = try catalog.db.query(
            "SELECT version, model FROM lake_model WHERE job = ? AND gold_table = ? ORDER BY version DESC LIMIT 1",
            .text(job), .text(table)).first, let version = row[0].int, let text = row[1].text
        else { return nil }
        return (version, try decode(text, table: table))
    }

    static func nextVersion(_ catalog: Catalog, job: String, table: String) throws -> Int64 {
        (try catalog.db.scalar("SELECT max(version) FROM lake_model WHERE job = ? AND gold_table = ?",
                               .text(job), .text(table))?.int ?? 0) + 1
    }

    /// The model table (created when missing).
    static func ddl(_ plan: GoldTablePlan) -> String {
        let d = plan.definition
        return "CREATE TABLE IF NOT EXISTS \(d.modelTable) (model_version INTEGER NOT NULL, label TEXT NOT NULL, "
            + centerColumns(d).map { "\(quoted($0)) REAL" }.joined(separator: ", ")
            + ", \(quoted(d.modelCountColumn)) INTEGER NOT NULL, share REAL NOT NULL, trained_at TEXT NOT NULL);\n"
    }

    /// `center` for one feature, `center_<feature>` for several.
    static func centerColumns(_ d: GoldTableDefinition) -> [String] {
        d.features.count == 1 ? ["center"] : d.features.map { "center_" + $0 }
    }

    /// Records `model` as `version` and replaces the model table's rows (inside a transaction).
    static func save(_ catalog: Catalog, job: String, plan: GoldTablePlan, model: KMeansModel, version: Int64,
                     throughSnapshot: Int64) throws {
        let d = plan.definition
        let now = Timestamps.iso(micros: Clock.nowMicros())
        try catalog.db.run("""
            INSERT INTO lake_model (job, gold_table, version, trained_at, through_snapshot, training_rows, model)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, .text(job), .text(d.table), .int(version), .text(now), .int(throughSnapshot),
                           .int(Int64(model.rowCount)), .text(encode(model, d)))
        try catalog.db.run("DELETE FROM \(d.modelTable)")
        let columns = ["model_version", "label"] + centerColumns(d) + [d.modelCountColumn, "share", "trained_at"]
        let insert = try catalog.db.prepare("INSERT INTO \(d.modelTable) (\(columns.map(quoted).joined(separator: ", "))) "
                                            + "VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))")
        for (i, center) in model.centers.enumerated() {
            let units = center.enumerated().map { f, v in v * (model.stds[f] == 0 ? 1 : model.stds[f]) + model.means[f] }
            let size = model.clusterSizes[i]
            try insert.bind([.int(version), .text(d.labels[i])] + units.map { .double($0) }
                            + [.int(Int64(size)), .double(model.rowCount == 0 ? 0 : Double(size) / Double(model.rowCount)),
                               .text(now)])
            try insert.execute()
        }
    }

    static func encode(_ m: KMeansModel, _ d: GoldTableDefinition) -> String {
        let object: [String: Any] = [
            "features": d.features, "k": d.clusterCount, "labels": d.labels, "seed": d.seed,
            "means": m.means, "stds": m.stds, "centers": m.centers, "initial_centers": m.initialCenters,
            "iterations": m.iterations, "inertia": m.inertia, "rows": m.rowCount, "cluster_sizes": m.clusterSizes,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String, table: String) throws -> KMeansModel {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let means = o["means"] as? [Double], let stds = o["stds"] as? [Double],
              let centers = o["centers"] as? [[Double]], let initial = o["initial_centers"] as? [[Double]],
              let iterations = o["iterations"] as? Int, let inertia = o["inertia"] as? Double,
              let rows = o["rows"] as? Int, let sizes = o["cluster_sizes"] as? [Int]
        else {
            throw LakeError("read model", "the stored model of \(table) is damaged",
                            hint: "fit a new one with `lake train`")
        }
        return KMeansModel(means: means, stds: stds, centers: centers, initialCenters: initial,
                           iterations: iterations, inertia: inertia, rowCount: rows, clusterSizes: sizes)
    }
}

/// Fits a `kmeans` table's model on silver: every live silver row the table's `where` accepts
/// (those of snapshots up to `through` when given), or a uniform sample of `sample_rows` of
/// them (reservoir sampling with the table's seed, over the files in commit order, so the
/// same silver gives the same sample).
enum KMeansTraining {
    static func fit(_ catalog: Catalog, job: JobDefinition, plan: GoldPlan, table: GoldTablePlan,
                    through: Int64? = nil) throws -> KMeansModel {
        let d = table.definition
        let paths = try catalog.db.query("""
            SELECT path FROM lake_data_file
            WHERE table_id = (SELECT table_id FROM lake_table WHERE table_name = ?) AND end_snapshot IS NULL
              AND begin_snapshot <= ?
            ORDER BY file_id
            """, .text(table.definition.from), .int(through ?? Int64.max)).compactMap { $0[0].text }
        let inputs = plan.sources[plan.tableSources[plan.tables.firstIndex { $0 === table } ?? 0]].inputs
        let width = d.features.count
        var rows: [Double] = []
        var seen = 0
        var rng = KMeans.SplitMix64(seed: d.seed ^ 0x5EED_5A3F_1E5E_ED00)
        let batch = RowBatch(types: inputs.map(\.type), capacity: 8192)
        let scratches = inputs.map { _ in ColumnScratch() }
        var x = [Double](repeating: 0, count: width)
        for path in paths {
            _ = try GoldStage.forEachBatch(catalog: catalog, file: path, inputs: inputs, batch: batch, scratches: scratches) { b in
                let views = UnsafePointer(b.views)
                for row in 0..<b.count where table.accepts(views, row) {
                    var ok = true
                    for f in 0..<width {
                        let v = table.features[f](views, row) ?? .nan
                        if !v.isFinite { ok = false }
                        x[f] = v
                    }
                    guard ok else { continue }
                    seen += 1
                    if let limit = d.sampleRows, seen > limit {
                        let j = Int(rng.next().multipliedFullWidth(by: UInt64(seen)).high)
                        if j < limit { for f in 0..<width { rows[j * width + f] = x[f] } }
                    } else {
                        rows += x
                    }
                }
            }
        }
        return KMeans.fit(rows, featureCount: width, k: d.clusterCount, seed: d.seed)
    }
}

/// `lake train`: fits a new model for each `kmeans` table of a job on all of silver and stores
/// it as the next version. Rows gold labels from now on use it; `lake backfill gold` relabels
/// the rows labelled before.
public enum ModelTrainer {
    public struct Trained: Sendable {
        public var table: String
        public var version: Int64
        public var rows: Int
        public var iterations: Int
        /// Per label: the center in the features' units and its share of the training rows.
        public var segments: [(label: String, center: [Double], share: Double)]
    }

    public static func train(catalog: Catalog, job: JobDefinition, table name: String? = nil) throws -> [Trained] {
        let plan = try GoldPlan(job: job)
        let chosen = plan.tables.filter { $0.definition.kind == .kmeans && (name == nil || $0.table == name) }
        if chosen.isEmpty {
            throw LakeError("train", "job \(job.name) has no kmeans table" + (name.map { " named \($0)" } ?? ""),
                            hint: "declare one in jobs/\(job.name).toml: [gold.<name>] kind = \"kmeans\"")
        }
        try GoldStage.setUp(catalog, plan)
        let through = try catalog.lastCommittedSnapshot(job: job.name, stage: .silver)
        var out: [Trained] = []
        for t in chosen {
            let model = try KMeansTraining.fit(catalog, job: job, plan: plan, table: t, through: through)
            let version = try catalog.db.transaction {
                let v = try ModelStore.nextVersion(catalog, job: job.name, table: t.table)
                try ModelStore.save(catalog, job: job.name, plan: t, model: model, version: v, throughSnapshot: through)
                return v
            }
            let segments = model.centers.enumerated().map { i, c in
                (t.definition.labels[i],
                 c.enumerated().map { f, v in v * (model.stds[f] == 0 ? 1 : model.stds[f]) + model.means[f] },
                 model.rowCount == 0 ? 0 : Double(model.clusterSizes[i]) / Double(model.rowCount))
            }
            out.append(Trained(table: t.table, version: version, rows: model.rowCount, iterations: model.iterations,
                               segments: segments))
        }
        return out
    }
}
