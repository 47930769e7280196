import CLakeSupport
import Foundation

/// Process-wide settings every `lake` command applies first.
public enum ProcessSetup {
    /// glibc gives each thread that allocates its own malloc arena; the Parquet writer's
    /// background encoders would then keep freed row-group buffers in arenas the main thread
    /// never reuses. And blocks of 4 MB and more (row-group buffers, bronze's hand-over chunks)
    /// are mapped on their own: in one heap they fragmented it, and `run all`'s RSS crept up
    /// over a long input. Together: `run all` peak RSS 198 → 164 MB at 1M events and 220 →
    /// 195 MB at 5M, silver 130 → 118 MB, at the same speed (bench/NOTES.md item 20; a 1 MB
    /// threshold, tried before the buffers were pooled, made silver 2.4× slower).
    /// `MALLOC_ARENA_MAX` / `MALLOC_MMAP_THRESHOLD_` in the environment still win.
    /// Returns whether both settings took effect (or were left to the environment); false on a
    /// C library other than glibc.
    @discardableResult
    public static func configureMemory() -> Bool {
        let arenas = getenv("MALLOC_ARENA_MAX") != nil || lake_malloc_arena_max(1) == 1
        let threshold = getenv("MALLOC_MMAP_THRESHOLD_") != nil || lake_malloc_mmap_threshold(4 << 20) == 1
        return arenas && threshold
    }

    /// Lowers the calling thread's scheduling priority (nice 10; Linux sets it per thread), for
    /// background maintenance beside latency-sensitive work. Best effort.
    public static func lowerThreadPriority() {
        _ = lake_set_thread_nice(10)
    }
}
