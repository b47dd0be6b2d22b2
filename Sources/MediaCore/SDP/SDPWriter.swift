/// Serialises a `SessionDescription` as RFC 8866 text with CRLF line endings.
public enum SDPWriter {
    public static func write(_ session: SessionDescription) -> String {
        var out = "v=\(session.version)\r\n"
        if let o = session.origin {
            out += "o=\(o.username) \(o.sessionID) \(o.sessionVersion) \(o.networkType) \(o.addressType) \(o.address)\r\n"
        }
        out += "s=\(session.sessionName.isEmpty ? "-" : session.sessionName)\r\n"
        if let c = session.connection { out += line(c) }
        out += "t=\(session.timing)\r\n"
        for attribute in session.attributes { out += line(attribute) }
        for media in session.media {
            let port = media.portCount.map { "\(media.port)/\($0)" } ?? "\(media.port)"
            out += "m=\(media.media) \(port) \(media.proto) \(media.formats.joined(separator: " "))\r\n"
            if let c = media.connection { out += line(c) }
            for attribute in media.attributes { out += line(attribute) }
        }
        return out
    }

    private static func line(_ c: SessionDescription.Connection) -> String {
        "c=\(c.networkType) \(c.addressType) \(c.address)\r\n"
    }

    private static func line(_ a: SessionDescription.Attribute) -> String {
        a.value.map { "a=\(a.name):\($0)\r\n" } ?? "a=\(a.name)\r\n"
    }
}
