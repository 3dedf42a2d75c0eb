//! Experiment: how far the tagger's layers moved from the encoder's.
use skillmark_model::TensorStore;
fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let enc = TensorStore::from_gguf(&std::fs::read(&a[1])?)?;
    let tag = TensorStore::from_gguf(&std::fs::read(&a[2])?)?;
    let mut names: Vec<_> = tag.tensors.keys().cloned().collect();
    names.sort();
    for n in names {
        let t = tag.tensors[&n].to_f32();
        let Some(e) = enc.tensors.get(&n) else {
            println!("{n}: tagger only ({} values)", t.len());
            continue;
        };
        let e = e.to_f32();
        let dn: f64 = t
            .iter()
            .zip(&e)
            .map(|(x, y)| ((x - y) as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        let en: f64 = e.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
        let dmax = t
            .iter()
            .zip(&e)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        let emax = e.iter().map(|x| x.abs()).fold(0f32, f32::max);
        println!(
            "{n:60} {:?} |d|/|w| {:.4}  max|d| {dmax:.4} max|w| {emax:.4}",
            tag.tensors[&n].shape,
            dn / en
        );
    }
    Ok(())
}
