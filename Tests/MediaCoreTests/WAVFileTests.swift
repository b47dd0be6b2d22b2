import MediaCore
import Testing

@Suite("WAV files")
struct WAVFileTests {
    @Test("16-bit mono round trip")
    func roundTrip() throws {
        let samples: [Int16] = (0..<480).map { Int16($0 * 10) }
        let wav = try WAVFile(data: WAVFile.encode(samples: samples))
        #expect(wav.samples == samples)
    }

    @Test("a WAV that is not 16-bit PCM is refused, saying so")
    func refusesFloat() {
        var bytes = WAVFile.encode(samples: [0, 1, 2, 3])
        bytes[20] = 3   // format tag 3: IEEE float
        bytes[34] = 32  // 32 bits per sample
        do {
            _ = try WAVFile(data: bytes, name: "float.wav")
            Issue.record("a float WAV was accepted")
        } catch {
            #expect(error.description.contains("is not 16-bit PCM"))
        }
    }

    @Test("other sample rates are converted to 48 kHz")
    func resamples() throws {
        let wav = try WAVFile(data: WAVFile.encode(samples: [Int16](repeating: 100, count: 800), sampleRate: 8_000))
        #expect(wav.samples.count == 4_800)
        #expect(wav.originalSampleRate == 8_000)
    }

    @Test("not a RIFF file")
    func garbage() {
        #expect(throws: WAVError.self) { try WAVFile(data: Array("hello, this is not audio".utf8)) }
    }
}
