import PlatformSync
import Testing

@Suite("Secret")
struct SecretTests {
    @Test("every way of printing a secret shows <redacted>")
    func redacted() {
        let secret = Secret("hunter2")
        #expect("\(secret)" == "<redacted>")
        #expect(String(describing: secret) == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect(dumped.contains("<redacted>"))
        #expect("\([secret])".contains("hunter2") == false)
        #expect(secret.revealed == "hunter2")
    }

    @Test("the default URLs follow the organisation name")
    func defaultURLs() {
        let configuration = PlatformSyncConfiguration.forOrganization(
            "acme", clientID: "id", clientSecret: "s", userID: "u"
        )
        #expect(configuration.baseURL == "https://acme.mygen.com/api/v2")
        #expect(configuration.tokenURL == "https://acme.mygen.com/oauth/token")
        #expect(configuration.scope == "session:write session:read")
        #expect(configuration.pollInterval == .seconds(2))
        #expect(configuration.verify)
        #expect(!"\(configuration)".contains("clientSecret: s,"))
    }
}
