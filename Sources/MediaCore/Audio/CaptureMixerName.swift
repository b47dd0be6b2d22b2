/// Which ALSA mixer holds the capture switch of a capture PCM (`audio.mixer` when unset).
public enum CaptureMixerName {
    /// The mixer of `alsa:<pcm>`:
    /// * `pulse`, `pulse:…` and `default` name a control of the same name (ALSA's `pulse`
    ///   control, and `default`, which is the sound server's when one runs, else card 0's);
    /// * a card's PCM (`hw:1,0`, `plughw:CARD=Headset,DEV=0`, `sysdefault:1`, `dsnoop:…`) is on
    ///   that card's mixer, `hw:1` or `hw:CARD=Headset`;
    /// * a PCM of the user's own (`.asoundrc`, no card in its name) has no mixer known from
    ///   its name: `audio.mixer` names one.
    /// - Parameters:
    ///   - pulseSource: `PULSE_SOURCE`, which points ALSA's `pulse` PCM at another source than
    ///     the server's default; the `pulse` control must then name that source too.
    /// - Returns: `nil` for a source that is not an ALSA device, or whose mixer is unknown.
    public static func derived(from source: AudioSourceSpec, pulseSource: String? = nil) -> String? {
        guard case .alsa(let device) = source else { return nil }
        if device == "pulse", let pulseSource, !pulseSource.isEmpty { return "pulse:\(pulseSource)" }
        if device == "pulse" || device.hasPrefix("pulse:") || device == "default" { return device }
        guard let colon = device.firstIndex(of: ":") else { return nil }
        let fields = device[device.index(after: colon)...].split(separator: ",").map { $0.filter { $0 != " " } }
        if let card = fields.first(where: { $0.hasPrefix("CARD=") }) { return "hw:\(card)" }
        if let card = fields.first(where: { !$0.isEmpty && !$0.contains("=") }) { return "hw:\(card)" }
        return nil
    }
}
