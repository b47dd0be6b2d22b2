import ControlProtocol
import Foundation
import Testing

@Suite("ControlProtocol: wire types")
struct ControlProtocolTests {
    func text(_ value: some Encodable) throws -> String {
        String(decoding: try ControlJSON.encoder.encode(value), as: UTF8.self)
    }

    @Test func integersStayIntegers() throws {
        let value: JSONValue = ["seq": 17, "level": -20.5, "big": .number(4_000_000_000_000)]
        #expect(try text(value) == #"{"big":4000000000000,"level":-20.5,"seq":17}"#)
    }

    @Test func jsonValueRoundTripsEveryShape() throws {
        let value: JSONValue = ["a": [true, nil, 1, "x", ["b": 2.5]]]
        let decoded = try JSONValue.parse(try value.jsonData())
        #expect(decoded == value)
        #expect(decoded["a"]?.arrayValue?.first?.boolValue == true)
        #expect(decoded["a"]?.arrayValue?[2].intValue == 1)
    }

    @Test func statusWritesCallAsNull() throws {
        let status = StatusResult(
            muted: true, source: .remote, mode: .silence, call: nil,
            signaling: SignalingInfo(profile: .sessions, state: .synced, sessionId: "s1"),
            stats: StatsInfo(packetsSent: 3, jitterMs: 1.5))
        let json = try text(status)
        #expect(json.contains(#""call":null"#))
        #expect(json.contains(#""packetsSent":3"#))
        #expect(!json.contains("rttMs"))
        #expect(try JSONDecoder().decode(StatusResult.self, from: Data(json.utf8)) == status)
    }

    @Test func statusDeviceWritesNoSwitchAsNullAndIsOptional() throws {
        var status = StatusResult(
            muted: false, source: .device, mode: .silence, call: nil,
            signaling: SignalingInfo(profile: .none, state: .off), stats: StatsInfo(),
            device: DeviceInfo(mixer: "hw:1", sync: .noSwitch))
        let json = try text(status)
        #expect(json.contains(#""device":{"mixer":"hw:1","switch":null,"sync":"no-switch"}"#), "\(json)")
        #expect(try JSONDecoder().decode(StatusResult.self, from: Data(json.utf8)) == status)
        // A daemon that predates the member: still a valid status.
        status.device = nil
        let older = try text(status)
        #expect(!older.contains(#""device":"#))
        #expect(try JSONDecoder().decode(StatusResult.self, from: Data(older.utf8)).device == nil)
    }

    @Test func eventFlattensFieldsIntoParams() throws {
        let event = ControlEvent(
            type: .remoteMute, seq: 17, at: "2026-11-21T10:00:00.020Z",
            fields: ["muted": true, "source": "remote"])
        let line = String(decoding: try event.notificationLine(), as: UTF8.self)
        #expect(line == #"{"jsonrpc":"2.0","method":"event","params":{"at":"2026-11-21T10:00:00.020Z","muted":true,"seq":17,"source":"remote","type":"remoteMute"}}"# + "\n")
        guard case .notification(let notification) = try JSONRPCMessage.parse(Data(line.utf8)) else {
            Issue.record("expected a notification")
            return
        }
        #expect(notification.event == event)
    }

    @Test func timestampsHaveMillisecondsInUTC() {
        let date = Date(timeIntervalSince1970: 1_795_255_200.0205)
        #expect(ControlTimestamp.format(date) == "2026-11-21T10:00:00.020Z")
        #expect(ControlTimestamp.parse("2026-11-21T10:00:00.020Z").map { abs($0.timeIntervalSince(date)) < 0.001 } == true)
    }

    @Test func responsesCarryResultOrError() throws {
        let ok = JSONRPCResponse(id: .number(1), result: ["ended": true])
        #expect(try text(ok) == #"{"id":1,"jsonrpc":"2.0","result":{"ended":true}}"#)
        let failed = JSONRPCResponse(id: .string("a"), error: .noActiveCall())
        #expect(try text(failed) == #"{"error":{"code":1001,"message":"no active call"},"id":"a","jsonrpc":"2.0"}"#)
        #expect(throws: ControlError.noActiveCall()) { try failed.get() }
    }

    @Test func requestWithoutIDIsANotification() throws {
        let request = JSONRPCRequest(id: nil, method: "mute")
        #expect(request.isNotification)
        #expect(!String(decoding: try request.line(), as: UTF8.self).contains("\"id\""))
    }

    @Test func paramsDecodingNamesTheProblem() throws {
        #expect(throws: ControlError.self) { try ControlParams.decode(MuteParams.self, from: ["mode": "loud"]) }
        let failure = #expect(throws: ControlError.self) {
            try ControlParams.decode(CallStartParams.self, from: ["remote": "h:1", "srtp": ["suite": "S"]])
        }
        #expect(failure?.code == ControlError.Code.invalidParams)
        #expect(failure?.message.contains("srtp.key") == true)
        #expect(try ControlParams.decode(MuteParams.self, from: nil) == MuteParams())
    }

    @Test func defaultSocketPaths() {
        #expect(ControlSocketPath.defaultPath(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"], uid: 1000)
            == "/run/user/1000/softphoned/control.sock")
        #expect(ControlSocketPath.defaultPath(environment: ["XDG_RUNTIME_DIR": "/run/user/0"], uid: 0)
            == "/run/softphoned/control.sock")
        #expect(ControlSocketPath.defaultPath(environment: [:], uid: 1000) == "/run/softphoned/control.sock")
        #expect(ControlSocketPath.clientPath(environment: ["SOFTPHONED_CONTROL_SOCKET": "/x.sock"], uid: 1000) == "/x.sock")
    }
}
