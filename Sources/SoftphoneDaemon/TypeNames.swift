import MediaCore

// ControlProtocol carries its own wire-level copies of these names for clients that do not
// link the media code; inside the daemon the media model's types are the ones meant.
public typealias MuteMode = MediaCore.MuteMode
public typealias MuteSource = MediaCore.MuteSource
