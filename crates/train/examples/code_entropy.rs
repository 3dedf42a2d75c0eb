//! Experiment: order-0 entropy of the int8 codes of every q8_0 tensor in a GGUF.
use skillmark_model::weights::TensorData;
use skillmark_model::TensorStore;
fn main() -> anyhow::Result<()> {
    for p in std::env::args().skip(1) {
        let s = TensorStore::from_gguf(&std::fs::read(&p)?)?;
        let mut names: Vec<_> = s.tensors.keys().cloned().collect();
        names.sort();
        let (mut bits, mut n) = (0f64, 0usize);
        let mut emb = 0f64;
        let mut dump = Vec::new();
        for name in names {
            if let TensorData::Q8(m) = &s.tensors[&name].data {
                let mut h = [0usize; 256];
                for r in 0..m.rows {
                    for &c in m.row(r).0 {
                        h[c as u8 as usize] += 1;
                        dump.push(c as u8);
                    }
                }
                let t: usize = h.iter().sum();
                let e: f64 = h
                    .iter()
                    .filter(|&&c| c > 0)
                    .map(|&c| {
                        let p = c as f64 / t as f64;
                        -p * p.log2()
                    })
                    .sum();
                bits += e * t as f64;
                n += t;
                if name.contains("word_embeddings") {
                    emb = e * t as f64 / 8e6;
                }
            }
        }
        if let Ok(d) = std::env::var("DUMP") {
            std::fs::write(format!("{d}/{}.codes", p.replace('/', "_")), &dump)?;
        }
        println!(
            "{p}: {n} codes, entropy {:.3} bits/value = {:.3} MB (word embeddings {emb:.3} MB)",
            bits / n as f64,
            bits / 8e6
        );
    }
    Ok(())
}
