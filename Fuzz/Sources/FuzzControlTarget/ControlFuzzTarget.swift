import ControlProtocol
import ControlServer
import Foundation
import FuzzTargets
import MediaCore
import MediaEngine

/// One line from a control client, through the server's request parsing, method lookup,
/// `subscribe` and a handler that reads each method's params the way the daemon does
/// (params structs, socket addresses, SRTP suites and keys, SDP for `call.accept` and
/// `call.answer`), without starting media.
///
/// Besides not trapping, the server must answer a request with an id with exactly one
/// line of valid JSON, and a notification with nothing.
public enum ControlFuzzTarget {
    static let bus = EventBus(capacity: 16)
    static let peer = PeerCredentials(pid: 1, uid: 1000, gid: 1000)

    /// Reads params as `DaemonRequestHandler` does; answers `null`.
    struct ParamsHandler: ControlRequestHandler {
        func handle(method: String, params: JSONValue?, peer: PeerCredentials) async throws(ControlError) -> JSONValue {
            switch ControlMethod(rawValue: method) {
            case .mute:
                let request = try ControlParams.decode(MuteParams.self, from: params ?? .object([:]))
                _ = request.mode.map { MediaCore.MuteMode(rawValue: $0.rawValue) }
            case .callStart:
                let request = try ControlParams.decode(CallStartParams.self, from: params)
                do { _ = try SocketAddress(request.remote) } catch { throw .invalidParams("remote: \(error.description)") }
                guard let suite = SRTPSuite(name: request.srtp.suite) else { throw .invalidParams("srtp.suite") }
                do { _ = try SRTPMasterKey(suite: suite, inline: request.srtp.key) } catch { throw .invalidParams("srtp.key: \(error.description)") }
                if let text = request.srtp.remoteKey {
                    do { _ = try SRTPMasterKey(suite: suite, inline: text) } catch { throw .invalidParams("srtp.remoteKey: \(error.description)") }
                }
            case .callAnswer:
                let request = try ControlParams.decode(SDPParams.self, from: params)
                do { _ = try SDPNegotiator.complete(SDPFuzzTarget.pending, withAnswer: request.sdp) } catch { throw .badSDP(error.description) }
            case .callAccept:
                let request = try ControlParams.decode(SDPParams.self, from: params)
                do { _ = try SDPNegotiator.answer(to: request.sdp, local: SDPFuzzTarget.local) } catch { throw .badSDP(error.description) }
            case .callDTMF:
                let request = try ControlParams.decode(DTMFParams.self, from: params)
                do { _ = try DTMFDigits(request.digits, durationMs: request.durationMs) } catch { throw .invalidParams(error.description) }
            case .unmute, .toggle, .status, .callOffer, .callHangup, .subscribe, nil:
                break
            default:
                // Methods added since (auth.*): the envelope and lookup are still fuzzed.
                break
            }
            return .null
        }
    }

    public static func run(_ bytes: UnsafeRawBufferPointer) {
        let line = [UInt8](bytes)
        FuzzDriver.wait {
            let reply = await ControlServer.respond(toLine: line, handler: ParamsHandler(), bus: bus, peer: peer)
            guard !reply.isEmpty else { return }
            FuzzDriver.require(reply.last == UInt8(ascii: "\n") && reply.dropLast().firstIndex(of: UInt8(ascii: "\n")) == nil,
                               "the reply is not one line: \(String(decoding: reply, as: UTF8.self))")
            FuzzDriver.require((try? JSONValue.parse(Data(reply.dropLast()))) != nil,
                               "the reply is not JSON: \(String(decoding: reply, as: UTF8.self))")
        }
    }
}
