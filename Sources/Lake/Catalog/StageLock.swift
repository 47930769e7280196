import Foundation

/// An exclusive lock per job and stage (`<lake>/locks/<job>.<stage>.lock`), held with flock(2)
/// so a killed holder releases it at once: a stale lock is never left behind.
/// Sendable so `run all` can take a lock on one thread and release it on the stage's thread;
/// it is used by one thread at a time.
public final class StageLock: @unchecked Sendable {
    public let path: String
    private var fd: Int32

    /// Takes the lock; with `wait` blocks until free, otherwise fails with a clear message.
    public init(paths: LakePaths, job: String, stage: String, wait: Bool) throws {
        let folder = paths.root + "/locks"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/\(job).\(stage).lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw LakeError("open lock", path: path, String(cString: strerror(errno)),
                hint: "check that the lake folder is writable")
        }
        while flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            fd = -1
            throw LakeError("lock", path: path,
                "stage \(stage) of job \(job) is already running (pid \(holder.isEmpty ? "?" : holder))",
                hint: "wait for it to finish, or pass --wait")
        }
        _ = ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    /// The locks of `stages` of every job in `jobs`, job by job, then stage by stage, keyed
    /// `"job.stage"`: the one order every command that takes several locks takes them in, so
    /// two such commands waiting with `--wait` cannot deadlock. Taken before any of the work
    /// they guard, so a command that meets a held lock has done nothing when it is refused.
    public static func takeAll(paths: LakePaths, jobs: [String], stages: [String], wait: Bool) throws
        -> [String: StageLock]
    {
        var locks: [String: StageLock] = [:]
        for job in jobs {
            for stage in stages {
                locks[job + "." + stage] = try StageLock(paths: paths, job: job, stage: stage, wait: wait)
            }
        }
        return locks
    }

    deinit { release() }

    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }
}
