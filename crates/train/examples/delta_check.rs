//! Experiment: a delta-coded web tagger's reconstructed layers vs the full tagger's.
use skillmark_model::TensorStore;
fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let full = TensorStore::from_gguf(&std::fs::read(&a[1])?)?;
    let web = TensorStore::from_gguf(&std::fs::read(&a[2])?)?;
    let enc = TensorStore::from_gguf(&std::fs::read(&a[3])?)?;
    let mut names: Vec<_> = full.tensors.keys().cloned().collect();
    names.sort();
    for n in names {
        let f = full.tensors[&n].to_f32();
        let mut w = web.tensors[&n].to_f32();
        if full.tensors[&n].shape.len() == 2 && n.starts_with("encoder.layer") {
            let e = enc.tensors[&n].to_f32();
            w.iter_mut().zip(&e).for_each(|(x, y)| *x += y);
        }
        let err: f64 = f
            .iter()
            .zip(&w)
            .map(|(x, y)| ((x - y) as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        let nf: f64 = f.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
        println!("{n:60} rel err {:.4}", err / nf);
    }
    Ok(())
}
