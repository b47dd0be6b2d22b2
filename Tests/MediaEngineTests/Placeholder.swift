import Testing

@Test func placeholderMediaEngine() {}
