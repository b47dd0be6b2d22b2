internal import CSofiaSIP

/// What softphoned reads from one SIP message, read the way the phone reads it: sofia parses
/// the bytes (as its transports do), `SIPMessage` copies out the headers and body, and
/// `SIPHeaders` interprets them. The fuzz target `fuzz-sip` and the tests enter here.
public struct SIPInput: Sendable, Equatable {
    public var isRequest: Bool
    public var callID: String
    public var from: String
    public var display: String?
    public var body: String?
    /// The auto-answer delay the message asks for (nil: none).
    public var autoAnswerDelay: Int?
    /// The conversation id under `conversationHeader`.
    public var conversationID: String?
    /// A digest challenge's realm.
    public var realm: String?
    /// An INFO's DTMF digit.
    public var dtmfDigit: Character?
    /// The session timer (RFC 4028) answering this request, or receiving this 2xx, would set.
    public var sessionTimer: SIPHeaders.SessionTimer?
    /// Whether the sender allows UPDATE (our refreshes use it then).
    public var allowsUpdate: Bool

    /// nil when sofia does not parse the bytes as a SIP message.
    public init?(_ bytes: UnsafeRawBufferPointer, conversationHeader: String = "X-Conversation-Id") {
        guard bytes.count > 0, bytes.count < Int(Int32.max),
              let msg = csip_message_parse(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count)) else {
            return nil
        }
        defer { csip_message_destroy(msg) }
        guard let sip = csip_message_sip(msg) else { return nil }
        let message = SIPMessage(sip, headerNames: SIPPhone.headerNames(conversationHeader: conversationHeader))
        isRequest = message.isRequest
        callID = message.callID
        from = message.from
        display = message.fromDisplay
        body = message.body
        autoAnswerDelay = SIPPhone.autoAnswerDelay(message)
        conversationID = SIPPhone.conversationID(message, header: conversationHeader)
        realm = SIPPhone.challengeRealm(message)
        dtmfDigit = message.body.flatMap { SIPHeaders.dtmfRelay($0)?.digit }
        sessionTimer = SIPPhone.sessionTimer(message, weAnswered: message.isRequest)
        allowsUpdate = SIPHeaders.allows("UPDATE", in: message.headers["allow"] ?? [])
    }
}
