internal import CSofiaSIP
import Foundation

/// A NUA event, copied off sofia's structures on its thread.
struct SofiaEvent: Sendable {
    enum Kind: Sendable, Equatable {
        /// Requests from the far end.
        case incomingInvite, incomingACK, incomingCancel, incomingBye, incomingInfo, incomingUpdate, incomingOptions
        /// A dialog's state changed (NUTAG_CALLSTATE).
        case state
        /// The handle's usages are all gone.
        case terminated
        /// Transport trouble on the registration's flow.
        case outbound
        /// Answers to our requests.
        case registerResponse, unregisterResponse, inviteResponse, byeResponse, cancelResponse, infoResponse, updateResponse
        case other(Int)

        init(_ event: nua_event_t) {
            switch event {
            case nua_i_invite: self = .incomingInvite
            case nua_i_ack: self = .incomingACK
            case nua_i_cancel: self = .incomingCancel
            case nua_i_bye: self = .incomingBye
            case nua_i_info: self = .incomingInfo
            case nua_i_update: self = .incomingUpdate
            case nua_i_options: self = .incomingOptions
            case nua_i_state: self = .state
            case nua_i_terminated: self = .terminated
            case nua_i_outbound: self = .outbound
            case nua_r_register: self = .registerResponse
            case nua_r_unregister: self = .unregisterResponse
            case nua_r_invite: self = .inviteResponse
            case nua_r_bye: self = .byeResponse
            case nua_r_cancel: self = .cancelResponse
            case nua_r_info: self = .infoResponse
            case nua_r_update: self = .updateResponse
            default: self = .other(Int(event.rawValue))
            }
        }
    }

    /// nua's call states (`enum nua_callstate`).
    enum CallState: Int, Sendable {
        case initial = 0, calling, proceeding, completing, received, early, completed, ready, terminating, terminated
    }

    var kind: Kind
    var handle: SofiaStack.Handle
    /// The status nua gives the event (for responses: the SIP status; for requests: what nua answered, e.g. 100).
    var status: Int
    var phrase: String
    var message: SIPMessage
    var callState: CallState?
    /// A request to answer after the event (INFO, UPDATE): pass it to `SofiaStack.respond`.
    var request: UInt64?
    /// When the stack delivered it (its own timers, e.g. the session timer's, start about then).
    var at = ContinuousClock.now
}

/// What softphoned reads from a SIP message: the headers it interprets and the body, as
/// strings (parsed by sofia; interpreted in Swift by `SIPHeaders`).
struct SIPMessage: Sendable, Equatable {
    var isRequest = false
    var status = 0
    var callID = ""
    var from = ""
    var fromDisplay: String?
    var to = ""
    var contact: String?
    var contactExpires: String?
    var expires: Int?
    var retryAfter: Int?
    var contentType: String?
    var body: String?
    /// The values of the headers asked for, by lower-case name, every occurrence.
    var headers: [String: [String]] = [:]

    init() {}

    init(_ sip: UnsafePointer<sip_t>?, headerNames: [String]) {
        guard let sip else { return }
        isRequest = csip_is_request(sip) != 0
        status = Int(csip_status(sip))
        callID = Self.read { csip_call_id(sip, $0, $1) } ?? ""
        from = Self.read { csip_from_url(sip, $0, $1) } ?? ""
        fromDisplay = Self.read { csip_from_display(sip, $0, $1) }.flatMap(Self.unquoted)
        to = Self.read { csip_to_url(sip, $0, $1) } ?? ""
        contact = Self.read { csip_contact_url(sip, $0, $1) }
        contactExpires = Self.read { csip_contact_expires(sip, $0, $1) }
        let expires = csip_expires(sip)
        self.expires = expires >= 0 ? Int(expires) : nil
        let retry = csip_retry_after(sip)
        retryAfter = retry >= 0 ? Int(retry) : nil
        contentType = Self.read { csip_content_type(sip, $0, $1) }
        var length: Int32 = 0
        if let bytes = csip_payload(sip, &length), length > 0 {
            body = String(decoding: UnsafeRawBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
        }
        for name in headerNames {
            var values: [String] = []
            var index: Int32 = 0
            while values.count < 8, let value = Self.read({ csip_header_value(sip, name, index, $0, $1) }) {
                values.append(value)
                index += 1
            }
            if !values.isEmpty { headers[name.lowercased()] = values }
        }
    }

    /// A display name as people read it: sofia keeps a quoted-string's quotes and escapes.
    static func unquoted(_ display: String) -> String? {
        var text = Substring(display.trimmingCharacters(in: .whitespaces))
        if text.count >= 2, text.first == "\"", text.last == "\"" {
            text = text.dropFirst().dropLast()
            var plain = ""
            var escaped = false
            for character in text {
                if escaped || character != "\\" { plain.append(character); escaped = false } else { escaped = true }
            }
            text = Substring(plain)
        }
        return text.isEmpty ? nil : String(text)
    }

    /// Calls an accessor with a buffer (4 KiB, then as large as it asked for, up to 64 KiB).
    private static func read(_ accessor: (UnsafeMutablePointer<CChar>, Int32) -> Int32) -> String? {
        var size: Int32 = 4096
        while true {
            var buffer = [CChar](repeating: 0, count: Int(size))
            let length = buffer.withUnsafeMutableBufferPointer { accessor($0.baseAddress!, size) }
            if length < 0 { return nil }
            if length < size || size >= 65_536 {
                return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            }
            size = min(length + 1, 65_536)
        }
    }
}
