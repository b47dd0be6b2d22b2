import Testing

@Test func placeholderControlServer() {}
