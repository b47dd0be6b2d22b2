import CallControl
import ControlProtocol
import MediaEngine
import PlatformSync

/// What a program embedding the daemon in this package (the demo) reads of its state,
/// without reaching into the call controller.
extension Daemon {
    /// The current call as `status` shows it; nil while idle.
    package var currentCall: CallInfo? { calls.snapshot.current.map { ControlEncoder.callInfo($0.summary, webrtc: $0.webrtc) } }

    /// The current call's media counters; nil while idle.
    package var currentCallStatistics: MediaStatistics.Snapshot? { calls.snapshot.current?.media.statistics.snapshot }

    /// The control socket's `status` object.
    /// - Parameter includingDevice: whether the capture device's mixer state is included.
    package func statusResult(includingDevice: Bool = true) -> StatusResult {
        ControlEncoder.status(mute: mute.state, call: calls.snapshot, signaling: signaling?.status,
                              device: includingDevice ? deviceSync.status : nil)
    }
}
