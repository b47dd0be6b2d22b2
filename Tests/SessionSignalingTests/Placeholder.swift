import Testing

@Test func placeholderSessionSignaling() {}
