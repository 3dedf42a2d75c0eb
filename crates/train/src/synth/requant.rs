//! `skillmark-train requant`: rewrites a GGUF with its tensors of some
//! quantization types re-quantized to another (e.g. Qwen2.5-0.5B's Q5_0
//! tensors, which its 896-wide rows force instead of K-quants, to Q8_0,
//! whose batched CPU kernels are faster). Metadata is copied unchanged.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::Device;

#[derive(clap::Args, Debug)]
pub struct RequantArgs {
    /// The GGUF to read.
    #[arg(long)]
    pub model: PathBuf,
    /// The GGUF to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Tensor types to convert (ggml names, e.g. q5_0).
    #[arg(long, value_delimiter = ',', default_value = "q5_0")]
    pub from: Vec<String>,
    /// The type to convert them to (q8_0, q4_0, q5_0, …).
    #[arg(long, default_value = "q8_0")]
    pub to: String,
}

fn dtype(name: &str) -> Result<GgmlDType> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "f32" => GgmlDType::F32,
        "f16" => GgmlDType::F16,
        "q4_0" => GgmlDType::Q4_0,
        "q4_1" => GgmlDType::Q4_1,
        "q5_0" => GgmlDType::Q5_0,
        "q5_1" => GgmlDType::Q5_1,
        "q8_0" => GgmlDType::Q8_0,
        "q4k" | "q4_k" => GgmlDType::Q4K,
        "q5k" | "q5_k" => GgmlDType::Q5K,
        "q6k" | "q6_k" => GgmlDType::Q6K,
        "q8k" | "q8_k" => GgmlDType::Q8K,
        other => bail!("unknown ggml type {other}"),
    })
}

pub fn run(args: RequantArgs) -> Result<()> {
    let from: Vec<GgmlDType> = args.from.iter().map(|n| dtype(n)).collect::<Result<_>>()?;
    let to = dtype(&args.to)?;
    let mut file = std::fs::File::open(&args.model)
        .with_context(|| format!("opening {}", args.model.display()))?;
    let content = gguf_file::Content::read(&mut file)
        .with_context(|| format!("reading {}", args.model.display()))?;
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(names.len());
    let mut converted = 0;
    for name in names {
        let t = content.tensor(&mut file, name, &Device::Cpu)?;
        let block = to.block_size();
        let row = *t.shape().dims().last().unwrap_or(&0);
        let t = if from.contains(&t.dtype()) && row % block == 0 {
            converted += 1;
            QTensor::quantize(&t.dequantize(&Device::Cpu)?, to)?
        } else {
            t
        };
        tensors.push((name.clone(), t));
    }
    let meta: Vec<(&str, &gguf_file::Value)> = content
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&args.out)
            .with_context(|| format!("creating {}", args.out.display()))?,
    );
    gguf_file::write(&mut out, &meta, &refs)?;
    eprintln!(
        "requant: {converted} of {} tensors to {to:?} → {}",
        tensors.len(),
        args.out.display()
    );
    Ok(())
}
