import DaemonTestSupport
import Foundation

extension DaemonProcess {
    /// Launches the daemon and blocks until its control socket accepts, for the suites that
    /// are still synchronous (`start` is the async form).
    static func started(yaml: String, arguments: [String] = [], environment: [String: String] = [:],
                        directory: URL? = nil, namespace: String? = nil) throws -> DaemonProcess {
        let daemon = try DaemonProcess(yaml: yaml, arguments: arguments, environment: environment, directory: directory,
                                       namespace: namespace)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let client = try? ControlClient(path: daemon.socketPath) {
                client.close()
                return daemon
            }
            guard daemon.isRunning else {
                throw DaemonProcessError("softphoned exited with \(daemon.result?.status ?? -1): \(daemon.log)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw DaemonProcessError("softphoned's control socket did not appear within 15 s: \(daemon.log)")
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.withLock { data.append(more) } }
    var string: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
