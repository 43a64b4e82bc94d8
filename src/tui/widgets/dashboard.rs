//! The statistics dashboard's pages, drawn into any area: charts (ratatui's Chart, BarChart and Sparkline)
//! with the figures beside them as numbers, readable at 80x24 and without colour (datasets differ by
//! marker, not only by colour). Pure: figures in, frame out.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Block, Borders, Chart, Dataset, GraphType, Paragraph, Sparkline,
};

use super::style;
use crate::domain::dashboard::{Dashboard, percent};
use crate::tui::text::{columns, one_line};

/// The pages, in order.
pub const PAGES: [&str; 6] = ["model", "activity", "people", "calibration", "labels", "slices"];

/// Draws page `page` of the dashboard into `area`.
pub fn render(frame: &mut Frame, area: Rect, d: &Dashboard, page: usize, color: bool) {
    match page % PAGES.len() {
        0 => model(frame, area, d, color),
        1 => activity(frame, area, d, color),
        2 => people(frame, area, d),
        3 => calibration(frame, area, d, color),
        4 => labels(frame, area, d, color),
        _ => slices(frame, area, d, color),
    }
}

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

fn titled(title: &str) -> Block<'static> {
    Block::default().borders(Borders::ALL).title(format!(" {title} "))
}

/// Accuracy and calibration error of each model version against the labels it learned from.
fn model(frame: &mut Frame, area: Rect, d: &Dashboard, color: bool) {
    let table_height = (d.models.len() as u16 + 1).min(area.height / 3).max(2);
    let [chart_area, table_area] = Layout::vertical([Constraint::Min(6), Constraint::Length(table_height)]).areas(area);
    let (accuracy, ece) = (d.accuracy_points(), d.ece_points());
    if accuracy.is_empty() {
        frame.render_widget(
            Paragraph::new("No model measured yet: `margin train` or a retrain makes one.").block(titled("model")),
            chart_area,
        );
        return;
    }
    let max_x = d.models.iter().map(|m| m.train_size).max().unwrap_or(1).max(1) as f64;
    let datasets = vec![
        Dataset::default()
            .name("accuracy")
            .marker(Marker::Dot)
            .graph_type(GraphType::Line)
            .style(style::fg(color, Color::Green))
            .data(&accuracy),
        Dataset::default()
            .name("calibration error")
            .marker(Marker::HalfBlock)
            .graph_type(GraphType::Scatter)
            .style(style::fg(color, Color::Yellow))
            .data(&ece),
    ];
    let chart = Chart::new(datasets)
        .block(titled("by version: cross-validated accuracy (•) and calibration error (▄)"))
        .legend_position(None)
        .x_axis(
            Axis::default()
                .title("labels learned from")
                .bounds([0.0, max_x])
                .labels(vec![Span::raw("0"), Span::raw(format!("{max_x:.0}"))]),
        )
        .y_axis(Axis::default().bounds([0.0, 1.0]).labels(vec![Span::raw("0"), Span::raw("0.5"), Span::raw("1")]));
    frame.render_widget(chart, chart_area);
    let mut lines = vec![Line::styled("version   labels   accuracy   calibration error", bold())];
    for m in d.models.iter().rev() {
        let value = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        lines.push(Line::raw(format!(
            "{:>7}   {:>6}   {:>8}   {:>17}",
            m.version,
            m.train_size,
            value(m.accuracy),
            value(m.ece)
        )));
    }
    frame.render_widget(Paragraph::new(lines), table_area);
}

/// Labels per hour of the day, everyone together, then one sparkline per person.
fn activity(frame: &mut Frame, area: Rect, d: &Dashboard, color: bool) {
    let people_height = (d.hourly.len() as u16 + 2).min(area.height / 2).max(3);
    let [bars_area, people_area] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(people_height)]).areas(area);
    let total = d.hourly_total();
    let bars: Vec<Bar> =
        total.iter().enumerate().map(|(h, n)| Bar::default().value(*n).label(Line::raw(format!("{h:02}")))).collect();
    let width = (bars_area.width.saturating_sub(2) / 24).saturating_sub(1).clamp(1, 4);
    let chart = BarChart::default()
        .block(titled("labels per hour of the day (UTC), everyone"))
        .data(BarGroup::default().bars(&bars))
        .bar_width(width)
        .bar_gap(1)
        .bar_style(style::fg(color, Color::Cyan))
        .value_style(Style::default().add_modifier(Modifier::REVERSED));
    frame.render_widget(chart, bars_area);
    let block = titled("per person, 00-23 h");
    let inner = block.inner(people_area);
    frame.render_widget(block, people_area);
    for (i, (person, hours)) in d.hourly.iter().enumerate().take(usize::from(inner.height)) {
        let row = Rect { y: inner.y + i as u16, height: 1, ..inner };
        let [name, line, sum] =
            Layout::horizontal([Constraint::Length(14), Constraint::Length(24), Constraint::Min(1)]).areas(row);
        frame.render_widget(Paragraph::new(one_line(person, 13)), name);
        frame.render_widget(Sparkline::default().data(hours.as_slice()).style(style::fg(color, Color::Cyan)), line);
        frame.render_widget(Paragraph::new(format!(" {} labels", hours.iter().sum::<u64>())), sum);
    }
}

/// Agreement per pair of people, and people's labels against the model's.
fn people(frame: &mut Frame, area: Rect, d: &Dashboard) {
    let pairs_height = (d.pairs.len() as u16 + 3).min(area.height / 2).max(4);
    let [pairs_area, matrix_area] =
        Layout::vertical([Constraint::Length(pairs_height), Constraint::Min(4)]).areas(area);
    let block = titled("agreement per pair of people, on the items both labelled");
    let inner = block.inner(pairs_area);
    frame.render_widget(block, pairs_area);
    let mut lines = vec![Line::styled(format!("{:<14} {:<14} {:>6} {:>7}", "", "", "items", "agreed"), bold())];
    if d.pairs.is_empty() {
        lines = vec![Line::raw("No item has been labelled by two people yet.")];
    }
    for p in &d.pairs {
        lines.push(Line::raw(format!(
            "{:<14} {:<14} {:>6} {:>7}",
            one_line(&p.a, 13),
            one_line(&p.b, 13),
            p.items,
            percent(p.agreed, p.items)
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    let block = titled("people's labels (rows) against the model's prediction then (columns)");
    let inner = block.inner(matrix_area);
    frame.render_widget(block, matrix_area);
    let name_width = 12;
    let cell = usize::from(inner.width.saturating_sub(name_width as u16 + 1)) / d.confusion_labels.len().max(1);
    let cell = cell.clamp(4, 9);
    let short = |s: &str| one_line(s, cell - 1);
    let mut head = format!("{:name_width$}", "");
    for l in &d.confusion_labels {
        head.push_str(&format!(" {:>w$}", short(l), w = cell - 1));
    }
    let mut lines = vec![Line::styled(head, bold())];
    for (label, row) in d.confusion_labels.iter().zip(&d.confusion) {
        let mut line = format!("{:name_width$}", one_line(label, name_width - 1));
        for n in row {
            line.push_str(&format!(" {n:>w$}", w = cell - 1));
        }
        lines.push(Line::raw(line));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The calibration diagram: how often people agreed with predictions of each confidence.
fn calibration(frame: &mut Frame, area: Rect, d: &Dashboard, color: bool) {
    let [chart_area, table_area] = Layout::vertical([Constraint::Min(8), Constraint::Length(3)]).areas(area);
    let points = d.calibration_points();
    let diagonal = [(0.0, 0.0), (1.0, 1.0)];
    let datasets = vec![
        Dataset::default()
            .name("perfect")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(style::fg(color, Color::DarkGray))
            .data(&diagonal),
        Dataset::default()
            .name("people agreed")
            .marker(Marker::Block)
            .graph_type(GraphType::Scatter)
            .style(style::fg(color, Color::Green))
            .data(&points),
    ];
    let ticks = || vec![Span::raw("0"), Span::raw("0.5"), Span::raw("1")];
    let chart = Chart::new(datasets)
        .block(titled("calibration: confidence against how often people agreed (█); perfect (⠒)"))
        .legend_position(None)
        .x_axis(Axis::default().title("confidence").bounds([0.0, 1.0]).labels(ticks()))
        .y_axis(Axis::default().bounds([0.0, 1.0]).labels(ticks()));
    frame.render_widget(chart, chart_area);
    let counts: Vec<String> =
        d.calibration.iter().map(|b| format!("{:.1}:{}", b.low, percent(b.agreed, b.decisions))).collect();
    let text = format!("agreed per tenth of confidence: {}", counts.join(" "));
    frame.render_widget(Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }), table_area);
}

/// Each label's share of the settled items beside its share of the reference labels, as bars of text
/// (`█` settled, `▒` reference: told apart without colour).
fn labels(frame: &mut Frame, area: Rect, d: &Dashboard, color: bool) {
    let decided: u64 = d.labels.iter().map(|l| l.decided).sum();
    let reference: u64 = d.labels.iter().map(|l| l.reference).sum();
    let block = titled(&format!("labels: share of {decided} settled items (█) and {reference} reference labels (▒)"));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let name_width = d.labels.iter().map(|l| columns(&l.label)).max().unwrap_or(5).clamp(5, 16);
    let bar_width = (usize::from(inner.width).saturating_sub(name_width + 14) / 2).max(4);
    let largest = d
        .labels
        .iter()
        .flat_map(|l| [share(l.decided, decided), share(l.reference, reference)])
        .fold(0.0f64, f64::max)
        .max(0.01);
    let bar = |part: f64, fill: &str| {
        let n = ((part / largest) * bar_width as f64).round() as usize;
        format!("{}{}", fill.repeat(n.min(bar_width)), " ".repeat(bar_width - n.min(bar_width)))
    };
    let mut lines = Vec::new();
    for l in d.labels.iter().take(usize::from(inner.height)) {
        let (a, b) = (share(l.decided, decided), share(l.reference, reference));
        lines.push(Line::from(vec![
            Span::raw(format!("{:<name_width$} ", one_line(&l.label, name_width + 1))),
            Span::styled(bar(a, "█"), style::fg(color, Color::Green)),
            Span::raw(format!(" {:>4} ", percent(l.decided, decided))),
            Span::styled(bar(b, "▒"), style::fg(color, Color::Blue)),
            Span::raw(format!(" {:>4}", percent(l.reference, reference))),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// The model's accuracy per value of a metadata field, the slices well below the rest flagged.
fn slices(frame: &mut Frame, area: Rect, d: &Dashboard, color: bool) {
    let Some((field, slices)) = &d.slices else {
        let text = "No metadata field chosen: `margin stats --slice FIELD` compares the model's accuracy across \
                    the values of FIELD (a field of the imported items, such as source or language).";
        frame.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }).block(titled("slices")),
            area,
        );
        return;
    };
    let block = titled(&format!("per {}: the model right, and people agreeing (pairs)", one_line(field, 20)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Room for the name, the counts and the flag on one line.
    let bar_width = usize::from(inner.width).saturating_sub(58).clamp(5, 40);
    let mut lines =
        vec![Line::styled(format!("{:<16} {:>6} {:>6} {:>7}  ", "value", "items", "right", "agree"), bold())];
    for s in slices.iter().take(usize::from(inner.height).saturating_sub(1)) {
        let filled = if s.items == 0 { 0 } else { (s.right as usize * bar_width) / s.items as usize };
        let bar = format!("{}{}", "█".repeat(filled), "·".repeat(bar_width - filled));
        let mut spans = vec![Span::raw(format!(
            "{:<16} {:>6} {:>6} {:>7}  {bar}",
            one_line(&s.value, 15),
            s.items,
            percent(s.right, s.items),
            percent(s.pairs_agreed, s.pairs)
        ))];
        if s.flagged {
            spans.push(Span::styled(" ! below the rest", style::fg(color, Color::Red).add_modifier(Modifier::BOLD)));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
