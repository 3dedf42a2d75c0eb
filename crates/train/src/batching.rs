//! Batches for contrastive training: a seeded shuffle per epoch, batches with
//! no skill twice (an in-batch negative must never be the anchor's own
//! skill), and the augmentation of Decorte et al. 2023: with probability `p`
//! a random other sentence is glued before or after the anchor, so the model
//! learns that a sentence can carry text unrelated to its skill.
//!
//! Everything is a pure function of `(seed, epoch)` or `(seed, step)`, so a
//! resumed run sees exactly the batches an uninterrupted run would.

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What the sampler needs of a training example.
#[derive(Clone, Debug)]
pub struct Example {
    pub text: String,
    /// Skill index in the taxonomy.
    pub skill: usize,
}

fn rng_for(seed: u64, stream: u64, n: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r.set_word_pos(u128::from(n) * 16);
    r
}

/// The batches of one epoch: indices into `examples`. A batch never holds the
/// same skill or the same anchor text twice; an example that would collide is
/// carried to the next batch. The final batch may be smaller; batches under 2
/// examples (no negatives) are dropped.
pub fn epoch_batches(
    examples: &[Example],
    batch_size: usize,
    seed: u64,
    epoch: u64,
) -> Vec<Vec<usize>> {
    let batch_size = batch_size.max(2);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.shuffle(&mut rng_for(seed, 1, epoch));
    let mut batches = Vec::new();
    let mut pending: std::collections::VecDeque<usize> = order.into();
    while !pending.is_empty() {
        let mut batch = Vec::with_capacity(batch_size);
        let mut skills = HashSet::new();
        let mut texts = HashSet::new();
        let mut carried = Vec::new();
        // Look ahead a bounded distance so a run of one skill cannot stall.
        let mut looked = 0;
        while batch.len() < batch_size && looked < batch_size * 8 {
            let Some(i) = pending.pop_front() else { break };
            looked += 1;
            let e = &examples[i];
            if skills.contains(&e.skill) || texts.contains(e.text.as_str()) {
                carried.push(i);
            } else {
                skills.insert(e.skill);
                texts.insert(e.text.as_str());
                batch.push(i);
            }
        }
        for i in carried.into_iter().rev() {
            pending.push_front(i);
        }
        if batch.len() >= 2 {
            batches.push(batch);
        } else if batch.is_empty() {
            break;
        } else if pending.len() < batch_size * 8 {
            // Only one distinct skill is left: no negatives possible.
            break;
        }
    }
    batches
}

/// The augmentation: for each anchor, with probability `p`, glue one sentence
/// drawn from `pool` before or after it (50/50). Deterministic in `(seed, step)`.
pub fn augment(anchors: &[String], pool: &[String], p: f64, seed: u64, step: u64) -> Vec<String> {
    if p <= 0.0 || pool.is_empty() {
        return anchors.to_vec();
    }
    let mut rng = rng_for(seed, 2, step);
    anchors
        .iter()
        .map(|a| {
            if !rng.random_bool(p.min(1.0)) {
                return a.clone();
            }
            let mut extra = &pool[rng.random_range(0..pool.len())];
            if extra == a {
                extra = &pool[(rng.random_range(0..pool.len()) + 1) % pool.len()];
            }
            if rng.random_bool(0.5) {
                format!("{extra} {a}")
            } else {
                format!("{a} {extra}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(skills: &[usize]) -> Vec<Example> {
        skills
            .iter()
            .enumerate()
            .map(|(i, &s)| Example {
                text: format!("sentence {i}"),
                skill: s,
            })
            .collect()
    }

    #[test]
    fn batches_have_distinct_skills_and_cover_everything_they_can() {
        // Skill 0 is over-represented: 30 of 100 examples.
        let skills: Vec<usize> = (0..100).map(|i| if i % 10 < 3 { 0 } else { i }).collect();
        let ex = examples(&skills);
        let batches = epoch_batches(&ex, 8, 7, 0);
        let mut seen = HashSet::new();
        for b in &batches {
            assert!(b.len() >= 2 && b.len() <= 8);
            let s: HashSet<usize> = b.iter().map(|&i| ex[i].skill).collect();
            assert_eq!(s.len(), b.len(), "duplicate skill in {b:?}");
            for &i in b {
                assert!(seen.insert(i), "example {i} twice in one epoch");
            }
        }
        // All 70 distinct-skill examples are used; skill-0 examples are spread
        // one per batch, so some may be left over at the end.
        assert!(
            seen.len() >= 70 + batches.len().min(30) - 1,
            "{}",
            seen.len()
        );
    }

    #[test]
    fn batches_are_deterministic_per_seed_and_epoch() {
        let ex = examples(&(0..50).collect::<Vec<_>>());
        assert_eq!(epoch_batches(&ex, 8, 1, 3), epoch_batches(&ex, 8, 1, 3));
        assert_ne!(epoch_batches(&ex, 8, 1, 3), epoch_batches(&ex, 8, 1, 4));
        assert_ne!(epoch_batches(&ex, 8, 1, 3), epoch_batches(&ex, 8, 2, 3));
    }

    #[test]
    fn duplicate_texts_never_share_a_batch() {
        let mut ex = examples(&(0..40).collect::<Vec<_>>());
        for e in ex.iter_mut().take(20) {
            e.text = "same".into();
        }
        for b in epoch_batches(&ex, 8, 3, 0) {
            assert!(b.iter().filter(|&&i| ex[i].text == "same").count() <= 1);
        }
    }

    #[test]
    fn augmentation_glues_a_pool_sentence_before_or_after() {
        let anchors: Vec<String> = (0..200).map(|i| format!("anchor{i}")).collect();
        let pool = vec!["EXTRA ONE.".to_string(), "EXTRA TWO.".to_string()];
        let out = augment(&anchors, &pool, 0.5, 9, 12);
        assert_eq!(out, augment(&anchors, &pool, 0.5, 9, 12));
        let (mut before, mut after, mut plain) = (0, 0, 0);
        for (a, o) in anchors.iter().zip(&out) {
            if o == a {
                plain += 1;
            } else if o.starts_with("EXTRA") && o.ends_with(a.as_str()) {
                before += 1;
            } else if o.starts_with(a.as_str()) && o.ends_with('.') {
                after += 1;
            } else {
                panic!("unexpected {o}");
            }
        }
        assert_eq!(before + after + plain, 200);
        for n in [before, after] {
            assert!((25..=75).contains(&n), "{before} {after} {plain}");
        }
        assert!((70..=130).contains(&plain));
        assert_eq!(augment(&anchors, &pool, 0.0, 9, 12), anchors);
    }
}
