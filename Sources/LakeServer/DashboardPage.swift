/// The dashboard: one self-contained HTML page (CSS and SVG charts drawn by its own script,
/// nothing loaded from the network). Served by `lake serve`, where it polls the JSON API every
/// few seconds, and written by `lake report` with the data embedded. Data is only ever set
/// with `textContent` or SVG attributes, never parsed as HTML.
public enum DashboardPage {
    /// The page; with `embeddedJSON` (from `DashboardData.jsonText`) it is static and offline.
    /// `job` and `jobs` (served pages): the job whose data the page reads and the job switcher.
    public static func html(title: String, embeddedJSON: String? = nil, job: String? = nil, jobs: [String] = []) -> String {
        let data = embeddedJSON.map { "<script id=\"lake-data\" type=\"application/json\">\($0)</script>" } ?? ""
        let nav = jobs.isEmpty ? "" : "<nav class=\"jobs\" aria-label=\"jobs\">" + jobs.map { name in
            "<a href=\"/jobs/\(escape(name))\"\(name == job ? " aria-current=\"page\"" : "")>\(escape(name))</a>"
        }.joined(separator: " ") + "</nav>"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>\(css)\(DeclaredPage.css)</style></head>
            <body data-mode="\(embeddedJSON == nil ? "live" : "static")" data-job="\(escape(job ?? ""))">
            <header>\(nav)<h1>\(escape(title))</h1><p id="updated" class="muted">loading…</p></header>
            <main>
            <section class="tiles" id="kpis">
              <div class="tile"><span class="label">Sessions</span><span class="value" data-kpi="total_sessions">–</span></div>
              <div class="tile"><span class="label">Orders</span><span class="value" data-kpi="orders">–</span></div>
              <div class="tile"><span class="label">Abandoned carts</span><span class="value" data-kpi="abandoned_carts">–</span></div>
              <div class="tile"><span class="label">Revenue</span><span class="value" data-kpi="revenue">–</span></div>
              <div class="tile"><span class="label">Avg order value</span><span class="value" data-kpi="average_order_value">–</span></div>
              <div class="tile"><span class="label">Conversion</span><span class="value" data-kpi="conversion_rate_pct">–</span></div>
            </section>
            <section class="grid">
              <article class="card"><h2>Conversion funnel</h2><div id="funnel"></div></article>
              <article class="card"><h2>Session status</h2><div id="status-chart"></div></article>
              <article class="card wide"><h2>Sessions per hour</h2><div id="hourly"></div>
                <p class="legend"><span class="sw s0"></span>sessions <span class="sw s1"></span>purchases <span class="sw s2"></span>abandoned carts</p></article>
              <article class="card"><h2>Top customers</h2><table id="top"><thead><tr><th>User</th><th>Lifetime value</th><th>Sessions</th><th>Purchases</th></tr></thead><tbody></tbody></table></article>
              <article class="card"><h2>Pipeline health</h2><dl id="health"></dl>
                <h3>Quarantined by reason</h3><table id="quarantine"><tbody></tbody></table>
                <h3>Last runs</h3><table id="runs"><tbody></tbody></table></article>
            </section>
            </main>
            \(data)
            <script>\(script)</script>
            </body></html>
            """
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
        """

    static let script = #"""
        "use strict";
        const NS = "http://www.w3.org/2000/svg";
        const fmtInt = v => v == null ? "–" : Number(v).toLocaleString("en-US");
        const fmtMoney = v => v == null ? "–" : Number(v).toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
        function el(tag, attrs, text) {
          const e = tag.startsWith("svg:") ? document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
          if (text != null) e.textContent = String(text);
          return e;
        }
        function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
        function kpis(k) {
          const formats = {revenue: fmtMoney, average_order_value: fmtMoney, conversion_rate_pct: v => v == null ? "–" : Number(v).toFixed(2) + "%"};
          for (const span of document.querySelectorAll("[data-kpi]")) {
            const key = span.dataset.kpi, v = k[key];
            span.dataset.value = v == null ? "" : String(v);
            span.textContent = (formats[key] || fmtInt)(v);
          }
        }
        function bars(target, rows, label, value, colors) {
          const node = clear(document.getElementById(target));
          const max = Math.max(1, ...rows.map(r => Number(r[value]) || 0));
          const h = 30, w = 400, left = 150, svg = el("svg:svg", {viewBox: `0 0 ${w} ${rows.length * h + 4}`, role: "img"});
          rows.forEach((r, i) => {
            const v = Number(r[value]) || 0, bw = Math.max(2, (w - left - 60) * v / max);
            svg.appendChild(el("svg:text", {x: 0, y: i * h + 20, "font-size": 13, fill: "#1d2330"}, r[label]));
            svg.appendChild(el("svg:rect", {x: left, y: i * h + 5, width: bw, height: h - 10, rx: 4, fill: colors[i % colors.length], "data-value": v}));
            svg.appendChild(el("svg:text", {x: left + 6 + bw, y: i * h + 20, "font-size": 12, fill: "#6b7280"}, fmtInt(v)));
          });
          node.appendChild(svg);
        }
        function funnel(rows) {
          bars("funnel", rows, "stage", "sessions", ["#3b6fd8", "#e0823d", "#1f9d6b"]);
          const all = rows.length ? Number(rows[0].sessions) || 0 : 0;
          if (all > 0 && rows.length === 3) {
            const p = document.getElementById("funnel").appendChild(el("p", {class: "muted"}));
            p.textContent = `cart ${(100 * rows[1].sessions / all).toFixed(1)}% of sessions, purchase ${(100 * rows[2].sessions / all).toFixed(1)}%`;
          }
        }
        function statusChart(rows) {
          const colors = {"Purchased": "#1f9d6b", "Abandoned Cart": "#e0823d", "Browsing Only": "#9aa3b2"};
          const total = rows.reduce((a, r) => a + (Number(r.sessions) || 0), 0);
          const withShare = rows.map(r => Object.assign({}, r, {label: `${r.status} ${total ? (100 * r.sessions / total).toFixed(1) : 0}%`}));
          bars("status-chart", withShare, "label", "sessions", withShare.map(r => colors[r.status] || "#3b6fd8"));
        }
        function hourly(rows) {
          const node = clear(document.getElementById("hourly"));
          if (!rows.length) { node.appendChild(el("p", {class: "muted"}, "no sessions yet")); return; }
          const w = 900, h = 220, pad = 34, series = [["sessions", "#3b6fd8"], ["purchases", "#1f9d6b"], ["abandoned_carts", "#e0823d"]];
          const max = Math.max(1, ...rows.map(r => Number(r.sessions) || 0));
          const x = i => pad + (w - pad - 8) * (rows.length === 1 ? 0.5 : i / (rows.length - 1));
          const y = v => h - 22 - (h - 34) * v / max;
          const svg = el("svg:svg", {viewBox: `0 0 ${w} ${h}`, role: "img"});
          for (const f of [0, 0.5, 1]) {
            svg.appendChild(el("svg:line", {x1: pad, x2: w - 8, y1: y(max * f), y2: y(max * f), stroke: "#eef0f3"}));
            svg.appendChild(el("svg:text", {x: 0, y: y(max * f) + 4, "font-size": 11, fill: "#6b7280"}, fmtInt(Math.round(max * f))));
          }
          for (const [key, color] of series) {
            const pts = rows.map((r, i) => `${x(i).toFixed(1)},${y(Number(r[key]) || 0).toFixed(1)}`).join(" ");
            svg.appendChild(el("svg:polyline", {points: pts, fill: "none", stroke: color, "stroke-width": 2, "data-series": key}));
          }
          const step = Math.max(1, Math.ceil(rows.length / 8));
          rows.forEach((r, i) => { if (i % step === 0) svg.appendChild(el("svg:text", {x: x(i) - 14, y: h - 4, "font-size": 11, fill: "#6b7280"}, String(r.hour).slice(5, 13).replace("T", " ") + "h")); });
          node.appendChild(svg);
        }
        function table(id, rows, cells) {
          const body = clear(document.querySelector(`#${id} tbody`));
          for (const r of rows) {
            const tr = body.appendChild(el("tr"));
            for (const [value, numeric] of cells(r)) tr.appendChild(el("td", numeric ? {class: "n"} : {}, value));
          }
        }
        function health(s) {
          const dl = clear(document.getElementById("health"));
          const add = (k, v, cls) => { dl.appendChild(el("dt", {}, k)); dl.appendChild(el("dd", cls ? {class: cls} : {}, v)); };
          add("Watermark", s.watermark || "none");
          if (s.watermark_lag_seconds != null) add("Lag", `${Math.round(s.watermark_lag_seconds).toLocaleString("en-US")} s behind now`);
          for (const a of s.accounting || []) {
            add(`${a.job} accounting`, `${fmtInt(a.bronze_rows)} bronze = ${fmtInt(a.silver_rows)} silver + ${fmtInt(a.duplicates)} dup + ${fmtInt(a.quarantined)} quarantined + ${fmtInt(a.pending)} pending`, a.balanced ? "ok" : "bad");
          }
          for (const [name, t] of Object.entries(s.tables || {}).sort()) add(name, `${fmtInt(t.rows)} rows, ${fmtInt(t.files)} files`);
          table("quarantine", s.quarantine_by_reason || [], r => [[r.reason], [fmtInt(r.rows), true]]);
          table("runs", (s.runs || []).slice(0, 6), r => [[`${r.job}/${r.stage}`], [r.status], [String(r.started_at).replace("T", " ").slice(0, 19)], [fmtInt(r.rows_in), true]]);
        }
        function render(d) {
          kpis(d.kpis || {}); funnel(d.funnel || []); statusChart(d.session_status || []); hourly(d.hourly || []);
          table("top", d.top_customers || [], r => [[r.user_id], [fmtMoney(r.lifetime_value), true], [fmtInt(r.sessions), true], [fmtInt(r.purchases), true]]);
          health(d.status || {});
          document.getElementById("updated").textContent = `data as of ${String((d.status || {}).generated_at || "").replace("T", " ").slice(0, 19)} UTC`;
          document.body.dataset.rendered = "1";
        }
        async function refresh() {
          try {
            const job = document.body.dataset.job;
            const r = await fetch(job ? `/api/dashboard?job=${encodeURIComponent(job)}` : "api/dashboard", {cache: "no-store"});
            if (!r.ok) throw new Error(`HTTP ${r.status}`);
            render(await r.json());
          } catch (e) { document.getElementById("updated").textContent = `cannot reach lake serve: ${e.message}`; }
        }
        const embedded = document.getElementById("lake-data");
        if (embedded) render(JSON.parse(embedded.textContent));
        else { refresh(); setInterval(refresh, 5000); }
        """#
}
