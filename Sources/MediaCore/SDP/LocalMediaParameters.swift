/// What softphoned's side of a call offers or accepts.
public struct LocalMediaParameters: Sendable, Equatable {
    /// The numeric IPv4 or IPv6 address the far end should send to (for `o=` and `c=`).
    public var address: String
    /// The local UDP port RTP and (multiplexed) RTCP arrive on.
    public var port: UInt16
    /// Suites in order of preference: an offer lists each, an answer accepts the first
    /// offered one that appears here.
    public var suites: [SRTPSuite]
    /// The Opus payload type of an offer (an answer uses the offerer's).
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

    public init(address: String, port: UInt16, suites: [SRTPSuite] = [.aesCM128HMACSHA1_80], payloadType: UInt8 = 111,
                direction: MediaDirection = .sendrecv, fec: Bool = true, dtx: Bool = false, ptime: Int = 20,
                sessionID: UInt64 = UInt64.random(in: 1...(UInt64(1) << 62)), sessionVersion: UInt64 = 1,
                sendingKeys: [SRTPMasterKey] = []) {
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
    }

    /// The key to send with for `suite`: a reused one when given, else a fresh random one.
    func sendingKey(for suite: SRTPSuite) -> SRTPMasterKey {
        sendingKeys.first { $0.suite == suite } ?? SRTPMasterKey.random(suite: suite)
    }
}
