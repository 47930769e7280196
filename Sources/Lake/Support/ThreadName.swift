#if canImport(Glibc)
    import Glibc
#endif

/// Names the calling thread for the kernel (`top -H`, `perf`, `/proc/<pid>/task/*/comm`):
/// Foundation's `Thread.name` is not passed on to Linux, and Swift's Glibc module leaves out
/// `pthread_setname_np`, so the name is written to `/proc/thread-self/comm` (at most 15 bytes
/// are kept). Best effort: a failure leaves the process's name.
func nameCurrentThread(_ name: String) {
    #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    #endif
}
