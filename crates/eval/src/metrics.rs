//! Ranking metrics as defined by the skill-extraction papers (see
//! `../shared/data/README.md`): RP@K and MRR over sentences, in percent.

use serde::Serialize;

use skillmark::index::rank_of;

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RankMetrics {
    /// R-Precision at 5, percent.
    pub rp5: f64,
    /// R-Precision at 10, percent.
    pub rp10: f64,
    /// Mean reciprocal rank of the first gold skill, percent.
    pub mrr: f64,
    pub sentences: usize,
}

/// Per sentence: `scores` over all skills and the gold skill indices.
/// Sentences without gold skills are skipped.
pub fn rank_metrics(scores: &[Vec<f32>], gold: &[Vec<usize>]) -> RankMetrics {
    assert_eq!(scores.len(), gold.len());
    let mut m = RankMetrics::default();
    for (s, g) in scores.iter().zip(gold) {
        if g.is_empty() {
            continue;
        }
        let ranks: Vec<usize> = g.iter().map(|&t| rank_of(s, t)).collect();
        m.rp5 += rp_at(&ranks, 5);
        m.rp10 += rp_at(&ranks, 10);
        m.mrr += 1.0 / *ranks.iter().min().unwrap() as f64;
        m.sentences += 1;
    }
    if m.sentences > 0 {
        let n = m.sentences as f64;
        m.rp5 *= 100.0 / n;
        m.rp10 *= 100.0 / n;
        m.mrr *= 100.0 / n;
    }
    m
}

/// Gold labels within the top `k`, divided by min(k, number of gold labels).
pub fn rp_at(gold_ranks: &[usize], k: usize) -> f64 {
    let hits = gold_ranks.iter().filter(|&&r| r <= k).count();
    hits as f64 / k.min(gold_ranks.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example() {
        // 12 skills; sentence A's gold ranks 1st and 7th, sentence B's gold ranks 3rd.
        let mut a = vec![0.0f32; 12];
        a[4] = 0.9; // rank 1
        for (i, v) in [0, 1, 2, 3, 5].iter().zip([0.8, 0.7, 0.6, 0.5, 0.4]) {
            a[*i] = v;
        }
        a[6] = 0.3; // rank 7
        let mut b = vec![0.0f32; 12];
        b[0] = 0.9;
        b[1] = 0.8;
        b[2] = 0.7; // rank 3
        let m = rank_metrics(&[a, b, vec![0.0; 12]], &[vec![4, 6], vec![2], vec![]]);
        assert_eq!(m.sentences, 2);
        // RP@5: A 1/2, B 1/1 -> 75; RP@10: A 2/2, B 1 -> 100; MRR: (1 + 1/3)/2.
        assert!((m.rp5 - 75.0).abs() < 1e-9);
        assert!((m.rp10 - 100.0).abs() < 1e-9);
        assert!((m.mrr - 66.666_666_666).abs() < 1e-6);
    }

    #[test]
    fn rp_divides_by_min_of_k_and_gold() {
        assert_eq!(rp_at(&[1, 2, 3, 4, 5, 6, 7], 5), 1.0);
        assert_eq!(rp_at(&[1, 20], 5), 0.5);
    }
}
