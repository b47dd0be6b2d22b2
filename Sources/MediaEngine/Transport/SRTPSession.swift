import CSRTP
import MediaCore

/// A libsrtp2 failure.
public struct SRTPError: Error, CustomStringConvertible, Equatable {
    /// Kept as a `StaticString`: a packet that fails authentication (a flood of garbage at
    /// the media port) must not cost a heap allocation for its error's name.
    private let callName: StaticString
    public let status: UInt32
    public var call: String { "\(callName)" }

    init(call: StaticString, status: UInt32) {
        callName = call
        self.status = status
    }

    public static func == (a: SRTPError, b: SRTPError) -> Bool { a.status == b.status && a.call == b.call }
    public var description: String { "\(call) failed: \(SRTPError.name(status)) (\(status))" }

    static func name(_ status: UInt32) -> String {
        switch status {
        case srtp_err_status_auth_fail.rawValue: "authentication failure"
        case srtp_err_status_replay_fail.rawValue: "replayed packet"
        case srtp_err_status_replay_old.rawValue: "packet too old for the replay window"
        case srtp_err_status_bad_param.rawValue: "bad parameter"
        case srtp_err_status_no_ctx.rawValue: "no context for this SSRC"
        case srtp_err_status_cipher_fail.rawValue: "cipher failure"
        default: "libsrtp error"
        }
    }

    /// True for a packet that failed authentication (wrong key or tampering).
    public var isAuthenticationFailure: Bool { status == srtp_err_status_auth_fail.rawValue }
    /// True for a replayed or too-old packet.
    public var isReplay: Bool { status == srtp_err_status_replay_fail.rawValue || status == srtp_err_status_replay_old.rawValue }
}

/// One direction of SRTP/SRTCP protection with libsrtp2.
///
/// A sending session protects packets of any outbound SSRC; a receiving session
/// authenticates and decrypts packets of any inbound SSRC, with replay protection.
/// Not thread-safe: owned by the media thread.
public final class SRTPSession {
    public enum Direction: Sendable { case send, receive }

    /// Bytes a protected packet may grow by (auth tag, SRTCP index).
    public static let maxTrailer = Int(SRTP_MAX_TRAILER_LEN)

    private var session: srtp_t?
    public let suite: SRTPSuite

    private static let initialized: Bool = srtp_init() == srtp_err_status_ok

    public init(key: SRTPMasterKey, direction: Direction) throws(SRTPError) {
        guard Self.initialized else { throw SRTPError(call: "srtp_init", status: srtp_err_status_init_fail.rawValue) }
        suite = key.suite
        var policy = srtp_policy_t()
        switch key.suite {
        case .aesCM128HMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtp_default(&policy.rtcp)
        case .aesCM128HMACSHA1_32:
            // RFC 4568 §6.2.2: the 32-bit tag applies to SRTP only; SRTCP keeps 80 bits.
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp)
            srtp_crypto_policy_set_rtp_default(&policy.rtcp)
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aeadAES256GCM:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = direction == .send ? ssrc_any_outbound : ssrc_any_inbound
        policy.window_size = 1024
        policy.allow_repeat_tx = 0
        policy.next = nil
        var material = key.material
        let status = material.withUnsafeMutableBufferPointer { buffer in
            policy.key = buffer.baseAddress
            return srtp_create(&session, &policy)
        }
        // libsrtp copied the key; wipe our copy.
        for i in material.indices { material[i] = 0 }
        guard status == srtp_err_status_ok else { throw SRTPError(call: "srtp_create", status: status.rawValue) }
    }

    deinit {
        if let session { srtp_dealloc(session) }
    }

    /// Protects an RTP packet in place.
    /// - Parameters:
    ///   - buffer: the packet, with at least `maxTrailer` spare bytes after `length`.
    ///   - length: the plain packet's length.
    /// - Returns: the protected length.
    @inline(__always)
    public func protect(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        precondition(buffer.count >= length + Self.maxTrailer)
        return try transform(buffer, length, "srtp_protect", srtp_protect)
    }

    /// Protects an RTCP compound packet in place (adds the SRTCP index and tag).
    @inline(__always)
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        precondition(buffer.count >= length + Self.maxTrailer)
        return try transform(buffer, length, "srtp_protect_rtcp", srtp_protect_rtcp)
    }

    /// Authenticates and decrypts an SRTP packet in place.
    /// - Returns: the plain RTP length.
    @inline(__always)
    public func unprotect(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try transform(buffer, length, "srtp_unprotect", srtp_unprotect)
    }

    /// Authenticates and decrypts an SRTCP packet in place.
    @inline(__always)
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try transform(buffer, length, "srtp_unprotect_rtcp", srtp_unprotect_rtcp)
    }

    /// Runs one of libsrtp's in-place packet transforms; the name is only for the error.
    @inline(__always)
    private func transform(
        _ buffer: UnsafeMutableRawBufferPointer, _ length: Int, _ name: StaticString,
        _ body: (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t
    ) throws(SRTPError) -> Int {
        var len = Int32(length)
        let status = body(session, buffer.baseAddress, &len)
        guard status == srtp_err_status_ok else { throw SRTPError(call: name, status: status.rawValue) }
        return Int(len)
    }
}
