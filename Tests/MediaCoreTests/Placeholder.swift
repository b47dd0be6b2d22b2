import Testing

@Test func placeholderMediaCore() {}
