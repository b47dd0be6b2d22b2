import Testing

@Test func placeholderSystemdSupport() {}
