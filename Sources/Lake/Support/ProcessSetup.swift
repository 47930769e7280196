import CLakeSupport
import Foundation

/// Process-wide settings every `lake` command applies first.
public enum ProcessSetup {
    /// glibc gives each thread that allocates its own malloc arena; the Parquet writer's
    /// background encoders would then keep freed row-group buffers in arenas the main thread
    /// never reuses (silver's peak RSS: 260 MB with the default, 230 MB with one arena, at the
    /// same speed; bench/NOTES.md). `MALLOC_ARENA_MAX` in the environment still wins.
    public static func configureMemory() {
        if getenv("MALLOC_ARENA_MAX") == nil { _ = lake_malloc_arena_max(1) }
    }
}
