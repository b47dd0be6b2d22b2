import Foundation

/// The threads of a helper that reads or sends on its own (a receiver, a relay, a tone
/// sender): each loops `while loops.running`, and `stop` ends them all and waits for them.
final class ThreadLoops: @unchecked Sendable {
    private let lock = NSLock()
    private var isRunning = false
    private var threads = 0
    private let ended = DispatchSemaphore(value: 0)

    /// Runs `body` on a thread of its own.
    func start(_ body: @escaping @Sendable () -> Void) {
        lock.withLock {
            isRunning = true
            threads += 1
        }
        let ended = self.ended
        Thread {
            body()
            ended.signal()
        }.start()
    }

    /// False once `stop` was called.
    var running: Bool { lock.withLock { isRunning } }

    /// Ends the loops and waits for every thread (idempotent).
    /// - Returns: whether this call ended them (false when they were not running).
    @discardableResult
    func stop() -> Bool {
        let count = lock.withLock { () -> Int in
            defer {
                isRunning = false
                threads = 0
            }
            return isRunning ? threads : 0
        }
        for _ in 0..<count { ended.wait() }
        return count > 0
    }
}
