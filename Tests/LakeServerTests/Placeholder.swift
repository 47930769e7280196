import Testing
@testable import LakeServer
