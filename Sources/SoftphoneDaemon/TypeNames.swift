import ControlProtocol
import MediaCore

// ControlProtocol carries its own wire-level copies of these names for clients that do not
// link the media code; inside the daemon the media model's types are the ones meant. The
// conversions are exhaustive switches, so a new case is a compile error, never a trap.
public typealias MuteMode = MediaCore.MuteMode
public typealias MuteSource = MediaCore.MuteSource

extension MediaCore.MuteMode {
    init(_ wire: ControlProtocol.MuteMode) {
        switch wire {
        case .silence: self = .silence
        case .disable: self = .disable
        }
    }

    var wire: ControlProtocol.MuteMode {
        switch self {
        case .silence: .silence
        case .disable: .disable
        }
    }
}

extension MediaCore.MuteSource {
    var wire: ControlProtocol.MuteSource {
        switch self {
        case .local: .local
        case .remote: .remote
        case .device: .device
        }
    }
}
