import MediaCore
import Testing

@Suite("The capture device's mixer")
struct CaptureMixerNameTests {
    @Test("a card's PCM is on the card's mixer; sound-server PCMs on the control of the same name", arguments: [
        ("hw:1,0", "hw:1"), ("plughw:1", "hw:1"), ("plughw:CARD=Headset,DEV=0", "hw:CARD=Headset"),
        ("hw:DEV=0,CARD=2", "hw:CARD=2"), ("sysdefault:Headset", "hw:Headset"), ("dsnoop:0,1", "hw:0"),
        ("pulse", "pulse"), ("pulse:alsa_input.usb-headset", "pulse:alsa_input.usb-headset"), ("default", "default"),
    ])
    func derived(device: String, mixer: String) {
        #expect(CaptureMixerName.derived(from: .alsa(device: device)) == mixer)
    }

    @Test("PULSE_SOURCE points the pulse PCM, and so its control, at a source of its own")
    func pulseSource() {
        #expect(CaptureMixerName.derived(from: .alsa(device: "pulse"), pulseSource: "headset.mic") == "pulse:headset.mic")
        #expect(CaptureMixerName.derived(from: .alsa(device: "pulse"), pulseSource: "") == "pulse")
        #expect(CaptureMixerName.derived(from: .alsa(device: "hw:1,0"), pulseSource: "headset.mic") == "hw:1")
    }

    @Test("a tone, a file or a PCM of the user's own has no mixer known from its name")
    func notALSA() {
        #expect(CaptureMixerName.derived(from: .alsa(device: "mymic")) == nil)
        #expect(CaptureMixerName.derived(from: .alsa(device: "dsnoop:DEV=0")) == nil)
        #expect(CaptureMixerName.derived(from: .tone(hertz: 440)) == nil)
        #expect(CaptureMixerName.derived(from: .file(path: "/tmp/a.wav")) == nil)
    }
}
