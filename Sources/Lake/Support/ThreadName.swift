import Foundation

/// Starts a thread of lake's own, named `name` for Foundation and for the kernel (`top -H`,
/// `perf`, `/proc/<pid>/task/*/comm`; names are kept to 15 bytes there, so keep them short).
/// Foundation's `Thread.name` is not passed on to Linux, and Swift's Glibc module leaves out
/// `pthread_setname_np`: the thread writes its name to `/proc/thread-self/comm` itself (best
/// effort: a failure leaves the process's name).
func startThread(_ name: String, stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread {
        nameKernelThread(name)
        body()
    }
    thread.name = name
    thread.stackSize = stackSize
    thread.start()
}

private func nameKernelThread(_ name: String) {
    #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    #endif
}
