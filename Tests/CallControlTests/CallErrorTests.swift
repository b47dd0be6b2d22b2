import CallControl
import Testing

@Suite struct CallErrorTests {
    @Test func codesAreDistinct() {
        let codes: [CallError.Code] = [.noActiveCall, .callAlreadyActive, .badSDP, .deviceUnavailable, .invalidArgument, .internalError]
        #expect(Set(codes.map(\.description)).count == codes.count)
    }
}
