import Testing
@testable import Lake

@Test func pathsAreAbsolute() {
    #expect(LakePaths(root: "x/").root.hasSuffix("/x"))
}
