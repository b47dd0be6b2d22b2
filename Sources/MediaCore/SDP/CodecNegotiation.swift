/// One format of an audio m-line: a codec, or RFC 4733 `telephone-event` at one RTP clock.
struct PayloadFormat: Sendable, Equatable {
    enum Encoding: Sendable, Equatable {
        case codec(AudioCodec)
        case telephoneEvent(clockRate: Int)
    }

    var payloadType: UInt8
    var encoding: Encoding

    var codec: AudioCodec? {
        if case .codec(let codec) = encoding { codec } else { nil }
    }

    /// The `a=rtpmap` value softphoned writes for it.
    var rtpmap: String {
        switch encoding {
        case .codec(let codec): codec.rtpmap(payloadType: payloadType)
        case .telephoneEvent(let clockRate): "\(payloadType) telephone-event/\(clockRate)"
        }
    }

    /// The `a=fmtp` parameters softphoned writes for it, if any.
    func formatParameters(local: LocalMediaParameters) -> String? {
        switch encoding {
        case .codec(.opus):
            var fmtp = "minptime=10"
            if local.fec { fmtp += ";useinbandfec=1" }
            if local.dtx { fmtp += ";usedtx=1" }
            return fmtp
        case .codec:
            return nil
        case .telephoneEvent:
            // RFC 4733 §7.1.1: DTMF 0–9 * # A–D (events 0–15) and flash (16).
            return "0-16"
        }
    }
}

/// What an exchange settles on: the codec at its payload type and, when both sides have
/// it, `telephone-event` at the codec's clock (RFC 4733 §2.1: the events share the
/// audio's timestamps, so their clock must be the codec's).
struct CodecChoice: Sendable, Equatable {
    var codec: AudioCodec
    var payloadType: UInt8
    var telephoneEventPayloadType: UInt8?
}

extension MediaDescription {
    /// What the peer's format `format` is, as far as softphoned understands it: a codec
    /// named by its `a=rtpmap` (encoding in any case, clock, channels), an RFC 3551 static
    /// payload type without one, or `telephone-event`. An `a=rtpmap` for a static payload
    /// type must name that type's codec: PCMU at 8 or Opus at 0 is nobody's codec.
    func payloadFormat(_ format: String) -> PayloadFormat? {
        guard let payloadType = UInt8(format), payloadType < 128 else { return nil }
        let fixed = AudioCodec.statically(payloadType)
        guard let map = rtpmap(for: format) else {
            return fixed.map { PayloadFormat(payloadType: payloadType, encoding: .codec($0)) }
        }
        if map.encoding.equalsIgnoringCase("telephone-event") {
            return fixed == nil ? PayloadFormat(payloadType: payloadType, encoding: .telephoneEvent(clockRate: map.clockRate)) : nil
        }
        guard let codec = AudioCodec.allCases.first(where: { $0.isDescribed(by: map) }), fixed == nil || fixed == codec else {
            return nil
        }
        return PayloadFormat(payloadType: payloadType, encoding: .codec(codec))
    }

    /// How an error names the format: its `a=rtpmap` as written, the static codec, or the
    /// lack of an `a=rtpmap`.
    func formatName(_ format: String) -> String {
        if let map = rtpmap(for: format) {
            return "\(map.encoding)/\(map.clockRate)" + (map.channels.map { "/\($0)" } ?? "")
        }
        if let payloadType = UInt8(format), let codec = AudioCodec.statically(payloadType) {
            return "\(codec.encodingName)/\(codec.rtpClockRate)"
        }
        return "no a=rtpmap for \(format)"
    }
}

// MARK: - Shared with WebRTCNegotiator

extension SDPNegotiator {
    /// Answering: softphoned's most preferred codec the offer has, at the offerer's payload
    /// type (its first one for that codec), with the offerer's `telephone-event` at that
    /// codec's clock.
    /// - Throws: `noCommonCodec`, naming what was offered and what softphoned speaks.
    static func chooseCodec(offered media: MediaDescription, local: LocalMediaParameters) throws(SDPError) -> CodecChoice {
        let offered = media.formats.compactMap { media.payloadFormat($0) }
        for codec in local.preferredCodecs {
            guard let format = offered.first(where: { $0.codec == codec }) else { continue }
            return CodecChoice(codec: codec, payloadType: format.payloadType,
                               telephoneEventPayloadType: telephoneEvent(in: offered, for: format, local: local))
        }
        throw SDPError(.noCommonCodec(offered: media.formats, names: media.formats.map { media.formatName($0) },
                                      speaks: local.preferredCodecs))
    }

    /// Completing our offer: the first format of the answer that we offered as a codec,
    /// read as our offer defined its payload type; `telephone-event` at its clock if the
    /// answer has it, at the number we offered or at one the answer's `a=rtpmap` names.
    /// - Throws: `answerNoOfferedCodec` when the answer keeps none of our codecs.
    static func answeredCodec(_ media: MediaDescription, local: LocalMediaParameters) throws(SDPError) -> CodecChoice {
        let offered = local.offerFormats
        let answered = media.formats.compactMap { format -> PayloadFormat? in
            if let payloadType = UInt8(format), let ours = offered.first(where: { $0.payloadType == payloadType }) { return ours }
            return media.payloadFormat(format).flatMap { $0.codec == nil ? $0 : nil }
        }
        guard let chosen = answered.first(where: { $0.codec != nil }), let codec = chosen.codec else {
            let codecs = offered.filter { $0.codec != nil }
            throw SDPError(.answerNoOfferedCodec(offered: codecs.map { String($0.payloadType) },
                                                 names: codecs.compactMap { $0.codec?.encodingName }, answered: media.formats))
        }
        return CodecChoice(codec: codec, payloadType: chosen.payloadType,
                           telephoneEventPayloadType: telephoneEvent(in: answered, for: chosen, local: local))
    }

    /// The first `telephone-event` among `formats` at `chosen`'s clock, unless this side
    /// does without.
    private static func telephoneEvent(in formats: [PayloadFormat], for chosen: PayloadFormat,
                                       local: LocalMediaParameters) -> UInt8? {
        guard local.telephoneEvents, let codec = chosen.codec else { return nil }
        return formats.first { $0.encoding == .telephoneEvent(clockRate: codec.rtpClockRate) }?.payloadType
    }
}
