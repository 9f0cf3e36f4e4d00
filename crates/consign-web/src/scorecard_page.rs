//! The printable scorecard page: one self-contained HTML document (inline CSS and SVG, no
//! script, nothing fetched) that prints on A4 as it shows on screen. The charts are drawn
//! here as SVG: a 12-period trend for each headline figure, and bars by carrier,
//! by accountable party and by reason.

use askama::Template;
use consign_app::kpis::Scorecard;
use consign_core::kpi::Ratio;
use consign_core::kpi::scorecard::Breakdown;
use std::fmt::Write;

/// Escapes text for SVG and HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn percent(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.1} %", v * 100.0))
}

/// The trend of one figure: a line over the periods that counted something, a dot per
/// period, 0–100 % on the vertical axis; a period with nothing counted leaves a gap.
fn trend_svg(label: &str, points: &[(String, Ratio)]) -> String {
    let (w, h, left, top, bottom) = (340.0, 150.0, 34.0, 10.0, 28.0);
    let plot_w = w - left - 8.0;
    let plot_h = h - top - bottom;
    let n = points.len().max(1) as f64;
    let x = |i: usize| left + plot_w * (i as f64 + 0.5) / n;
    let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 1.0));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg viewBox="0 0 {w} {h}" role="img" aria-label="{} over the last {} periods" class="chart">"#,
        esc(label),
        points.len()
    );
    for g in [0.0, 0.5, 1.0] {
        let _ = write!(
            s,
            r#"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" class="grid"/><text x="{}" y="{:.1}" class="axis" text-anchor="end">{}%</text>"#,
            w - 8.0,
            left - 4.0,
            y(g) + 3.0,
            (g * 100.0) as i64,
            y = y(g)
        );
    }
    let mut path = String::new();
    for (i, (_, r)) in points.iter().enumerate() {
        if let Some(v) = r.value {
            let cmd = if path.is_empty() || points[i - 1].1.value.is_none() {
                'M'
            } else {
                'L'
            };
            let _ = write!(path, "{cmd}{:.1},{:.1} ", x(i), y(v));
        }
    }
    if !path.is_empty() {
        let _ = write!(s, r#"<path d="{}" class="line"/>"#, path.trim_end());
    }
    for (i, (period, r)) in points.iter().enumerate() {
        if let Some(v) = r.value {
            let last = i + 1 == points.len();
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="{}" class="{}"><title>{}: {} ({}/{})</title></circle>"#,
                x(i),
                y(v),
                if last { 4.0 } else { 2.5 },
                if last { "dot now" } else { "dot" },
                esc(period),
                percent(Some(v)),
                r.numerator,
                r.denominator
            );
        }
        // Every other label, and the last, so twelve fit.
        if i % 2 == points.len() % 2 || i + 1 == points.len() {
            let short = period.rsplit_once('-').map_or(period.as_str(), |(_, b)| b);
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{}" class="axis" text-anchor="middle">{}</text>"#,
                x(i),
                h - 10.0,
                esc(short)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one per entry, the value's share of 100 %, with the counts beside.
fn bars_svg(label: &str, items: &[(String, Ratio)]) -> String {
    if items.is_empty() {
        return r#"<p class="muted">Nothing counted in this period.</p>"#.into();
    }
    let row = 22.0;
    // Narrow enough that a phone shows it at nearly its own size.
    let (w, name_w) = (380.0, 128.0);
    let bar_w = w - name_w - 110.0;
    let h = row * items.len() as f64 + 4.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg viewBox="0 0 {w} {h}" role="img" aria-label="{}" class="bars">"#,
        esc(label)
    );
    for (i, (name, r)) in items.iter().enumerate() {
        let y = i as f64 * row + 2.0;
        let v = r.value.unwrap_or(0.0).clamp(0.0, 1.0);
        let shown: String = if name.chars().count() > 19 {
            name.chars().take(18).chain(['…']).collect()
        } else {
            name.clone()
        };
        let _ = write!(
            s,
            r#"<text x="0" y="{:.1}" class="label">{}<title>{}</title></text><rect x="{name_w}" y="{:.1}" width="{bar_w}" height="14" class="track"/><rect x="{name_w}" y="{:.1}" width="{:.1}" height="14" class="bar"/><text x="{:.1}" y="{:.1}" class="value">{} · {}/{}</text>"#,
            y + 12.0,
            esc(&shown),
            esc(name),
            y + 1.0,
            y + 1.0,
            bar_w * v,
            name_w + bar_w + 6.0,
            y + 12.0,
            percent(r.value),
            r.numerator,
            r.denominator
        );
    }
    s.push_str("</svg>");
    s
}

/// A breakdown's entries, largest denominators first (the ones that matter most), at most
/// `max`.
fn top(b: &Breakdown, max: usize) -> Vec<(String, Ratio)> {
    let mut v: Vec<(String, Ratio)> = b.iter().map(|(k, r)| (k.clone(), *r)).collect();
    v.sort_by(|a, b| {
        b.1.denominator
            .cmp(&a.1.denominator)
            .then(b.1.numerator.cmp(&a.1.numerator))
            .then(a.0.cmp(&b.0))
    });
    v.truncate(max);
    v
}

struct Headline {
    label: String,
    value: String,
    numerator: u64,
    denominator: u64,
    /// Where the numerator's and the denominator's records are listed.
    hits: Option<String>,
    records: Option<String>,
    basis: String,
    chart: String,
}

struct Section {
    title: String,
    note: String,
    chart: String,
}

/// Where the page's toolbar leads (it is not printed): the periods either side, the same
/// scorecard as CSV and JSON, and back.
pub struct Links {
    /// Whether the page is the dashboard's (its record links open the dashboard's lists).
    pub dashboard: bool,
    pub previous: String,
    pub next: String,
    pub week: String,
    pub month: String,
    pub csv: String,
    pub json: String,
    pub back: String,
    /// On the dashboard: the tenants the viewer may pick (slug, name), none elsewhere.
    pub tenants: Vec<(String, String)>,
}

impl Links {
    /// The links of the API's page (`…/scorecards/{period}?format=html`), or of the
    /// dashboard's (`/app/{tenant}/scorecard?period=…`).
    pub fn for_page(s: &Scorecard, dashboard: bool) -> Links {
        let api = |p: &str, format: &str| {
            format!(
                "/api/v1/tenants/{}/scorecards/{p}?format={format}{}",
                s.tenant,
                if s.source == "rollup" {
                    String::new()
                } else {
                    format!("&definitions={}", s.definitions_version)
                }
            )
        };
        let page = |p: &str| {
            if dashboard {
                format!("/app/{}/scorecard?period={p}", s.tenant)
            } else {
                api(p, "html")
            }
        };
        let period = consign_core::kpi::Period::parse(&s.period, i64::MAX)
            .unwrap_or(consign_core::kpi::Period::week_of(s.first_day));
        let week = consign_core::kpi::Period::week_of(s.last_day).to_string();
        let month = consign_core::kpi::Period::month_of(s.last_day).to_string();
        Links {
            dashboard,
            previous: page(&period.previous().to_string()),
            next: page(&period.next().to_string()),
            week: page(&week),
            month: page(&month),
            csv: api(&s.period, "csv"),
            json: api(&s.period, "json"),
            back: if dashboard {
                "/app".into()
            } else {
                format!("/app/{}/scorecard?period={}", s.tenant, s.period)
            },
            tenants: Vec::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "scorecard.html")]
struct ScorecardPage<'a> {
    s: &'a Scorecard,
    links: Links,
    turnaround: Vec<(String, String, String)>,
    headlines: Vec<Headline>,
    sections: Vec<Section>,
    cases: Vec<(String, String, String)>,
    backlog: Vec<(String, u64)>,
}

fn minutes(m: Option<f64>) -> String {
    match m {
        None => "–".into(),
        Some(m) if m < 120.0 => format!("{m:.0} min"),
        Some(m) => format!("{:.1} h", m / 60.0),
    }
}

/// The page, or the reason it could not be rendered.
pub fn render(s: &Scorecard, links: Links) -> Result<String, askama::Error> {
    let trend = |pick: fn(&consign_app::kpis::TrendPoint) -> Ratio| -> Vec<(String, Ratio)> {
        s.trend
            .iter()
            .map(|t| (t.period.clone(), pick(t)))
            .collect()
    };
    // The case rates' trends, when the scorecard has them (a reader of cases).
    let case_trend =
        |pick: fn(&consign_app::kpis::TrendPoint) -> Option<Ratio>| -> Option<Vec<(String, Ratio)>> {
            s.trend
                .iter()
                .map(|t| pick(t).map(|r| (t.period.clone(), r)))
                .collect()
        };
    let mut headlines = Vec::new();
    let mut case_rates = Vec::new();
    for f in &s.figures {
        let chart = match f.key.as_str() {
            "on_time_delivery" => trend_svg(&f.label, &trend(|t| t.on_time_delivery)),
            "otif" => trend_svg(&f.label, &trend(|t| t.otif)),
            "perfect_order" => trend_svg(&f.label, &trend(|t| t.perfect_order)),
            "exception_rate" => trend_svg(&f.label, &trend(|t| t.exception_rate)),
            key => match match key {
                "sla_attainment" => case_trend(|t| t.sla_attainment),
                "reopen_rate" => case_trend(|t| t.reopen_rate),
                "first_contact_resolution" => case_trend(|t| t.first_contact_resolution),
                _ => None,
            } {
                Some(points) => trend_svg(&f.label, &points),
                // Without a trend, a figure goes in the case work table.
                None => {
                    case_rates.push((
                        f.label.clone(),
                        percent(f.value),
                        format!("{} of {}: {}", f.numerator, f.denominator, f.basis),
                    ));
                    continue;
                }
            },
        };
        // The dashboard's lists for a person, the API's for the API's page.
        let list = |u: &Option<String>| {
            u.as_ref().map(|u| {
                if links.dashboard {
                    u.replacen(
                        &format!("/api/v1/tenants/{}/", s.tenant),
                        &format!("/app/{}/", s.tenant),
                        1,
                    )
                } else {
                    u.clone()
                }
            })
        };
        headlines.push(Headline {
            label: f.label.clone(),
            value: percent(f.value),
            numerator: f.numerator,
            denominator: f.denominator,
            hits: list(&f.hits),
            records: list(&f.records),
            basis: f.basis.clone(),
            chart,
        });
    }
    let d = &s.delivery;
    let sections = vec![
        Section {
            title: "On-time delivery by carrier".into(),
            note: "shipments delivered by the promise ÷ delivered with a promise".into(),
            chart: bars_svg(
                "On-time delivery by carrier",
                &top(&d.on_time_by_carrier, 12),
            ),
        },
        Section {
            title: "Exception rate by carrier".into(),
            note: "shipments with a case ÷ shipments that left".into(),
            chart: bars_svg(
                "Exception rate by carrier",
                &top(&d.exceptions_by_carrier, 12),
            ),
        },
        Section {
            title: "Exceptions by accountable party".into(),
            note: "shipments with a case the party is accountable for ÷ shipments that left".into(),
            chart: bars_svg(
                "Exceptions by accountable party",
                &top(&d.exceptions_by_accountable, 12),
            ),
        },
        Section {
            title: "Exceptions by reason".into(),
            note: "shipments with a case of the type ÷ shipments that left".into(),
            chart: bars_svg("Exceptions by reason", &top(&d.exceptions_by_reason, 12)),
        },
        Section {
            title: "Exception rate by lane (busiest 10)".into(),
            note: "origin > destination, country and region".into(),
            chart: bars_svg("Exception rate by lane", &top(&d.exceptions_by_lane, 10)),
        },
    ];
    // A mean and median of business time, as one row of the case figures.
    let durations = |what: &str, d: &consign_core::case::kpi::Durations| {
        (
            format!("{what} (mean / median)"),
            format!(
                "{} / {}",
                minutes(d.mean_minutes),
                minutes(d.median_minutes)
            ),
            format!("{} cases, business time", d.count),
        )
    };
    let (cases, backlog) = match &s.cases {
        Some(c) => (
            [
                case_rates,
                vec![
                    ("Cases opened".into(), c.opened.to_string(), String::new()),
                    (
                        "Cases resolved".into(),
                        c.resolved.to_string(),
                        String::new(),
                    ),
                    durations("Time to acknowledge", &c.mtta),
                    durations("Time to resolve", &c.mttr),
                ],
            ]
            .concat(),
            vec![
                ("under 4 h".into(), c.backlog.under_4h),
                ("4 h – 1 day".into(), c.backlog.under_1d),
                ("1 – 3 days".into(), c.backlog.under_3d),
                ("3 – 7 days".into(), c.backlog.under_7d),
                ("7 days or more".into(), c.backlog.over_7d),
                ("open at period end".into(), c.backlog.open),
            ],
        ),
        None => (Vec::new(), Vec::new()),
    };
    let t = &s.turnaround;
    let turnaround = [
        (
            "Received → released",
            t.received_to_released,
            "orders released in the period",
        ),
        (
            "Released → shipped",
            t.released_to_shipped,
            "orders that first shipped in the period",
        ),
    ]
    .into_iter()
    .map(|(label, d, basis)| {
        (
            label.to_string(),
            format!(
                "{} / {}",
                minutes(d.median_minutes),
                minutes(d.mean_minutes)
            ),
            format!("{} {basis}", d.count),
        )
    })
    .collect();
    ScorecardPage {
        s,
        links,
        turnaround,
        headlines,
        sections,
        cases,
        backlog,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_gaps_break_the_line() {
        let pts = vec![
            ("2026-W01".to_string(), Ratio::of(1, 2)),
            ("2026-W02".to_string(), Ratio::of(0, 0)),
            ("2026-W03".to_string(), Ratio::of(2, 2)),
        ];
        let svg = trend_svg("A<B", &pts);
        assert!(svg.contains("A&lt;B"));
        // Two separate moves: the empty week is a gap, not a zero.
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        let bars = bars_svg("x", &[("Acme & Sons <Freight>".into(), Ratio::of(1, 4))]);
        assert!(bars.contains("Acme &amp; Sons &lt;Freight&gt;"));
        assert!(bars.contains("25.0 % · 1/4"));
    }
}
