import Foundation
import Testing

@testable import LakeServer

@Suite("Dashboard page and JSON")
struct DashboardPageTests {
    @Test func embeddedJSONCannotCloseItsScriptElement() throws {
        let text = try DashboardData.jsonText(["user_id": "</script><script>alert(1)</script>", "n": 1])
        #expect(!text.contains("<") && !text.contains(">"))
        let back = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(back?["user_id"] as? String == "</script><script>alert(1)</script>")
        let page = DashboardPage.html(title: "t", embeddedJSON: text)
        #expect(page.components(separatedBy: "</script>").count == 3)  // the data element and the script
    }

    @Test func titleIsEscapedAndNothingLoadsFromTheNetwork() {
        let page = DashboardPage.html(title: "<b>\"x\"</b>")
        #expect(page.contains("&lt;b&gt;&quot;x&quot;&lt;/b&gt;"))
        #expect(!page.contains("http://") || page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
            .contains("http://") == false)
        #expect(!page.contains("https://"))
        #expect(!page.contains("innerHTML"))
    }

    @Test func prometheusLabelsAreEscaped() {
        #expect(Metrics.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }
}
