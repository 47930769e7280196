import Crypto
import Foundation
import Lake

/// A job's page (`lake serve`, `lake report`), drawn from its declared dashboard (`[dashboard]`, SPEC §15), or from the default
/// one (a table per gold table and view): `GET /jobs/<job>`. The panels' frames are written here
/// with every name escaped; the script reads each panel's rows from `/api/jobs/<job>/<from>`
/// and the pipeline's health from `/api/status?job=`, draws cards, SVG charts and tables with
/// `textContent` and attributes only (never HTML from data), and reads them again every
/// `refresh` seconds without reloading the page.
public enum DashboardPage {
    /// The served page (`embeddedJSON` nil: it reads the API and refreshes), or with the data of
    /// `embedded(_:job:)` a static, offline page (`lake report`).
    public static func html(job: JobDefinition, jobs: [String], embeddedJSON: String? = nil) -> String {
        let d = job.page
        let cards = d.panels.filter { $0.kind == .card }
        let others = d.panels.filter { $0.kind != .card }
        let spec: [String: Any] = [
            "job": job.name, "refresh": d.refreshSeconds,
            "panels": d.panels.map { p -> [String: Any] in
                var o: [String: Any] = ["name": p.name, "kind": p.kind.rawValue, "from": p.from, "limit": p.limit,
                                        "format": p.format.rawValue, "y": p.y, "columns": p.columns]
                if let v = p.value { o["value"] = v }
                if let x = p.x { o["x"] = x }
                if let r = p.rangeSeconds, let t = p.time {
                    o["range"] = r
                    o["time"] = t
                }
                return o
            },
        ]
        let specJSON = (try? DashboardData.jsonText(spec)) ?? "{}"
        let e = escape
        let nav = jobs.map { name in
            "<a href=\"/jobs/\(e(name))\"\(name == job.name ? " aria-current=\"page\"" : "")>\(e(name))</a>"
        }.joined(separator: " ")
        let tiles = cards.map { p in
            "<div class=\"tile\" id=\"panel-\(e(p.name))\" data-kind=\"card\"><span class=\"label\">\(e(p.title))</span>"
                + "<span class=\"value\">–</span></div>"
        }.joined(separator: "\n")
        let articles = others.map { p in
            let wide = p.kind == .line || (p.kind == .table && (p.columns.count > 4 || p.columns.isEmpty)) ? " wide" : ""
            return "<article class=\"card\(wide)\" id=\"panel-\(e(p.name))\" data-kind=\"\(p.kind.rawValue)\">"
                + "<h2>\(e(p.title))</h2><div class=\"body\"></div></article>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(d.title)) · lake</title>
            <style>\(css)</style></head>
            <body data-job="\(e(job.name))">
            <header><nav class="jobs" aria-label="jobs">\(nav)</nav><h1>\(e(d.title))</h1>
            <p id="updated" class="muted">loading…</p></header>
            <main>
            \(tiles.isEmpty ? "" : "<section class=\"tiles\">\n\(tiles)\n</section>")
            <section class="grid">
            \(articles)
            <article class="card" id="health-panel"><h2>Pipeline health</h2><dl id="health"></dl>
              <h3>Quarantined by reason</h3><table id="quarantine"><tbody></tbody></table>
              <h3>Last runs</h3><table id="runs"><tbody></tbody></table></article>
            </section>
            </main>
            <script id="lake-spec" type="application/json">\(specJSON)</script>
            \(embeddedJSON.map { "<script id=\"lake-data\" type=\"application/json\">\($0)</script>" } ?? "")
            <script>\(script)</script>
            </body></html>
            """
    }

    /// CSP sources naming the page's one script and one style element by their SHA-256, so
    /// the server's policy needs no 'unsafe-inline'.
    static let scriptHash = cspHash(script)
    static let styleHash = cspHash(css)

    static func cspHash(_ text: String) -> String {
        "'sha256-" + Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString() + "'"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let css = """
        :root{--bg:#f5f6f8;--card:#fff;--ink:#1d2330;--muted:#6b7280;--c0:#3b6fd8;--c1:#1f9d6b;--c2:#e0823d;--c3:#9aa3b2}
        *{box-sizing:border-box}body{margin:0;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
        header{padding:16px 20px 4px}h1{margin:0;font-size:22px}h2{font-size:15px;margin:0 0 10px}h3{font-size:13px;margin:14px 0 6px;color:var(--muted)}
        .muted{color:var(--muted);margin:4px 0}main{padding:8px 20px 24px}
        .tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:12px}
        .tile{background:var(--card);border-radius:10px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
        .label{display:block;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
        .value{display:block;font-size:24px;font-weight:650;margin-top:4px;font-variant-numeric:tabular-nums}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px}
        .card{background:var(--card);border-radius:10px;padding:14px;box-shadow:0 1px 2px rgba(0,0,0,.06);min-width:0}
        .wide{grid-column:1/-1}svg{width:100%;height:auto;display:block}
        table{width:100%;border-collapse:collapse;font-size:13px}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eef0f3}
        td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;margin:0;font-size:13px}
        dt{color:var(--muted)}dd{margin:0;font-variant-numeric:tabular-nums}.legend{font-size:12px;color:var(--muted)}
        .sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px}.s0{background:var(--c0)}.s1{background:var(--c1)}.s2{background:var(--c2)}
        .ok{color:var(--c1)}.bad{color:#c0392b;font-weight:600}
        @media (max-width:520px){main{padding:8px}.value{font-size:20px}}
        nav.jobs{font-size:13px;margin-bottom:6px}nav.jobs a{color:var(--c0);margin-right:10px;text-decoration:none}
        nav.jobs a[aria-current]{color:var(--ink);font-weight:650}.problem{color:#c0392b;font-size:13px}
        
        """

    static let script = #"""
        "use strict";
        const NS = "http://www.w3.org/2000/svg";
        const COLORS = ["#3b6fd8", "#1f9d6b", "#e0823d", "#9b59b6", "#c0392b", "#16a3b8", "#9aa3b2", "#d4ac0d"];
        const spec = JSON.parse(document.getElementById("lake-spec").textContent);
        const embeddedNode = document.getElementById("lake-data");
        const embedded = embeddedNode ? JSON.parse(embeddedNode.textContent) : null;
        async function api(url, fallback) {
          if (embedded) { const j = fallback(); if (j.error) throw new Error(j.error); return j; }
          const r = await fetch(url, {cache: "no-store"});
          const j = await r.json();
          if (!r.ok) throw new Error(j.error || `HTTP ${r.status}`);
          return j;
        }
        function el(tag, attrs, text) {
          const e = tag.startsWith("svg:") ? document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
          if (text != null) e.textContent = String(text);
          return e;
        }
        function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
        function fmt(v, format) {
          if (v == null) return "–";
          if (format === "text" || (typeof v !== "number" && format === "auto")) return String(v);
          const n = Number(v);
          if (!Number.isFinite(n)) return String(v);
          if (format === "money") return n.toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
          if (format === "percent") return n.toFixed(2) + "%";
          if (format === "integer") return Math.round(n).toLocaleString("en-US");
          if (format === "number" || !Number.isInteger(n)) return n.toLocaleString("en-US", {maximumFractionDigits: 2});
          return n.toLocaleString("en-US");
        }
        function problem(body, text) { clear(body).appendChild(el("p", {class: "problem"}, text)); }
        function need(rows, columns, names, from) {
          const missing = names.filter(n => !columns.includes(n));
          if (missing.length) throw new Error(`${missing.join(", ")} not among the columns of ${from}: ${columns.join(", ")}`);
        }
        function card(node, p, data) {
          need(data.rows, data.columns, [p.value], p.from);
          const span = node.querySelector(".value"), v = data.rows.length ? data.rows[0][p.value] : null;
          span.dataset.value = v == null ? "" : String(v);
          span.textContent = fmt(v, p.format);
        }
        function bars(body, p, rows) {
          const y = p.y[0], max = Math.max(1, ...rows.map(r => Math.abs(Number(r[y]) || 0)));
          const h = 28, w = 420, left = 150, svg = el("svg:svg", {viewBox: `0 0 ${w} ${rows.length * h + 4}`, role: "img"});
          rows.forEach((r, i) => {
            const v = Number(r[y]) || 0, bw = Math.max(2, (w - left - 80) * Math.abs(v) / max);
            svg.appendChild(el("svg:text", {x: 0, y: i * h + 19, "font-size": 12, fill: "#1d2330"}, String(r[p.x] ?? "–").slice(0, 24)));
            svg.appendChild(el("svg:rect", {x: left, y: i * h + 5, width: bw, height: h - 10, rx: 4, fill: COLORS[i % COLORS.length],
                                            "data-label": String(r[p.x] ?? ""), "data-value": v}));
            svg.appendChild(el("svg:text", {x: left + 6 + bw, y: i * h + 19, "font-size": 12, fill: "#6b7280"}, fmt(r[y], p.format)));
          });
          body.appendChild(svg);
        }
        function line(body, p, rows) {
          const w = 900, h = 230, pad = 60;
          const values = rows.flatMap(r => p.y.map(k => Number(r[k]) || 0));
          const max = Math.max(1, ...values), min = Math.min(0, ...values);
          const x = i => pad + (w - pad - 8) * (rows.length === 1 ? 0.5 : i / (rows.length - 1));
          const y = v => h - 22 - (h - 34) * (v - min) / (max - min);
          const svg = el("svg:svg", {viewBox: `0 0 ${w} ${h}`, role: "img"});
          for (const f of [0, 0.5, 1]) {
            const v = min + (max - min) * f;
            svg.appendChild(el("svg:line", {x1: pad, x2: w - 8, y1: y(v), y2: y(v), stroke: "#eef0f3"}));
            svg.appendChild(el("svg:text", {x: 0, y: y(v) + 4, "font-size": 11, fill: "#6b7280"}, fmt(v, p.format)));
          }
          p.y.forEach((k, s) => {
            const pts = rows.map((r, i) => `${x(i).toFixed(1)},${y(Number(r[k]) || 0).toFixed(1)}`).join(" ");
            svg.appendChild(el("svg:polyline", {points: pts, fill: "none", stroke: COLORS[s % COLORS.length], "stroke-width": 2,
                                                "data-series": k, "data-values": JSON.stringify(rows.map(r => r[k]))}));
          });
          const step = Math.max(1, Math.ceil(rows.length / 8));
          rows.forEach((r, i) => { if (i % step === 0) svg.appendChild(el("svg:text", {x: x(i) - 20, y: h - 4, "font-size": 11, fill: "#6b7280"}, String(r[p.x] ?? "").replace("T", " ").slice(5, 16))); });
          body.appendChild(svg);
          if (p.y.length > 1) {
            const legend = body.appendChild(el("p", {class: "legend"}));
            p.y.forEach((k, s) => { legend.appendChild(el("span", {class: "sw", style: `background:${COLORS[s % COLORS.length]}`})); legend.appendChild(document.createTextNode(k)); });
          }
        }
        function pie(body, p, rows, hole) {
          const y = p.y[0], total = rows.reduce((a, r) => a + Math.max(0, Number(r[y]) || 0), 0);
          const svg = el("svg:svg", {viewBox: "0 0 470 200", role: "img"});
          let angle = -Math.PI / 2;
          rows.forEach((r, i) => {
            const v = Math.max(0, Number(r[y]) || 0), share = total ? v / total : 0, color = COLORS[i % COLORS.length];
            const a2 = angle + share * 2 * Math.PI, large = share > 0.5 ? 1 : 0;
            const pt = a => `${(100 + 90 * Math.cos(a)).toFixed(2)},${(100 + 90 * Math.sin(a)).toFixed(2)}`;
            const d = share >= 0.9999 ? "M 100,10 A 90,90 0 1 1 99.99,10 Z" : `M 100,100 L ${pt(angle)} A 90,90 0 ${large} 1 ${pt(a2)} Z`;
            if (share > 0) svg.appendChild(el("svg:path", {d, fill: color, "data-label": String(r[p.x] ?? ""), "data-value": v}));
            svg.appendChild(el("svg:rect", {x: 215, y: 12 + i * 20, width: 10, height: 10, rx: 2, fill: color}));
            svg.appendChild(el("svg:text", {x: 231, y: 21 + i * 20, "font-size": 12, fill: "#1d2330"},
                               `${String(r[p.x] ?? "–").slice(0, 18)} ${fmt(r[y], p.format)} (${(100 * share).toFixed(1)}%)`));
            angle = a2;
          });
          if (hole) svg.appendChild(el("svg:circle", {cx: 100, cy: 100, r: 48, fill: "#fff"}));
          body.appendChild(svg);
        }
        function table(body, p, data) {
          const columns = p.columns.length ? p.columns : data.columns;
          need(data.rows, data.columns, columns, p.from);
          const t = el("table"), head = t.appendChild(el("thead")).appendChild(el("tr")), tb = t.appendChild(el("tbody"));
          // The panel's format is for its real columns; integer columns (counts) stay integers.
          const numeric = columns.map(c => ["integer", "real"].includes(data.types[c]));
          const formats = columns.map(c => data.types[c] === "real" ? p.format : data.types[c] === "integer" ? "auto" : "text");
          columns.forEach((c, i) => head.appendChild(el("th", numeric[i] ? {class: "n"} : {}, c)));
          for (const r of data.rows) {
            const tr = tb.appendChild(el("tr"));
            columns.forEach((c, i) => tr.appendChild(el("td", numeric[i] ? {class: "n"} : {}, fmt(r[c], formats[i]))));
          }
          if (!data.rows.length) body.appendChild(el("p", {class: "muted"}, "no rows yet"));
          body.appendChild(t);
        }
        async function rowsOf(p) {
          const range = p.range ? `&range=${p.range}&time=${encodeURIComponent(p.time)}` : "";
          const j = await api(`/api/jobs/${encodeURIComponent(spec.job)}/${encodeURIComponent(p.from)}?limit=${p.limit}${range}`,
                              () => embedded.rows[p.name]);
          const rows = embedded ? j.rows.slice(0, p.limit) : j.rows;
          const columns = j.columns.map(c => c.name), types = Object.fromEntries(j.columns.map(c => [c.name, c.type]));
          return {columns, types, rows: rows.map(a => Object.fromEntries(columns.map((c, i) => [c, a[i]])))};
        }
        async function panel(p) {
          const node = document.getElementById(`panel-${p.name}`);
          const body = node.querySelector(".body");
          try {
            const data = await rowsOf(p);
            if (p.kind === "card") return card(node, p, data);
            clear(body);
            if (p.kind === "table") return table(body, p, data);
            need(data.rows, data.columns, [p.x, ...p.y], p.from);
            if (!data.rows.length) return problem(body, "no rows yet");
            if (p.kind === "bar") bars(body, p, data.rows);
            else if (p.kind === "line") line(body, p, data.rows);
            else pie(body, p, data.rows, p.kind === "donut");
          } catch (e) {
            if (body) problem(body, e.message); else node.querySelector(".value").textContent = "–";
            node.dataset.problem = e.message;
          }
        }
        function rowsTable(id, rows, cells) {
          const body = clear(document.querySelector(`#${id} tbody`));
          for (const r of rows) {
            const tr = body.appendChild(el("tr"));
            for (const [value, numeric] of cells(r)) tr.appendChild(el("td", numeric ? {class: "n"} : {}, value));
          }
        }
        async function health() {
          const s = await api(`/api/status?job=${encodeURIComponent(spec.job)}`, () => embedded.status);
          const dl = clear(document.getElementById("health"));
          const add = (k, v, cls) => { dl.appendChild(el("dt", {}, k)); dl.appendChild(el("dd", cls ? {class: cls} : {}, v)); };
          add("Watermark", s.watermark || "none");
          if (s.watermark_lag_seconds != null) add("Lag", `${Math.round(s.watermark_lag_seconds).toLocaleString("en-US")} s behind now`);
          for (const a of (s.accounting || []).filter(a => a.job === spec.job)) {
            add("Accounting", `${fmt(a.bronze_rows)} bronze = ${fmt(a.silver_rows)} silver + ${fmt(a.duplicates)} dup + ${fmt(a.quarantined)} quarantined + ${fmt(a.pending)} pending`, a.balanced ? "ok" : "bad");
          }
          rowsTable("quarantine", s.quarantine_by_reason || [], q => [[q.reason], [fmt(q.rows), true]]);
          rowsTable("runs", (s.runs || []).filter(x => x.job === spec.job).slice(0, 6), x => [[x.stage], [x.status], [String(x.started_at).replace("T", " ").slice(0, 19)], [fmt(x.rows_in), true]]);
          return s.generated_at;
        }
        let rounds = 0;
        async function refresh() {
          const [at] = await Promise.all([health().catch(e => { document.getElementById("updated").textContent = `cannot reach lake serve: ${e.message}`; return null; }),
                                          ...spec.panels.map(panel)]);
          rounds += 1;
          document.body.dataset.rounds = String(rounds);
          if (at) document.getElementById("updated").textContent = `data as of ${String(at).replace("T", " ").slice(0, 19)} UTC`
            + (embedded ? " (static report)" : `, every ${spec.refresh} s`);
          document.body.dataset.rendered = "1";
        }
        refresh();
        if (!embedded) setInterval(refresh, spec.refresh * 1000);
        """#

    /// Several jobs' static pages in one offline file (`lake report`): a job switcher over one
    /// `<iframe srcdoc>` per page (each page keeps its own element ids and script), shown by the
    /// URL's fragment (`#job-<name>`, the first job without one) with CSS only.
    public static func book(_ pages: [(job: String, html: String)]) -> String {
        let nav = pages.map { "<a href=\"#job-\(escape($0.job))\">\(escape($0.job))</a>" }.joined(separator: " ")
        let sections = pages.map { page in
            "<section id=\"job-\(escape(page.job))\"><iframe title=\"\(escape(page.job))\" srcdoc=\"\(escape(page.html))\"></iframe></section>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>lake report</title>
            <style>\(css)
            nav.jobs{padding:10px 20px 0}.pages>section{display:none}.pages>section:target{display:block}
            .pages:not(:has(section:target))>section:first-child{display:block}
            iframe{width:100%;height:calc(100vh - 40px);border:0;display:block}</style></head>
            <body><nav class="jobs" aria-label="jobs">\(nav)</nav>
            <div class="pages">
            \(sections)
            </div>
            </body></html>
            """
    }

    /// What a static page embeds: each panel's rows as the API pages them for it (or the
    /// error the API would give), by panel name, and the health.
    public static func embedded(_ catalog: Catalog, job: JobDefinition) throws -> [String: Any] {
        var rows: [String: Any] = [:]
        for p in job.page.panels {
            var query = ["limit": String(p.limit)]
            if let r = p.rangeSeconds, let t = p.time {
                query["range"] = String(r)
                query["time"] = t
            }
            do {
                rows[p.name] = try TableAPI.page(catalog, job: job, name: p.from, query: query)
            } catch let e as HTTPFailure {
                rows[p.name] = ["error": e.message]
            }
        }
        return ["rows": rows, "status": try DashboardData(catalog: catalog, job: job).status()]
    }
}
