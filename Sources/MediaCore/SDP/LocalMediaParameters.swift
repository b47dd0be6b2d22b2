/// What softphoned's side of a call offers or accepts.
public struct LocalMediaParameters: Sendable, Equatable {
    /// The numeric IPv4 or IPv6 address the far end should send to (for `o=` and `c=`).
    public var address: String
    /// The local UDP port RTP and (multiplexed) RTCP arrive on.
    public var port: UInt16
    /// Suites in order of preference: an offer lists each, an answer accepts the first
    /// offered one that appears here.
    public var suites: [SRTPSuite]
    /// The Opus payload type of an offer (an answer uses the offerer's). Keep it dynamic
    /// (96–127): the other codecs of an offer sit at their static payload types.
    public var payloadType: UInt8
    /// What this side wants: `sendonly` or `inactive` put the call on hold. Mute is not a
    /// direction: it lives in the mute state and never changes the SDP.
    public var direction: MediaDirection
    /// Whether this side's decoder uses in-band FEC (`useinbandfec=1`).
    public var fec: Bool
    /// Whether this side sends with DTX (`usedtx=1`).
    public var dtx: Bool
    /// Packet duration this side sends, in milliseconds.
    public var ptime: Int
    /// `o=` session id: keep it for the whole call.
    public var sessionID: UInt64
    /// `o=` version: increase it for each new offer or answer in the call (RFC 3264 §8).
    public var sessionVersion: UInt64
    /// Sending keys to reuse (one per suite) instead of fresh ones, e.g. so a re-offer
    /// that only changes the direction keeps the SRTP contexts.
    public var sendingKeys: [SRTPMasterKey]
    /// The codecs this side speaks, most preferred first (`media.codecs`): an offer lists
    /// them in this order and an answer takes the first one the offer has. An empty list
    /// counts as Opus alone, since an m-line needs a format.
    public var codecs: [AudioCodec]
    /// Whether to offer and accept RFC 4733 `telephone-event` (DTMF) beside the codec.
    public var telephoneEvents: Bool

    public init(address: String, port: UInt16, suites: [SRTPSuite] = [.aesCM128HMACSHA1_80], payloadType: UInt8 = 111,
                direction: MediaDirection = .sendrecv, fec: Bool = true, dtx: Bool = false, ptime: Int = 20,
                sessionID: UInt64 = UInt64.random(in: 1...(UInt64(1) << 62)), sessionVersion: UInt64 = 1,
                sendingKeys: [SRTPMasterKey] = [], codecs: [AudioCodec] = [.opus, .pcmu, .pcma, .g722],
                telephoneEvents: Bool = true) {
        self.address = address
        self.port = port
        self.suites = suites
        self.payloadType = payloadType
        self.direction = direction
        self.fec = fec
        self.dtx = dtx
        self.ptime = ptime
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.sendingKeys = sendingKeys
        self.codecs = codecs
        self.telephoneEvents = telephoneEvents
    }

    /// `codecs` as negotiated: each once, in order; Opus alone when empty.
    var preferredCodecs: [AudioCodec] {
        var seen: Set<AudioCodec> = []
        let unique = codecs.filter { seen.insert($0).inserted }
        return unique.isEmpty ? [.opus] : unique
    }

    /// The formats of an offer: the codecs in order of preference (Opus at `payloadType`, the
    /// others at their static payload types), then `telephone-event` once per RTP clock in
    /// use, at 101 for 8000 Hz and 110 for Opus's 48000 Hz (the numbers PBXs and browsers
    /// use) unless Opus already sits there.
    var offerFormats: [PayloadFormat] {
        var formats = preferredCodecs.map { PayloadFormat(payloadType: $0.staticPayloadType ?? payloadType, encoding: .codec($0)) }
        guard telephoneEvents else { return formats }
        var clocks: [Int] = []
        for codec in preferredCodecs where !clocks.contains(codec.rtpClockRate) { clocks.append(codec.rtpClockRate) }
        for clock in clocks {
            let preferred: UInt8 = clock == 8000 ? 101 : 110
            // The first free dynamic payload type from the preferred one on: five formats
            // at most come before, so one of the 32 is always free.
            let used = Set(formats.map(\.payloadType))
            var payloadType = preferred
            for _ in 0..<32 where used.contains(payloadType) { payloadType = payloadType == 127 ? 96 : payloadType + 1 }
            formats.append(PayloadFormat(payloadType: payloadType, encoding: .telephoneEvent(clockRate: clock)))
        }
        return formats
    }

    /// The key to send with for `suite`: a reused one when given, else a fresh random one.
    func sendingKey(for suite: SRTPSuite) -> SRTPMasterKey {
        sendingKeys.first { $0.suite == suite } ?? SRTPMasterKey.random(suite: suite)
    }
}
