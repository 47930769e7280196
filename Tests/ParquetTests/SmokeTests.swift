import Testing
@testable import Parquet

@Test func builds() { #expect(Bool(true)) }
