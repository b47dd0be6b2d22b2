import DaemonTestSupport
import ControlProtocol
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import ControlServer

#if canImport(Glibc)
import Glibc
#endif

@Suite("ControlServer: JSON-RPC over the Unix socket")
struct ControlServerTests {
    @Test func statusAndMuteRoundTrip() async throws {
        try await withServer { path, _, handler in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            let status = try await client.request("status").get().decode(as: StatusResult.self)
            #expect(status.muted == false)
            let muted = try await client.request("mute", params: ["mode": "disable"]).get().decode(as: StatusResult.self)
            #expect(muted.muted && muted.mode == .disable)
            #expect(handler.muted)
            let toggled = try await client.request("toggle").get().decode(as: StatusResult.self)
            #expect(toggled.muted == false)
        }
    }

    @Test func stringIDsAndLargeIntegerIDsEchoExactly() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            try await client.send(#"{"jsonrpc":"2.0","id":"abc","method":"status"}"# + "\n")
            #expect(try await client.readResponse().id == .string("abc"))
            try await client.send(#"{"jsonrpc":"2.0","id":9007199254740993,"method":"status"}"# + "\n")
            #expect(try await client.readResponse().id == .number(9_007_199_254_740_993))
        }
    }

    @Test func malformedJSONGetsParseErrorAndConnectionStaysOpen() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            try await client.send("{not json\n")
            let response = try await client.readResponse()
            #expect(response.id == .null)
            #expect(throws: ControlError.self) { try response.get() }
            #expect(response.errorCode == ControlError.Code.parseError)
            // Still usable afterwards.
            #expect(try await client.request("status").errorCode == nil)
        }
    }

    @Test(arguments: [
        (#"[1,2]"#, "batch"),
        (#"42"#, "JSON object"),
        (#"{"jsonrpc":"1.0","id":1,"method":"status"}"#, "jsonrpc"),
        (#"{"jsonrpc":"2.0","id":1}"#, "method"),
        (#"{"jsonrpc":"2.0","id":true,"method":"status"}"#, "id"),
        (#"{"jsonrpc":"2.0","id":1,"method":"status","params":5}"#, "params"),
    ])
    func invalidRequests(line: String, mentions: String) async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            try await client.send(line + "\n")
            let response = try await client.readResponse()
            #expect(response.errorCode == ControlError.Code.invalidRequest)
            #expect(response.errorMessage?.contains(mentions) == true)
            #expect(try await client.request("status").errorCode == nil)
        }
    }

    @Test func unknownMethodIsMethodNotFound() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            let response = try await client.request("reboot")
            #expect(response.errorCode == ControlError.Code.methodNotFound)
            #expect(response.errorMessage?.contains("reboot") == true)
        }
    }

    @Test func badParamsAreInvalidParams() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            let badMode = try await client.request("mute", params: ["mode": "loud"])
            #expect(badMode.errorCode == ControlError.Code.invalidParams)
            let missing = try await client.request("call.start", params: ["remote": "127.0.0.1:5004"])
            #expect(missing.errorCode == ControlError.Code.invalidParams)
            #expect(missing.errorMessage?.contains("srtp") == true)
            let arrayParams = try await client.request("mute", params: ["silence"])
            #expect(arrayParams.errorCode == ControlError.Code.invalidParams)
            let badEvents = try await client.request("subscribe", params: ["events": ["mute", "explode"]])
            #expect(badEvents.errorCode == ControlError.Code.invalidParams)
            #expect(badEvents.errorMessage?.contains("explode") == true)
        }
    }

    @Test func applicationErrorsPassThrough() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            #expect(try await client.request("call.hangup").errorCode == ControlError.Code.noActiveCall)
            #expect(try await client.request("call.accept", params: ["sdp": "x"]).errorCode == ControlError.Code.badSDP)
            let start = try await client.request(
                "call.start", params: ["remote": "127.0.0.1:5004", "srtp": ["suite": "AES_CM_128_HMAC_SHA1_80", "key": "inline:x"]])
            #expect(start.errorCode == ControlError.Code.deviceUnavailable)
        }
    }

    @Test func notificationsGetNoReply() async throws {
        try await withServer { path, _, handler in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            try await client.send(#"{"jsonrpc":"2.0","method":"mute"}"# + "\n")
            try await client.send(#"{"jsonrpc":"2.0","method":"nonexistent"}"# + "\n")
            // The next reply on the connection is the one for this request.
            let response = try await client.request("status")
            #expect(try response.get().decode(as: StatusResult.self).muted)
            #expect(handler.muted)
        }
    }

    @Test func blankLinesAndCRLFAreAccepted() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            try await client.send("\n  \r\n" + #"{"jsonrpc":"2.0","id":7,"method":"status"}"# + "\r\n")
            let response = try await client.readResponse()
            #expect(response.id == .number(7) && response.errorCode == nil)
        }
    }

    @Test func overlongLineIsRejectedAndFramingRecovers() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            // 70 KiB line: sent in pieces while the server already discards it.
            let padding = String(repeating: "x", count: 70 * 1024)
            try await client.send(#"{"jsonrpc":"2.0","id":1,"method":"status","params":{"pad":""# + padding + "\"}}\n")
            let response = try await client.readResponse()
            #expect(response.errorCode == ControlError.Code.invalidRequest)
            #expect(response.errorMessage?.contains("longer than") == true)
            let next = try await client.request("status")
            #expect(next.errorCode == nil)
        }
    }

    @Test func lineOfExactlyTheLimitIsAccepted() async throws {
        try await withServer(maxLineLength: 4096) { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            let head = #"{"jsonrpc":"2.0","id":3,"method":"status","params":{"pad":""#
            let tail = "\"}}"
            let line = head + String(repeating: "y", count: 4096 - head.utf8.count - tail.utf8.count) + tail
            #expect(line.utf8.count == 4096)
            try await client.send(line + "\n")
            #expect(try await client.readResponse().errorCode == nil)
            try await client.send(line + " \n")
            #expect(try await client.readResponse().errorCode == ControlError.Code.invalidRequest)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            var batch = ""
            for id in 1...50 {
                let method = id % 10 == 0 ? "call.offer" : (id % 3 == 0 ? "nope" : "status")
                batch += #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)"}"# + "\n"
            }
            try await client.send(batch)
            for id in 1...50 {
                #expect(try await client.readResponse().id == .number(Int64(id)))
            }
        }
    }

    @Test func clientVanishingMidRequestDoesNotHurtTheServer() async throws {
        try await withServer { path, server, _ in
            for _ in 0..<5 {
                let client = try ControlClient(path: path, timeout: .seconds(20))
                try await client.send(#"{"jsonrpc":"2.0","id":1,"method":"call.offer"}"# + "\n")
                try await client.send(#"{"jsonrpc":"2.0","id":2,"method":"status"}"# + "\n")
                _ = client  // closed here, while call.offer is still running
            }
            let survivor = try ControlClient(path: path, timeout: .seconds(20))
            #expect(try await survivor.request("status").errorCode == nil)
            // Every vanished connection is cleaned up once its slow request finishes.
            let deadline = ContinuousClock.now + .seconds(20)
            while server.connectionCount > 1, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(server.connectionCount == 1)
        }
    }

    @Test func sixtyFourConcurrentClients() async throws {
        try await withServer { path, server, _ in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        let client = try ControlClient(path: path, timeout: .seconds(20))
                        var answered = 0
                        for _ in 0..<10 where try await client.request("status").errorCode == nil {
                            answered += 1
                        }
                        return answered
                    }
                }
                var total = 0
                for try await answered in group { total += answered }
                #expect(total == 640)
            }
        }
    }

    /// Past the cap a client reads one error line and is closed; the clients already in
    /// keep being served, and a slot that frees up is used again.
    @Test func connectionsBeyondTheCapAreRefusedWithAClearError() async throws {
        try await withServer(configure: { $0.maxConnections = 8 }) { path, server, _ in
            var admitted: [ControlClient] = []
            for _ in 0..<8 {
                let client = try ControlClient(path: path, timeout: .seconds(20))
                #expect(try await client.request("status").errorCode == nil)
                admitted.append(client)
            }
            let refused = try ControlClient(path: path, timeout: .seconds(20))
            let refusal = try await refused.readResponse()
            #expect(refusal.errorCode == ControlError.Code.serverBusy)
            #expect(refusal.errorMessage == "too many control connections (limit 8); close one and try again")
            #expect(try await refused.isClosedByServer())
            for client in admitted { #expect(try await client.request("status").errorCode == nil) }

            admitted.removeLast()
            let deadline = ContinuousClock.now + .seconds(20)
            while server.connectionCount > 7, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let next = try ControlClient(path: path, timeout: .seconds(20))
            #expect(try await next.request("status").errorCode == nil)
        }
    }

    /// A flood of connections that are held open (a client stuck in a reconnect loop) fills
    /// the slots above the 64 agents' clients, is refused beyond the cap, and never stops
    /// the 64 from being answered.
    @Test func sixtyFourClientsAreServedThroughAConnectionFlood() async throws {
        try await withServer { path, _, _ in
            var clients: [ControlClient] = []
            for _ in 0..<64 {
                let client = try ControlClient(path: path, timeout: .seconds(20))
                #expect(try await client.request("status").errorCode == nil)
                clients.append(client)
            }
            var flood: [ControlClient] = []
            for _ in 0..<200 { flood.append(try ControlClient(path: path, timeout: .seconds(20))) }
            let answered = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in clients {
                    group.addTask {
                        var answered = 0
                        for _ in 0..<10 where try await client.request("status").errorCode == nil { answered += 1 }
                        return answered
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(answered == 640)
            // Which 64 of the flood got the free slots depends on scheduling; every other one
            // reads the refusal, and every admitted one is answered.
            var busy = 0
            var served = 0
            for client in flood {
                try? await client.send(#"{"jsonrpc":"2.0","id":1,"method":"status"}"# + "\n")
                let response = try await client.readResponse()
                if response.errorCode == ControlError.Code.serverBusy { busy += 1 } else if response.errorCode == nil { served += 1 }
            }
            #expect(busy == 200 - 64)
            #expect(served == 64)
        }
    }

    @Test func halfClosedClientStillGetsItsReply() async throws {
        try await withServer { path, _, _ in
            let client = try ControlClient(path: path, timeout: .seconds(20))
            // No trailing newline, then shutdown(SHUT_WR), as `printf ... | socat` does.
            try await client.send(#"{"jsonrpc":"2.0","id":5,"method":"status"}"#)
            shutdown(client.fd, Int32(SHUT_WR))
            #expect(try await client.readResponse().id == .number(5))
            #expect(try await client.isClosedByServer())
        }
    }
}

extension JSONRPCResponse {
    var errorCode: Int? {
        if case .failure(let error) = outcome { return error.code }
        return nil
    }

    var errorMessage: String? {
        if case .failure(let error) = outcome { return error.message }
        return nil
    }
}
