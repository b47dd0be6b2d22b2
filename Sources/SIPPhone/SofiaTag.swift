internal import CSofiaSIP

/// One item of a sofia tag list, as Swift values; `withList` turns a list into `tagi_t`s
/// (ended by `TAG_END`) that live for the length of one call. Every `nua_*` call copies its
/// tags before returning, so nothing here has to outlive it.
enum SofiaTag: Sendable {
    case url(String), sipsURL(String), registrar(String), proxy(String), outbound(String)
    case auth(String), contactUser(String), allow(String), applicationMethod(String)
    case from(String), to(String), payload(String), contentType(String), header(String)
    case expires(String), warning(String), userAgent(String), supported(String)
    case certificateDirectory(String)
    case keepalive(UInt32), keepaliveStream(UInt32), sessionTimer(UInt32), minSE(UInt32)
    case tlsVerifyPolicy(UInt32), tlsVerifyDepth(UInt32)
    case mediaEnable(Bool), autoAlert(Bool), autoAnswer(Bool), autoACK(Bool), enableInvite(Bool), updateRefresh(Bool)

    /// A body: Content-Type and payload.
    static func body(_ text: String, type: String) -> [SofiaTag] { [.contentType(type), .payload(text)] }

    static func withList<R>(_ tags: [SofiaTag], _ body: (UnsafePointer<tagi_t>) -> R) -> R {
        // The strings are duplicated for the call and freed after it.
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer { strings.forEach { free($0) } }
        func c(_ s: String) -> UnsafePointer<CChar> {
            let copy = strdup(s)!
            strings.append(copy)
            return UnsafePointer(copy)
        }
        var list: [tagi_t] = tags.map { tag in
            switch tag {
            case .url(let s): csip_tag_url(c(s))
            case .sipsURL(let s): csip_tag_sips_url(c(s))
            case .registrar(let s): csip_tag_registrar(c(s))
            case .proxy(let s): csip_tag_proxy(c(s))
            case .outbound(let s): csip_tag_outbound(c(s))
            case .auth(let s): csip_tag_auth(c(s))
            case .contactUser(let s): csip_tag_m_username(c(s))
            case .allow(let s): csip_tag_allow(c(s))
            case .applicationMethod(let s): csip_tag_appl_method(c(s))
            case .from(let s): csip_tag_from_str(c(s))
            case .to(let s): csip_tag_to_str(c(s))
            case .payload(let s): csip_tag_payload_str(c(s))
            case .contentType(let s): csip_tag_content_type_str(c(s))
            case .header(let s): csip_tag_header_str(c(s))
            case .expires(let s): csip_tag_expires_str(c(s))
            case .warning(let s): csip_tag_warning_str(c(s))
            case .userAgent(let s): csip_tag_user_agent_str(c(s))
            case .supported(let s): csip_tag_supported_str(c(s))
            case .certificateDirectory(let s): csip_tag_certificate(c(s))
            case .keepalive(let v): csip_tag_keepalive(v)
            case .keepaliveStream(let v): csip_tag_keepalive_stream(v)
            case .sessionTimer(let v): csip_tag_session_timer(v)
            case .minSE(let v): csip_tag_min_se(v)
            case .tlsVerifyPolicy(let v): csip_tag_tls_verify_policy(v)
            case .tlsVerifyDepth(let v): csip_tag_tls_verify_depth(v)
            case .mediaEnable(let v): csip_tag_media_enable(v ? 1 : 0)
            case .autoAlert(let v): csip_tag_autoalert(v ? 1 : 0)
            case .autoAnswer(let v): csip_tag_autoanswer(v ? 1 : 0)
            case .autoACK(let v): csip_tag_autoack(v ? 1 : 0)
            case .enableInvite(let v): csip_tag_enableinvite(v ? 1 : 0)
            case .updateRefresh(let v): csip_tag_update_refresh(v ? 1 : 0)
            }
        }
        list.append(csip_tag_end())
        return list.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
