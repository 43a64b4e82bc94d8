//! The report to hand on: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched:
//! its content security policy forbids it) with the dashboard's figures, the project's settings, the model
//! versions and the audit trail's state, for someone who will not open a terminal. Pure: figures in, text
//! out; every text from the data is escaped.

use std::fmt::Write as _;

use super::dashboard::{Dashboard, percent};

/// The audit trail as `margin audit verify` found it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditState {
    pub events: u64,
    /// The newest event's hash (hex), when the trail holds.
    pub head: Option<String>,
    /// Where it stops holding, when it does not.
    pub broken: Option<String>,
}

/// What the report is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput<'a> {
    pub project: &'a str,
    /// When it was made (RFC 3339).
    pub made_at: &'a str,
    /// Headline counts: name and value, in order.
    pub counts: Vec<(String, String)>,
    pub dashboard: &'a Dashboard,
    /// margin.toml as it stands.
    pub settings: &'a str,
    pub audit: AuditState,
}

/// `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}\
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .7em;text-align:right;border-bottom:1px solid #eee}\
th:first-child,td:first-child{text-align:left}.bar{display:inline-block;height:.8em;background:#3a7}\
.ref{background:#37a}.flag{color:#b00;font-weight:bold}pre{background:#f6f6f6;padding:1em;overflow:auto}\
svg{max-width:100%;height:auto}.muted{color:#777}";

/// The whole page.
pub fn html(r: &ReportInput<'_>) -> String {
    let d = r.dashboard;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>margin report: {p}</title><style>{STYLE}</style></head><body>\
         <h1>margin report: {p}</h1><p class=\"muted\">Made {at}.</p>",
        p = escape(r.project),
        at = escape(r.made_at)
    );
    out.push_str("<h2>The project</h2><table>");
    for (name, value) in &r.counts {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(name), escape(value));
    }
    out.push_str("</table>");
    models(&mut out, d);
    activity(&mut out, d);
    people(&mut out, d);
    calibration(&mut out, d);
    labels(&mut out, d);
    slices(&mut out, d);
    audit(&mut out, &r.audit);
    let _ = writeln!(out, "<h2>Settings (margin.toml)</h2><pre>{}</pre></body></html>", escape(r.settings));
    out
}

/// One line of a chart: its name, its colour, and its points (x in `[0, x_max]`, y in [0, 1]).
type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>);

/// An SVG line (and points) chart of `series`.
fn line_chart(series: &[Series<'_>], x_max: f64, x_title: &str) -> String {
    let (w, h, left, bottom) = (600.0, 240.0, 40.0, 30.0);
    let px = |x: f64| left + x / x_max.max(1e-9) * (w - left - 10.0);
    let py = |y: f64| (h - bottom) - y.clamp(0.0, 1.0) * (h - bottom - 10.0);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\">\
         <line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#888\"/>\
         <line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{b}\" stroke=\"#888\"/>\
         <text x=\"4\" y=\"14\" font-size=\"11\">1</text><text x=\"4\" y=\"{b}\" font-size=\"11\">0</text>\
         <text x=\"{r}\" y=\"{t}\" font-size=\"11\" text-anchor=\"end\">{x_title} (0 to {x_max:.0})</text>",
        b = h - bottom,
        r = w - 10.0,
        t = h - 8.0,
        x_title = escape(x_title)
    );
    for (i, (name, colour, points)) in series.iter().enumerate() {
        let path: Vec<String> = points.iter().map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y))).collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
        for (x, y) in points {
            let _ = write!(svg, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{colour}\"/>", px(*x), py(*y));
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{colour}\">{}</text>",
            left + 10.0,
            24.0 + 16.0 * i as f64,
            escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn models(out: &mut String, d: &Dashboard) {
    out.push_str("<h2>The model by version</h2>");
    let x_max = d.models.iter().map(|m| m.train_size).max().unwrap_or(1) as f64;
    let (accuracy, ece) = (d.accuracy_points(), d.ece_points());
    if !accuracy.is_empty() {
        out.push_str(&line_chart(
            &[("cross-validated accuracy", "#3a7", accuracy), ("calibration error", "#c80", ece)],
            x_max,
            "labels learned from",
        ));
    }
    out.push_str("<table><tr><th>version</th><th>labels</th><th>accuracy</th><th>calibration error</th></tr>");
    for m in d.models.iter().rev() {
        let v = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            m.version,
            m.train_size,
            v(m.accuracy),
            v(m.ece)
        );
    }
    out.push_str("</table>");
}

fn activity(out: &mut String, d: &Dashboard) {
    out.push_str("<h2>Labels per hour of the day (UTC)</h2>");
    let total = d.hourly_total();
    let top = total.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut svg = String::from("<svg viewBox=\"0 0 600 160\" width=\"600\" height=\"160\" role=\"img\">");
    for (hour, n) in total.iter().enumerate() {
        let height = *n as f64 / top * 120.0;
        let x = 10.0 + hour as f64 * 24.0;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{:.1}\" width=\"18\" height=\"{height:.1}\" fill=\"#37a\"><title>{hour:02}: {n}</title></rect>\
             <text x=\"{:.1}\" y=\"155\" font-size=\"10\" text-anchor=\"middle\">{hour:02}</text>",
            130.0 - height,
            x + 9.0
        );
    }
    svg.push_str("</svg>");
    out.push_str(&svg);
    out.push_str("<table><tr><th>person</th><th>labels</th></tr>");
    for (person, hours) in &d.hourly {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(person), hours.iter().sum::<u64>());
    }
    out.push_str("</table>");
}

fn people(out: &mut String, d: &Dashboard) {
    out.push_str("<h2>Agreement per pair of people</h2><table><tr><th>person</th><th>person</th><th>items</th><th>agreed</th></tr>");
    for p in &d.pairs {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&p.a),
            escape(&p.b),
            p.items,
            percent(p.agreed, p.items)
        );
    }
    out.push_str(
        "</table><h2>People's labels (rows) against the model's prediction then (columns)</h2><table><tr><th></th>",
    );
    for l in &d.confusion_labels {
        let _ = write!(out, "<th>{}</th>", escape(l));
    }
    out.push_str("</tr>");
    for (label, row) in d.confusion_labels.iter().zip(&d.confusion) {
        let _ = write!(out, "<tr><td>{}</td>", escape(label));
        for n in row {
            let _ = write!(out, "<td>{n}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

fn calibration(out: &mut String, d: &Dashboard) {
    out.push_str("<h2>Calibration: the model's confidence against how often people agreed</h2>");
    let points = d.calibration_points();
    out.push_str(&line_chart(
        &[("perfect calibration", "#aaa", vec![(0.0, 0.0), (1.0, 1.0)]), ("people agreed", "#3a7", points)],
        1.0,
        "confidence",
    ));
}

fn bar(part: u64, whole: u64, class: &str) -> String {
    let width = if whole == 0 { 0.0 } else { 20.0 * part as f64 / whole as f64 };
    format!("<span class=\"bar {class}\" style=\"width:{width:.2}em\"></span> {}", percent(part, whole))
}

fn labels(out: &mut String, d: &Dashboard) {
    let decided: u64 = d.labels.iter().map(|l| l.decided).sum();
    let reference: u64 = d.labels.iter().map(|l| l.reference).sum();
    let _ = write!(
        out,
        "<h2>Labels</h2><table><tr><th>label</th><th>share of {decided} settled items</th>\
         <th>share of {reference} reference labels</th></tr>"
    );
    for l in &d.labels {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&l.label),
            bar(l.decided, decided, ""),
            bar(l.reference, reference, "ref")
        );
    }
    out.push_str("</table>");
}

fn slices(out: &mut String, d: &Dashboard) {
    let Some((field, slices)) = &d.slices else { return };
    let _ = write!(
        out,
        "<h2>Per {}: the model right, and people agreeing</h2><table><tr><th>value</th><th>items</th>\
         <th>the model right</th><th>pairs of people</th><th>agreeing</th><th></th></tr>",
        escape(field)
    );
    for s in slices {
        let flag = if s.flagged { "<span class=\"flag\">well below the rest</span>" } else { "" };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{flag}</td></tr>",
            escape(&s.value),
            s.items,
            bar(s.right, s.items, ""),
            s.pairs,
            percent(s.pairs_agreed, s.pairs)
        );
    }
    out.push_str("</table>");
}

fn audit(out: &mut String, a: &AuditState) {
    out.push_str("<h2>The audit trail</h2>");
    match (&a.broken, &a.head) {
        (Some(broken), _) => {
            let _ = write!(out, "<p class=\"flag\">Broken: {}</p>", escape(broken));
        }
        (None, Some(head)) => {
            let _ = write!(out, "<p>Holds: {} events checked; head {}.</p>", a.events, escape(head));
        }
        (None, None) => out.push_str("<p>No events yet.</p>"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::dashboard::Slice;
    use super::*;

    #[test]
    fn data_is_escaped_and_nothing_is_fetched() {
        let d = Dashboard {
            slices: Some((
                "source".into(),
                vec![Slice {
                    value: "<script>x</script>".into(),
                    items: 10,
                    right: 2,
                    pairs: 0,
                    pairs_agreed: 0,
                    flagged: true,
                }],
            )),
            ..Dashboard::default()
        };
        let input = ReportInput {
            project: "a & b",
            made_at: "2026-12-03T00:00:00Z",
            counts: vec![("items".into(), "10".into())],
            dashboard: &d,
            settings: "name = \"<b>\"",
            audit: AuditState { events: 3, head: Some("ab12".into()), broken: None },
        };
        let page = html(&input);
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;") && !page.contains("<script"), "{page}");
        assert!(page.contains("margin report: a &amp; b") && page.contains("name = &quot;&lt;b&gt;&quot;"));
        assert!(page.contains("default-src 'none'"), "the page may fetch nothing");
        assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("src="));
        assert!(page.contains("Holds: 3 events checked; head ab12."));
        assert!(page.contains("well below the rest"));
    }
}
