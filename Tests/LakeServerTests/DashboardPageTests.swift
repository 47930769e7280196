import Foundation
import Lake
import Testing

@testable import LakeServer

@Suite("Dashboard page and JSON")
struct DashboardPageTests {
    /// The shipped transactions job, with a hostile page and panel title.
    static func job(title: String = "Card transactions") throws -> JobDefinition {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var job = try JobLoader.load(file: root.appendingPathComponent("jobs/transactions.toml").path)
        job.dashboard?.title = title
        job.dashboard?.panels[0].title = title
        return job
    }

    @Test func embeddedJSONCannotCloseItsScriptElement() throws {
        let text = try DashboardData.jsonText(["user_id": "</script><script>alert(1)</script>", "n": 1])
        #expect(!text.contains("<") && !text.contains(">"))
        let back = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(back?["user_id"] as? String == "</script><script>alert(1)</script>")
        let page = DashboardPage.html(job: try Self.job(), jobs: ["transactions"], embeddedJSON: text)
        // The panels' spec, the data and the script: three elements closed, no more.
        #expect(page.components(separatedBy: "</script>").count == 4)
    }

    @Test func namesAreEscapedAndNothingLoadsFromTheNetwork() throws {
        let hostile = "<b>\"x\"</b>"
        let page = DashboardPage.html(job: try Self.job(title: hostile), jobs: ["transactions", "<i>j</i>"])
        #expect(page.contains("<h1>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</h1>"))
        #expect(page.contains("<span class=\"label\">&lt;b&gt;&quot;x&quot;&lt;/b&gt;</span>"))
        #expect(page.contains("href=\"/jobs/&lt;i&gt;j&lt;/i&gt;\">&lt;i&gt;j&lt;/i&gt;</a>"))
        #expect(!page.contains(hostile) && !page.contains("<i>j</i>"))
        #expect(!page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
        #expect(!page.contains("https://"))
        #expect(!page.contains("innerHTML"))
    }

    @Test func aJobWithoutADashboardGetsATablePerGoldTableAndView() throws {
        var job = try Self.job()
        job.dashboard = nil
        let panels = job.page.panels
        #expect(panels.map(\.from) == job.goldTableNames + job.views.map(\.name))
        #expect(panels.allSatisfy { $0.kind == .table && $0.limit == 20 })
    }

    @Test func prometheusLabelsAreEscaped() {
        #expect(Metrics.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }
}
