import Testing

@Test func placeholderSoftphoneDaemon() {}
