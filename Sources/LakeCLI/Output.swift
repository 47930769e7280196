import Foundation
import Lake

/// Messages to the user: results on stderr (stdout stays free for data), one line each.
enum Output {
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n)
        var i = 0
        while v >= 1000 && i < units.count - 1 {
            v /= 1000
            i += 1
        }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }
}
extension GlobalOptions {
    /// The jobs to run: every job file in the jobs folder, or the one named.
    func loadJobs(only name: String?) throws -> [JobDefinition] {
        let all = try JobLoader.load(directory: LakePaths.absolute(jobs))
        guard let name else {
            if all.isEmpty {
                throw LakeError("load jobs", path: jobs, "no job files (*.toml)",
                    hint: "pass --jobs DIR pointing at the folder with clickstream.toml")
            }
            return all
        }
        guard let job = all.first(where: { $0.name == name }) else {
            throw LakeError("load jobs", path: jobs, "no job named \(name)",
                hint: "jobs here: \(all.map(\.name).joined(separator: ", "))")
        }
        return [job]
    }
}

extension Output {
    static func seconds(since start: Date) -> String {
        String(format: "%.2f s", Date().timeIntervalSince(start))
    }
}
