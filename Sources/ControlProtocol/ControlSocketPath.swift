import Foundation

/// Where the control socket lives by default (SPEC §4).
public enum ControlSocketPath {
    /// The environment variable clients read to override the default path.
    public static let environmentVariable = "SOFTPHONED_CONTROL_SOCKET"
    /// The system service's socket.
    public static let system = "/run/softphoned/control.sock"

    /// `$XDG_RUNTIME_DIR/softphoned/control.sock` for a user, `/run/softphoned/control.sock`
    /// for root or when `XDG_RUNTIME_DIR` is unset.
    ///
    /// - Parameters:
    ///   - environment: The environment to read (the process's by default).
    ///   - uid: The effective uid (the process's by default).
    public static func defaultPath(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        uid: UInt32 = UInt32(geteuid())
    ) -> String {
        if uid != 0, let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return (runtime as NSString).appendingPathComponent("softphoned/control.sock")
        }
        return system
    }

    /// The path a client should use: `SOFTPHONED_CONTROL_SOCKET` if set, else ``defaultPath(environment:uid:)``.
    public static func clientPath(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        uid: UInt32 = UInt32(geteuid())
    ) -> String {
        if let explicit = environment[environmentVariable], !explicit.isEmpty {
            return explicit
        }
        return defaultPath(environment: environment, uid: uid)
    }
}
