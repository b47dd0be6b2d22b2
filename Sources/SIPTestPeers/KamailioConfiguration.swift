import Foundation

/// The text of kamailio's configuration: registrar and proxy for one domain (`127.0.0.1`,
/// also `localhost`), users from an htable filled at start-up, digest with qop=auth.
enum KamailioConfiguration {
    struct Paths {
        var controlSocket: String
        var sipDumpFolder: String
        var certificate: String
        var privateKey: String
        var caFile: String
    }

    static func text(udpPort: UInt16, tcpPort: UInt16, tlsPort: UInt16, users: [String: String],
                     minimumExpires: Int, paths: Paths) -> String {
        let fill = users.sorted { $0.key < $1.key }
            .map { "    $sht(users=>\(quoted($0.key))) = \"\(quoted($0.value))\";" }
            .joined(separator: "\n")
        return #"""
        #!KAMAILIO
        # Written by SIPTestPeers' Kamailio launcher for one test; see Sources/SIPTestPeers/README.md.
        debug=2
        log_stderror=yes
        log_prefix="{$mt $hdr(CSeq) $ci} "
        children=2
        tcp_children=2
        auto_aliases=no
        dns=no
        rev_dns=no
        use_dns_cache=off
        enable_tls=yes
        tcp_connection_lifetime=3605
        listen=udp:127.0.0.1:\#(udpPort)
        listen=tcp:127.0.0.1:\#(tcpPort)
        listen=tls:127.0.0.1:\#(tlsPort)

        mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
        loadmodule "kex.so"
        loadmodule "corex.so"
        loadmodule "tm.so"
        loadmodule "tmx.so"
        loadmodule "sl.so"
        loadmodule "rr.so"
        loadmodule "pv.so"
        loadmodule "maxfwd.so"
        loadmodule "usrloc.so"
        loadmodule "registrar.so"
        loadmodule "textops.so"
        loadmodule "siputils.so"
        loadmodule "xlog.so"
        loadmodule "ctl.so"
        loadmodule "htable.so"
        loadmodule "auth.so"
        loadmodule "nathelper.so"
        loadmodule "tls.so"
        loadmodule "sipdump.so"

        modparam("ctl", "binrpc", "unix:\#(paths.controlSocket)")
        modparam("htable", "htable", "users=>size=4;")
        modparam("auth", "nonce_expire", 300)
        modparam("usrloc", "db_mode", 0)
        modparam("registrar", "min_expires", \#(minimumExpires))
        modparam("registrar", "default_expires", 60)
        modparam("registrar", "received_avp", "$avp(RECEIVED)")
        modparam("nathelper", "received_avp", "$avp(RECEIVED)")
        modparam("rr", "enable_full_lr", 1)
        modparam("tls", "tls_method", "TLSv1.2+")
        modparam("tls", "certificate", "\#(paths.certificate)")
        modparam("tls", "private_key", "\#(paths.privateKey)")
        modparam("tls", "ca_list", "\#(paths.caFile)")
        modparam("tls", "verify_certificate", 0)
        modparam("tls", "require_certificate", 0)
        modparam("sipdump", "enable", 1)
        modparam("sipdump", "mode", 1)
        modparam("sipdump", "folder", "\#(paths.sipDumpFolder)")
        modparam("sipdump", "fprefix", "sipdump-")

        event_route[htable:mod-init] {
        \#(fill)
        }

        request_route {
            if (!mf_process_maxfwd_header("10")) {
                sl_send_reply("483", "Too Many Hops");
                exit;
            }
            force_rport();
            if (is_method("OPTIONS") && uri == myself && $rU == $null) {
                sl_send_reply("200", "Keepalive");
                exit;
            }
            if (has_totag()) {
                route(WITHINDLG);
                exit;
            }
            if (is_method("CANCEL")) {
                if (t_check_trans()) route(RELAY);
                exit;
            }
            if (!is_method("ACK")) {
                if (t_precheck_trans()) {
                    t_check_trans();
                    exit;
                }
                t_check_trans();
            }
            route(AUTH);
            # The UA's outbound proxy (us) is preloaded as a Route.
            remove_hf("Route");
            if (proto == TCP || proto == TLS) {
                # Requests back to a stream UA reuse its own connection.
                if (is_method("REGISTER")) {
                    fix_nated_register();
                } else {
                    set_contact_alias();
                }
            }
            if (is_method("REGISTER")) {
                if (!save("location")) sl_reply_error();
                exit;
            }
            if (is_method("INVITE|SUBSCRIBE|REFER")) record_route();
            if ($rU == $null) {
                sl_send_reply("484", "Address Incomplete");
                exit;
            }
            if ($rd == "127.0.0.1" || $rd == "localhost") {
                $var(rc) = lookup("location");
                if ($var(rc) < 0) {
                    t_newtran();
                    t_reply("404", "Not Found");
                    exit;
                }
            }
            route(RELAY);
        }

        route[WITHINDLG] {
            if (loose_route()) {
                if ((proto == TCP || proto == TLS) && is_method("INVITE|UPDATE")) set_contact_alias();
                handle_ruri_alias();
                route(RELAY);
                exit;
            }
            if (is_method("ACK")) {
                if (t_check_trans()) route(RELAY);
                exit;
            }
            sl_send_reply("404", "Not here");
            exit;
        }

        # 401 on REGISTER, 407 on requests from a local user; qop=auth. Users: the htable.
        route[AUTH] {
            if (is_method("REGISTER")) {
                $var(realm) = $td;
            } else if ($fd == "127.0.0.1" || $fd == "localhost") {
                $var(realm) = $fd;
            } else {
                return;
            }
            if ($au == $null || $sht(users=>$au) == $null) {
                auth_challenge("$var(realm)", "1");
                exit;
            }
            if (!pv_auth_check("$var(realm)", "$sht(users=>$au)", "0", "1")) {
                auth_challenge("$var(realm)", "1");
                exit;
            }
            consume_credentials();
        }

        route[RELAY] {
            if (is_method("INVITE|BYE|UPDATE|CANCEL|ACK")) t_on_reply("REPLY");
            if (!t_relay()) sl_reply_error();
            exit;
        }

        onreply_route[REPLY] {
            if ((proto == TCP || proto == TLS) && is_method("INVITE|UPDATE") && $rs =~ "^(1[0-9][1-9]|2[0-9][0-9])$") set_contact_alias();
        }

        """#
    }

    /// Escapes a string for a kamailio string literal.
    static func quoted(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
