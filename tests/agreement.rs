//! margin's Krippendorff's alpha against the reference implementation (the PyPI `krippendorff` package,
//! installed by `scripts/setup --tests` into vendor/python) on generated data with missing values: any
//! number of coders, units and categories, some units labelled by one coder or none.

use std::io::Write;
use std::process::{Command, Stdio};

use margin::domain::agreement::krippendorff_alpha;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// A small deterministic generator (a 64-bit LCG), so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Coders by units; `None` is a missing value.
type Matrix = Vec<Vec<Option<u64>>>;

fn generated(seed: u64) -> Matrix {
    let mut rng = Lcg(seed);
    let (coders, units, categories) = (2 + rng.below(5), 3 + rng.below(60), 2 + rng.below(5));
    let missing = rng.below(60); // percent
    // Coders mostly agree with a unit's true value, so alphas spread over the whole range.
    let truth: Vec<u64> = (0..units).map(|_| rng.below(categories)).collect();
    let noise = rng.below(100);
    (0..coders)
        .map(|_| {
            truth
                .iter()
                .map(|&t| {
                    if rng.below(100) < missing {
                        None
                    } else if rng.below(100) < noise {
                        Some(rng.below(categories))
                    } else {
                        Some(t)
                    }
                })
                .collect()
        })
        .collect()
}

fn reference_alphas(matrices: &[Matrix]) -> Vec<Option<f64>> {
    let script = r#"
import json, math, sys, warnings
import numpy as np
import krippendorff
warnings.simplefilter("ignore")
out = []
for m in json.load(sys.stdin):
    data = np.array([[np.nan if v is None else v for v in row] for row in m], dtype=float)
    try:
        a = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        out.append(None if a is None or math.isnan(a) else float(a))
    except Exception:
        out.append(None)
print(json.dumps(out))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .env("PYTHONPATH", format!("{REPO}/vendor/python"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let input = serde_json::to_vec(matrices).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the reference failed (run scripts/setup --tests): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reference's JSON")
}

#[test]
fn alpha_matches_the_reference_implementation_on_generated_data_with_missing_values() {
    let matrices: Vec<Matrix> = (0..200).map(|seed| generated(seed * 7919 + 1)).collect();
    let theirs = reference_alphas(&matrices);
    let mut compared = 0;
    for (seed, (m, reference)) in matrices.iter().zip(&theirs).enumerate() {
        // margin's units: per unit, the values its coders gave.
        let units: Vec<Vec<u64>> = (0..m[0].len()).map(|u| m.iter().filter_map(|coder| coder[u]).collect()).collect();
        let ours = krippendorff_alpha(&units);
        match (ours, reference) {
            (Some(a), Some(b)) => {
                assert!((a - b).abs() < 1e-9, "data set {seed}: margin {a}, reference {b}");
                compared += 1;
            }
            (None, None) => {}
            _ => panic!("data set {seed}: margin {ours:?}, reference {reference:?}"),
        }
    }
    assert!(compared >= 150, "most data sets have an alpha: {compared}");
    let spread: Vec<f64> = theirs.iter().flatten().copied().collect();
    assert!(spread.iter().any(|&a| a < 0.2) && spread.iter().any(|&a| a > 0.8), "alphas over the range: {spread:?}");
}
