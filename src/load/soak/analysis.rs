//! The arithmetic of the soak: a quantile from histogram bucket deltas,
//! the warm-up, and the RSS slope.

use std::time::Duration;

/// The `q` quantile of the observations between two scrapes of one
/// Prometheus histogram, from its cumulative buckets `(le, count)` (in `le`
/// order, the last `+Inf`), interpolated linearly within the bucket as
/// Prometheus's `histogram_quantile` does. `None` with no observation in
/// between.
///
/// ```
/// use parlor::load::soak::quantile_between;
/// let before = [(0.001, 10.0), (0.01, 10.0), (f64::INFINITY, 10.0)];
/// let after = [(0.001, 10.0), (0.01, 110.0), (f64::INFINITY, 110.0)];
/// // All 100 new ticks took 1 to 10 ms: the 99th percentile is 9.91 ms.
/// let p99 = quantile_between(&before, &after, 0.99).unwrap();
/// assert!((p99 - 0.00991).abs() < 1e-9);
/// ```
pub fn quantile_between(before: &[(f64, f64)], after: &[(f64, f64)], q: f64) -> Option<f64> {
    let deltas: Vec<(f64, f64)> = after
        .iter()
        .map(|&(le, count)| {
            let earlier = before.iter().find(|(b, _)| *b == le).map_or(0.0, |(_, c)| *c);
            (le, (count - earlier).max(0.0))
        })
        .collect();
    let total = deltas.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut lower = (0.0, 0.0);
    for &(le, cumulative) in &deltas {
        if cumulative >= rank {
            if le.is_infinite() {
                // Beyond the last finite bucket: its bound is all we know.
                return Some(lower.0);
            }
            let within = cumulative - lower.1;
            let fraction = if within > 0.0 { (rank - lower.1) / within } else { 1.0 };
            return Some(lower.0 + (le - lower.0) * fraction);
        }
        lower = (le, cumulative);
    }
    None
}

/// The warm-up left out of the RSS slope: the larger of a tenth of the
/// run and 5 minutes, and never more than half the run. Allocator arenas,
/// the ledger's page cache and every pool fill during it.
///
/// ```
/// use std::time::Duration;
/// use parlor::load::soak::warm_up;
/// assert_eq!(warm_up(Duration::from_secs(7200)), Duration::from_secs(720));
/// assert_eq!(warm_up(Duration::from_secs(600)), Duration::from_secs(300));
/// assert_eq!(warm_up(Duration::from_secs(80)), Duration::from_secs(40));
/// ```
pub fn warm_up(run: Duration) -> Duration {
    (run / 10).max(Duration::from_secs(300)).min(run / 2)
}

/// The least-squares slope of `points` (seconds, value) as a percentage of
/// the values' mean per hour; `None` with fewer than 3 points or no spread
/// in time.
///
/// ```
/// use parlor::load::soak::slope_percent_per_hour;
/// // 100 MB growing 1 MB an hour, sampled every 10 minutes for 2 hours.
/// let points: Vec<(f64, f64)> = (0..=12).map(|i| (600.0 * i as f64, 100.0 + i as f64 / 6.0)).collect();
/// let slope = slope_percent_per_hour(&points).unwrap();
/// assert!((slope - 1.0 / 101.0 * 100.0).abs() < 1e-9);
/// ```
pub fn slope_percent_per_hour(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_v = points.iter().map(|p| p.1).sum::<f64>() / n;
    let spread: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    if spread <= 0.0 || mean_v <= 0.0 {
        return None;
    }
    let covariance: f64 = points.iter().map(|p| (p.0 - mean_t) * (p.1 - mean_v)).sum();
    let per_second = covariance / spread;
    Some(per_second * 3600.0 / mean_v * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quantile_past_the_last_finite_bucket_is_its_bound() {
        let before = [(0.01, 0.0), (f64::INFINITY, 0.0)];
        let after = [(0.01, 50.0), (f64::INFINITY, 100.0)];
        assert_eq!(quantile_between(&before, &after, 0.99), Some(0.01));
    }

    #[test]
    fn no_observation_no_quantile() {
        let same = [(0.01, 5.0), (f64::INFINITY, 5.0)];
        assert_eq!(quantile_between(&same, &same, 0.99), None);
        assert_eq!(quantile_between(&[], &[], 0.99), None);
    }

    #[test]
    fn a_flat_series_has_no_slope() {
        let points: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 50.0)).collect();
        assert_eq!(slope_percent_per_hour(&points), Some(0.0));
        assert_eq!(slope_percent_per_hour(&points[..2]), None);
    }
}
