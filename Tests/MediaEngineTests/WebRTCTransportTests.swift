import Foundation
import MediaCore
@testable import MediaEngine
import Synchronization
import Testing

/// Two real transports (libnice + OpenSSL) on loopback, as an offerer and an answerer.
@Suite("WebRTCTransport", .serialized)
struct WebRTCTransportTests {
    /// Collects a transport's events.
    final class Events: Sendable {
        private let seen = Mutex<[WebRTCTransportEvent]>([])
        func record(_ event: WebRTCTransportEvent) { seen.withLock { $0.append(event) } }
        var all: [WebRTCTransportEvent] { seen.withLock { $0 } }
        func wait(for timeout: Duration = .seconds(10), until done: ([WebRTCTransportEvent]) -> Bool) async -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if done(all) { return true }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return done(all)
        }
    }

    final class KeyBox: Sendable {
        let keys = Mutex<DTLSEndpoint.Keys?>(nil)
    }

    static let loopback = ICEConfiguration(interfaces: ["lo"])

    /// A pair connected over loopback: `offerer` controls and is the DTLS server.
    static func connect(answererFingerprint: ((hashFunction: String, value: String)) -> (hashFunction: String, value: String) = { $0 })
        async throws -> (offerer: WebRTCTransport, answerer: WebRTCTransport, offererEvents: Events, answererEvents: Events) {
        let certificate = try DTLSCertificate.shared.get()
        let peerCertificate = try DTLSCertificate()
        let offererEvents = Events(), answererEvents = Events()
        let offerer = try WebRTCTransport(configuration: loopback, controlling: true, dtlsClient: false, certificate: certificate,
                                          events: offererEvents.record)
        let answerer = try WebRTCTransport(configuration: loopback, controlling: false, dtlsClient: true, certificate: peerCertificate,
                                           events: answererEvents.record)
        let offer = await offerer.gather()
        let answer = await answerer.gather()
        answerer.setRemote(ufrag: offer.ufrag, password: offer.password, candidates: offer.candidates,
                           fingerprints: [answererFingerprint(certificate.fingerprint)], endOfCandidates: true)
        offerer.setRemote(ufrag: answer.ufrag, password: answer.password, candidates: answer.candidates,
                          fingerprints: [peerCertificate.fingerprint], endOfCandidates: true)
        return (offerer, answerer, offererEvents, answererEvents)
    }

    @Test("gathering gives credentials of the lengths browsers accept and loopback host candidates")
    func gathering() async throws {
        let transport = try WebRTCTransport(configuration: Self.loopback, controlling: true, dtlsClient: false,
                                            certificate: try DTLSCertificate.shared.get(), events: { _ in })
        defer { transport.close() }
        let local = await transport.gather()
        #expect(local.ufrag.count >= 4)
        #expect(local.password.count >= 22)
        #expect(!local.candidates.isEmpty)
        // `lo` carries both loopback addresses; nothing else is gathered.
        #expect(local.candidates.allSatisfy { $0.hasPrefix("a=candidate:") && $0.hasSuffix("typ host") })
        #expect(local.candidates.allSatisfy { $0.contains(" 127.0.0.1 ") || $0.contains(" ::1 ") })
        #expect(local.defaultAddress == "127.0.0.1")
        #expect(local.defaultPort != 0)
    }

    @Test("ICE connects, DTLS keys SRTP both ways with mirrored keys, and SRTP crosses the pair")
    func handshakeAndMedia() async throws {
        let (offerer, answerer, offererEvents, answererEvents) = try await Self.connect()
        defer { offerer.close(); answerer.close() }
        let offererKeys = KeyBox(), answererKeys = KeyBox()
        offerer.deliverKeys { keys in offererKeys.keys.withLock { $0 = keys } }
        answerer.deliverKeys { keys in answererKeys.keys.withLock { $0 = keys } }
        #expect(await offererEvents.wait { $0.contains(.connected) })
        #expect(await answererEvents.wait { $0.contains(.connected) })
        let a = try #require(offererKeys.keys.withLock { $0 })
        let b = try #require(answererKeys.keys.withLock { $0 })
        #expect(a.suite == b.suite)
        #expect(a.sendKey == b.receiveKey)
        #expect(a.receiveKey == b.sendKey)
        #expect(a.sendKey != a.receiveKey)
        let status = offerer.status
        #expect(status.dtlsState == "connected")
        #expect(status.dtlsRole == "server")
        #expect(answerer.status.dtlsRole == "client")
        #expect(status.srtpProfile == "SRTP_AEAD_AES_128_GCM")
        #expect(status.localCandidate?.hasPrefix("host udp ") == true)
        #expect(status.remoteCandidate?.hasPrefix("host udp ") == true)
        #expect(status.consent == "fresh")
        print("ICE usable → DTLS done: \(Double(status.handshakeNanoseconds ?? 0) / 1e6) ms")

        // An RTP-looking datagram (first byte 0x80) goes to the peer's ring; DTLS never does.
        var packet = [UInt8](repeating: 0xAB, count: 172)
        packet[0] = 0x80
        packet[1] = 111
        #expect(packet.withUnsafeBytes { offerer.send($0) } == 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        let length = answerer.receive(into: buffer, timeoutMilliseconds: 1000)
        #expect(length == 172)
        #expect(Array(buffer[0..<172]) == packet)
    }

    @Test("a certificate that does not match the a=fingerprint is refused before any key is used")
    func wrongFingerprint() async throws {
        let (offerer, answerer, _, answererEvents) = try await Self.connect { real in
            // One hex digit changed: what a man in the middle would present.
            var value = Array(real.value)
            value[0] = value[0] == "A" ? "B" : "A"
            return (real.hashFunction, String(value))
        }
        defer { offerer.close(); answerer.close() }
        let keys = KeyBox()
        answerer.deliverKeys { delivered in keys.keys.withLock { $0 = delivered } }
        let failed = await answererEvents.wait { events in
            events.contains { if case .failed = $0 { true } else { false } }
        }
        #expect(failed)
        #expect(keys.keys.withLock { $0 } == nil)
        #expect(!answererEvents.all.contains(.connected))
        #expect(answerer.status.failure?.contains("a=fingerprint") == true)
    }

    @Test("20 handshakes on loopback: every one keys SRTP (the median ICE → DTLS time is printed for the README)")
    func twentyHandshakes() async throws {
        var times: [Double] = []
        for _ in 0..<20 {
            let (offerer, answerer, offererEvents, answererEvents) = try await Self.connect()
            #expect(await offererEvents.wait { $0.contains(.connected) })
            #expect(await answererEvents.wait { $0.contains(.connected) })
            for transport in [offerer, answerer] {
                if let nanoseconds = transport.status.handshakeNanoseconds { times.append(Double(nanoseconds) / 1e6) }
            }
            offerer.close()
            answerer.close()
        }
        #expect(times.count == 40)
        let sorted = times.sorted()
        print(String(format: "measurement: ICE usable → DTLS done over 20 calls (both ends): median %.2f ms, p90 %.2f ms, max %.2f ms",
                     sorted[sorted.count / 2], sorted[sorted.count * 9 / 10], sorted.last ?? 0))
    }
}
