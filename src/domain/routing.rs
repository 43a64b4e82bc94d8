//! Routing by confidence: which items the machine may accept itself, which go to experts, which to
//! annotators.
//!
//! With a calibrated model, an item whose confidence is at or above `auto_accept` may be accepted by the
//! machine when that is switched on, except a random share (`audit_share`, the same items every time)
//! still sent to people as an audit of the machine, and items predicted as a high-stakes label, which
//! always go to people. Below `expert`, items go to the expert queue. Everything else, and everything not
//! yet scored, goes to annotators.

use super::rng::Rng;

/// The project's routing settings, with labels as indices.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingRules {
    pub auto_accept: f32,
    pub auto_accept_enabled: bool,
    pub audit_share: f64,
    pub expert: f32,
    pub high_stakes: Vec<usize>,
    /// Decides, with the item, which items are audited.
    pub seed: u64,
}

/// Where an item goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The machine accepts the prediction.
    Machine,
    /// Could be accepted by the machine, but a person checks it.
    Audit,
    /// The expert queue.
    Expert,
    /// The annotators' queue.
    People,
}

/// Routes one item given the current model's confidence and predicted labels (`None` when unscored).
pub fn route(item_id: i64, prediction: Option<(f32, &[usize])>, rules: &RoutingRules) -> Route {
    let Some((confidence, predicted)) = prediction else { return Route::People };
    if confidence < rules.expert {
        return Route::Expert;
    }
    if !rules.auto_accept_enabled || confidence < rules.auto_accept {
        return Route::People;
    }
    if predicted.iter().any(|l| rules.high_stakes.contains(l)) {
        return Route::People;
    }
    if audited(item_id, rules) { Route::Audit } else { Route::Machine }
}

/// Whether the item is in the audit share: a fixed draw per item, so re-routing never flips it.
fn audited(item_id: i64, rules: &RoutingRules) -> bool {
    Rng::new(rules.seed ^ (item_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).unit() < rules.audit_share
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RoutingRules {
        RoutingRules {
            auto_accept: 0.95,
            auto_accept_enabled: true,
            audit_share: 0.1,
            expert: 0.3,
            high_stakes: vec![2],
            seed: 7,
        }
    }

    #[test]
    fn confidence_decides_the_route() {
        let r = rules();
        assert_eq!(route(1, None, &r), Route::People);
        assert_eq!(route(1, Some((0.2, &[0])), &r), Route::Expert);
        assert_eq!(route(1, Some((0.6, &[0])), &r), Route::People);
        assert!(matches!(route(1, Some((0.99, &[0])), &r), Route::Machine | Route::Audit));
        assert_eq!(route(1, Some((0.99, &[2])), &r), Route::People, "high stakes always go to people");
        let off = RoutingRules { auto_accept_enabled: false, ..r };
        assert_eq!(route(1, Some((0.99, &[0])), &off), Route::People);
    }

    #[test]
    fn about_the_audit_share_is_audited_and_always_the_same_items() {
        let r = rules();
        let routes: Vec<Route> = (0..10_000).map(|i| route(i, Some((0.99, &[0])), &r)).collect();
        let audited = routes.iter().filter(|&&x| x == Route::Audit).count();
        assert!((800..1200).contains(&audited), "{audited}");
        let again: Vec<Route> = (0..10_000).map(|i| route(i, Some((0.99, &[0])), &r)).collect();
        assert_eq!(routes, again);
    }
}
