//! `margin simulate`: runs the labelling loop with the reference labels as the annotator, for several
//! strategies on the same held-out splits, and reports how many labels each needs to reach 95% of the
//! accuracy the same model gets with all training labels. Writes the learning curves as CSV (and the
//! splits, for other tools to reuse), draws them in the terminal, and prints a JSON summary on request.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};

use super::Context;
use super::terminal::print_json;
use crate::app::simulate::{Dataset, Point, RunSettings, SentenceVectors, full_accuracy, labels_to_target, run, split};
use crate::domain::Strategy;
use crate::domain::text::{count, visible};
use crate::model::Runtime;
use crate::model::encoder::{Encoder, EncoderPlaces};
use crate::model::runtime::SearchPlaces;
use std::sync::{Arc, Mutex};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The labelled data: JSONL with a text and a gold label per line.
    #[arg(long, value_name = "FILE.jsonl")]
    pub data: PathBuf,
    /// The field holding the text.
    #[arg(long, default_value = "text", value_name = "KEY")]
    pub text_key: String,
    /// The field holding the true label.
    #[arg(long, default_value = "label", value_name = "KEY")]
    pub gold_key: String,
    /// Strategies to compare, comma-separated: default (the hybrid), least-confident, margin, entropy,
    /// committee, diversity, random.
    #[arg(long, value_delimiter = ',', default_value = "default,random")]
    pub strategy: Vec<String>,
    /// Seeds (each a different split and different picks).
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// Labels to spend per run.
    #[arg(long, default_value_t = 500)]
    pub budget: usize,
    /// Items per batch (the model retrains after each).
    #[arg(long, default_value_t = 20)]
    pub batch: usize,
    /// Share of the labels the simulated annotator gets wrong.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Share of the data held out for measuring accuracy.
    #[arg(long, default_value_t = 0.2)]
    pub test_share: f64,
    /// Where to write curves.csv, splits/ and the runs' projects (default: a new directory
    /// simulate-DATE-TIME here, kept without the runs' projects).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print one JSON summary instead of the table and plot.
    #[arg(long)]
    pub json: bool,

    /// Learn on sentence vectors too (the combined model), with the installed encoder (or --encoder):
    /// every text is embedded once, before the runs.
    #[arg(long)]
    pub sentence_vectors: bool,

    /// With --sentence-vectors: no zero-shot model before the first labels and no label-description
    /// features (as `[model] zero_shot = false`).
    #[arg(long, requires = "sentence_vectors")]
    pub no_zero_shot: bool,
}

pub fn run_command(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    if !(0.0..1.0).contains(&args.error_rate) || !(0.05..0.9).contains(&args.test_share) {
        bail!("--error-rate must be in [0, 1) and --test-share in [0.05, 0.9)");
    }
    let strategies = strategies(&args)?;
    let (mut dataset, unlabelled) = read_dataset(&args)?;
    if unlabelled > 0 && !args.json {
        tell!(
            "{}: {} without a string field `{}` skipped (not labelled, or pass --gold-key)",
            visible(&args.data.display().to_string()),
            count(unlabelled, "line", "lines"),
            visible(&args.gold_key)
        );
    }
    let runtime = Runtime::start(&SearchPlaces::from_environment(context.ort_lib.as_deref()))?;
    if args.sentence_vectors {
        let manifest = EncoderPlaces::from_environment(context.encoder.as_deref()).locate()?;
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let encoder = Arc::new(Mutex::new(Encoder::load(runtime, &manifest, threads)?));
        if !args.json {
            tell!("Embedding {} texts ...", dataset.texts.len());
        }
        dataset.sentence = Some(SentenceVectors::compute(encoder, &dataset.texts, !args.no_zero_shot)?);
    }
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => new_results_dir()?,
    };
    std::fs::create_dir_all(out.join("splits")).with_context(|| format!("{}: cannot create", out.display()))?;
    write_dataset(&out, &dataset)?;
    if !args.json {
        tell!(
            "{} items, {} labels; {}; budget {} in batches of {}; strategies {}",
            dataset.texts.len(),
            dataset.labels.len(),
            count(args.seeds, "seed", "seeds"),
            args.budget,
            args.batch,
            args.strategy.join(", ")
        );
    }
    let results = run_all(&args, runtime, &dataset, &strategies, &out)?;
    if args.out.is_none() {
        // The runs' projects are large and of little use afterwards; --out keeps them.
        let _ = std::fs::remove_dir_all(out.join("work"));
    }
    let summary = summarise(&strategies, &results, args.budget);
    let mean_full = results.targets.iter().map(|t| t.0).sum::<f64>() / results.targets.len().max(1) as f64;
    if args.json {
        let json = serde_json::json!({
            "data": args.data, "items": dataset.texts.len(), "labels": dataset.labels, "seeds": args.seeds,
            "budget": args.budget, "batch": args.batch, "error_rate": args.error_rate,
            "mean_full_data_accuracy": mean_full,
            "full_data_accuracy": results.targets.iter().map(|t| t.0).collect::<Vec<_>>(),
            "strategies": summary, "out": out,
        });
        print_json(&json);
        return Ok(ExitCode::SUCCESS);
    }
    print_summary(mean_full, &summary, &results, &out, args.budget);
    Ok(ExitCode::SUCCESS)
}

/// The strategies `--strategy` names, each with the name it was given (`default` is the hybrid).
fn strategies(args: &Args) -> anyhow::Result<Vec<(String, Strategy)>> {
    args.strategy
        .iter()
        .map(|name| {
            let strategy = match name.as_str() {
                "default" => Strategy::Hybrid,
                other => Strategy::from_name(other).ok_or_else(|| {
                    let known: Vec<&str> = Strategy::ALL.iter().map(|s| s.as_str()).collect();
                    anyhow!("--strategy: unknown strategy {other:?}; use default or one of {}", known.join(", "))
                })?,
            };
            Ok((name.clone(), strategy))
        })
        .collect()
}

/// Every strategy's runs, by strategy name, and each seed's full-data accuracy and target.
#[derive(Default)]
struct Results {
    reached: BTreeMap<String, Vec<Option<usize>>>,
    finals: BTreeMap<String, Vec<f64>>,
    curves: BTreeMap<String, Vec<Vec<Point>>>,
    /// (full-data accuracy, target) per seed.
    targets: Vec<(f64, f64)>,
}

/// Runs every strategy on every seed's split, writing the splits and curves.csv under `out`.
fn run_all(
    args: &Args,
    runtime: &'static Runtime,
    dataset: &Dataset,
    strategies: &[(String, Strategy)],
    out: &Path,
) -> anyhow::Result<Results> {
    let mut csv = std::fs::File::create(out.join("curves.csv")).context("cannot write curves.csv")?;
    writeln!(csv, "strategy,seed,labels,accuracy,macro_f1")?;
    let mut results = Results::default();
    for seed in 1..=args.seeds {
        let (test, pool) = split(dataset, args.test_share, seed);
        let splits = serde_json::json!({ "seed": seed, "test": test, "pool": pool });
        std::fs::write(out.join("splits").join(format!("seed-{seed}.json")), splits.to_string())?;
        let full = full_accuracy(&out.join("work"), runtime, dataset, &pool, &test, seed)?;
        let target = 0.95 * full.accuracy;
        results.targets.push((full.accuracy, target));
        for (name, strategy) in strategies {
            let settings = RunSettings {
                strategy: *strategy,
                seed,
                budget: args.budget,
                batch: args.batch,
                error_rate: args.error_rate,
            };
            let dir = out.join("work").join(format!("{name}-{seed}"));
            let curve = run(&dir, runtime, dataset, &pool, &test, &settings)?;
            for p in &curve {
                writeln!(csv, "{name},{seed},{},{:.6},{:.6}", p.labels, p.accuracy, p.macro_f1)?;
            }
            let hit = labels_to_target(&curve, target);
            if !args.json {
                tell!(
                    "seed {seed} {name}: full-data accuracy {:.4}, target {target:.4}, reached at {}, final {:.4}",
                    full.accuracy,
                    hit.map_or_else(|| format!("more than {}", args.budget), |n| n.to_string()),
                    curve.last().map_or(0.0, |p| p.accuracy)
                );
            }
            results.reached.entry(name.clone()).or_default().push(hit);
            results.finals.entry(name.clone()).or_default().push(curve.last().map_or(0.0, |p| p.accuracy));
            results.curves.entry(name.clone()).or_default().push(curve);
        }
    }
    Ok(results)
}

/// One JSON summary per strategy: labels to target per seed and on average, and the final accuracy.
fn summarise(strategies: &[(String, Strategy)], results: &Results, budget: usize) -> Vec<serde_json::Value> {
    strategies
        .iter()
        .map(|(name, _)| {
            let hits = &results.reached[name];
            let all_reached = hits.iter().all(Option::is_some);
            let mean_hit = hits.iter().map(|h| h.unwrap_or(budget) as f64).sum::<f64>() / hits.len() as f64;
            let finals = &results.finals[name];
            let mean_final = finals.iter().sum::<f64>() / finals.len() as f64;
            serde_json::json!({
                "strategy": name,
                "labels_to_target": hits,
                "mean_labels_to_target": mean_hit,
                "all_seeds_reached_target": all_reached,
                "mean_final_accuracy": mean_final,
            })
        })
        .collect()
}

/// The summary table, the learning curves' plot and where curves.csv is.
fn print_summary(mean_full: f64, summary: &[serde_json::Value], results: &Results, out: &Path, budget: usize) {
    say!("full-data accuracy (mean over seeds): {mean_full:.4}; target: 95% of it per seed");
    say!("{:<18} {:>22} {:>16}", "strategy", "labels to target (mean)", "final accuracy");
    for s in summary {
        let hits: Vec<Option<usize>> = s["labels_to_target"]
            .as_array()
            .map(|h| h.iter().map(|n| n.as_u64().map(|n| n as usize)).collect())
            .unwrap_or_default();
        say!(
            "{}",
            summary_row(
                &visible(s["strategy"].as_str().unwrap_or("")),
                &hits,
                s["mean_labels_to_target"].as_f64().unwrap_or(0.0),
                s["mean_final_accuracy"].as_f64().unwrap_or(0.0),
                budget
            )
        );
    }
    say!();
    say_part!("{}", plot(&results.curves));
    say!("curves: {}", out.join("curves.csv").display());
}

/// One strategy's row of the summary table. A seed that did not reach the target counts as the budget,
/// so the mean is then a lower bound, and says so.
fn summary_row(name: &str, hits: &[Option<usize>], mean: f64, final_accuracy: f64, budget: usize) -> String {
    let missed = hits.iter().filter(|h| h.is_none()).count();
    let (mean, flag) = if missed == 0 {
        (format!("{mean:.1}"), String::new())
    } else {
        let seeds = if missed == 1 { "seed" } else { "seeds" };
        (format!("at least {mean:.1}"), format!(" ({missed} {seeds} not there within {budget} labels)"))
    };
    format!("{name:<18} {mean:>22} {final_accuracy:>16.4}{flag}")
}

/// A new directory `simulate-DATE-TIME` in the current directory for the results.
fn new_results_dir() -> anyhow::Result<PathBuf> {
    let stamp: String = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let base = format!("simulate-{}-{}", &stamp[..8], &stamp[8..]);
    for n in 1.. {
        let dir = PathBuf::from(if n == 1 { base.clone() } else { format!("{base}-{n}") });
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("{}: cannot create the results directory", dir.display())),
        }
    }
    unreachable!("a free name is found")
}

/// The distinct labelled texts of `--data`, and how many lines were skipped for having no gold label.
fn read_dataset(args: &Args) -> anyhow::Result<(Dataset, u64)> {
    let name = args.data.display().to_string();
    let file = std::fs::File::open(&args.data).with_context(|| format!("{name}: cannot open"))?;
    let mut seen = std::collections::HashSet::new();
    let (mut texts, mut gold_names) = (Vec::new(), Vec::new());
    let mut unlabelled = 0u64;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{name}:{}: cannot read", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("{name}:{}: malformed JSON", n + 1))?;
        let text = value[&args.text_key]
            .as_str()
            .ok_or_else(|| anyhow!("{name}:{}: no string field `{}`", n + 1, args.text_key))?;
        let Some(label) = value[&args.gold_key].as_str() else {
            unlabelled += 1;
            continue;
        };
        if text.trim().is_empty() || !seen.insert(text.to_string()) {
            continue;
        }
        texts.push(text.to_string());
        gold_names.push(label.to_string());
    }
    if gold_names.is_empty() && unlabelled > 0 {
        bail!(
            "{name}: no line has a string field `{}` for the true label; pass --gold-key to name the field that holds it",
            args.gold_key
        );
    }
    let mut labels: Vec<String> = gold_names.clone();
    labels.sort();
    labels.dedup();
    if labels.len() < 2 {
        bail!("{name}: the data needs at least two labels");
    }
    for l in &labels {
        crate::config::check_label_name(l).map_err(|m| anyhow!("{name}: {m}"))?;
    }
    let gold = gold_names.iter().map(|g| labels.iter().position(|l| l == g).unwrap_or(0)).collect();
    Ok((Dataset { texts, gold, labels, sentence: None }, unlabelled))
}

/// The data as the simulation saw it (distinct texts, in order): what the splits' indices point at.
fn write_dataset(out: &std::path::Path, dataset: &Dataset) -> anyhow::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(out.join("data.jsonl"))?);
    for (text, &g) in dataset.texts.iter().zip(&dataset.gold) {
        writeln!(file, "{}", serde_json::json!({ "text": text, "label": dataset.labels[g] }))?;
    }
    file.flush()?;
    Ok(())
}

/// Mean accuracy against labels, one mark per strategy, in the terminal; the x-axis runs to the most labels
/// any run reached (a pool smaller than the budget ends there).
fn plot(curves: &BTreeMap<String, Vec<Vec<Point>>>) -> String {
    const WIDTH: usize = 60;
    const HEIGHT: usize = 14;
    let marks = ['*', 'o', '+', 'x', '#', '@', '%'];
    let mut means: Vec<(String, Vec<(usize, f64)>)> = Vec::new();
    for (name, runs) in curves {
        let mut by_labels: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for run in runs {
            for p in run {
                by_labels.entry(p.labels).or_default().push(p.accuracy);
            }
        }
        means.push((
            name.clone(),
            by_labels.into_iter().map(|(l, a)| (l, a.iter().sum::<f64>() / a.len() as f64)).collect(),
        ));
    }
    let all: Vec<f64> = means.iter().flat_map(|(_, m)| m.iter().map(|p| p.1)).collect();
    if all.is_empty() {
        return String::new();
    }
    let most = means.iter().flat_map(|(_, m)| m.iter().map(|p| p.0)).max().unwrap_or(0).max(1);
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min).min(0.99);
    let hi = all.iter().copied().fold(0.0, f64::max).max(lo + 0.01);
    let mut grid = vec![vec![' '; WIDTH]; HEIGHT];
    for (s, (_, points)) in means.iter().enumerate() {
        for &(labels, accuracy) in points {
            let x = (labels * (WIDTH - 1) / most).min(WIDTH - 1);
            let y = (((accuracy - lo) / (hi - lo)) * (HEIGHT - 1) as f64).round() as usize;
            grid[HEIGHT - 1 - y.min(HEIGHT - 1)][x] = marks[s % marks.len()];
        }
    }
    let mut out = String::new();
    for (row, line) in grid.iter().enumerate() {
        let value = hi - (hi - lo) * row as f64 / (HEIGHT - 1) as f64;
        out.push_str(&format!("{value:>6.3} |{}\n", line.iter().collect::<String>()));
    }
    out.push_str(&format!("       +{}\n", "-".repeat(WIDTH)));
    out.push_str(&format!("        0 labels{:>width$}\n", most, width = WIDTH - 8));
    let legend: Vec<String> =
        means.iter().enumerate().map(|(s, (n, _))| format!("{} {n}", marks[s % marks.len()])).collect();
    out.push_str(&format!("        mean accuracy: {}\n", legend.join("   ")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mean_with_a_seed_that_missed_the_target_is_shown_as_a_lower_bound() {
        let all = summary_row("default", &[Some(40), Some(60)], 50.0, 0.9512, 100);
        assert_eq!(all.split_whitespace().collect::<Vec<_>>(), ["default", "50.0", "0.9512"]);
        let one = summary_row("random", &[Some(60), None], 80.0, 0.9, 100);
        assert!(one.contains("at least 80.0") && one.ends_with("(1 seed not there within 100 labels)"), "{one}");
        let two = summary_row("random", &[None, None], 100.0, 0.8, 100);
        assert!(two.ends_with("(2 seeds not there within 100 labels)"), "{two}");
    }

    #[test]
    fn the_plot_marks_each_strategys_mean_curve() {
        let point = |labels, accuracy| Point { labels, accuracy, macro_f1: accuracy };
        let mut curves = BTreeMap::new();
        curves.insert(
            "default".to_string(),
            vec![vec![point(10, 0.5), point(20, 0.9)], vec![point(10, 0.7), point(20, 0.9)]],
        );
        curves.insert("random".to_string(), vec![vec![point(10, 0.5), point(20, 0.7)]]);
        let drawn = plot(&curves);
        let rows: Vec<&str> = drawn.lines().collect();
        // The top row is the best mean (default's 0.9 at 20 labels, the right edge); the bottom the worst
        // (random's 0.5 at 10 labels, the middle column). Default's mean at 10 labels is 0.6, over seeds.
        let column = |row: &str, c: char| row.split_once('|').and_then(|(_, plot)| plot.find(c));
        assert!(rows[0].starts_with(" 0.900 |") && column(rows[0], '*') == Some(59), "{drawn}");
        assert!(rows[13].starts_with(" 0.500 |") && column(rows[13], 'o') == Some(29), "{drawn}");
        assert!(rows[10].starts_with(" 0.592 |") && column(rows[10], '*') == Some(29), "{drawn}");
        assert!(drawn.contains("mean accuracy: * default   o random"), "{drawn}");
        assert_eq!(drawn.matches('*').count(), 2 + 1, "two points and the legend: {drawn}");
    }

    #[test]
    fn the_plot_ends_where_the_runs_ended_not_at_the_budget() {
        let point = |labels, accuracy| Point { labels, accuracy, macro_f1: accuracy };
        let mut curves = BTreeMap::new();
        curves.insert("default".to_string(), vec![vec![point(10, 0.5), point(40, 0.9)]]);
        let drawn = plot(&curves);
        let axis = drawn.lines().find(|l| l.contains("0 labels")).unwrap_or_default();
        assert!(axis.trim_end().ends_with("40"), "the axis ends at 40 labels: {drawn}");
        let top = drawn.lines().next().unwrap_or_default();
        assert_eq!(
            top.split_once('|').and_then(|(_, p)| p.find('*')),
            Some(59),
            "40 labels at the right edge: {drawn}"
        );
    }
}
