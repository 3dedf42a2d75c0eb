//! AdamW with a linear warm-up/decay schedule and global-norm gradient
//! clipping. Candle's own AdamW keeps its moments private; ours are named
//! tensors, so a checkpoint can save them and a resumed run continues exactly.

use std::collections::BTreeMap;
use std::path::Path;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

pub struct AdamW {
    vars: Vec<(String, Var)>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    pub step: usize,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl AdamW {
    pub fn new(vars: Vec<(String, Var)>, weight_decay: f64) -> Result<Self> {
        let m = vars
            .iter()
            .map(|(_, v)| v.zeros_like())
            .collect::<Result<Vec<_>>>()?;
        let v = m.clone();
        Ok(AdamW {
            vars,
            m,
            v,
            step: 0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-6,
            weight_decay,
        })
    }

    /// The global L2 norm of the gradients of the optimised variables.
    pub fn grad_norm(&self, grads: &GradStore) -> Result<f64> {
        let mut sq = 0f64;
        for (_, var) in &self.vars {
            if let Some(g) = grads.get(var) {
                sq += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
            }
        }
        Ok(sq.sqrt())
    }

    /// One update at learning rate `lr`; gradients are scaled by `grad_scale`
    /// first (clipping). Biases and LayerNorm parameters get no weight decay.
    pub fn step(&mut self, grads: &GradStore, lr: f64, grad_scale: f64) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let bc1 = 1.0 - self.beta1.powi(t);
        let bc2 = 1.0 - self.beta2.powi(t);
        for (i, (name, var)) in self.vars.iter().enumerate() {
            let Some(g) = grads.get(var) else { continue };
            let g = (g * grad_scale)?;
            let m = ((&self.m[i] * self.beta1)? + (&g * (1.0 - self.beta1))?)?;
            let v = ((&self.v[i] * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let update = ((&m / bc1)? / ((&v / bc2)?.sqrt()? + self.eps)?)?;
            let decay = if name.ends_with(".bias") || name.contains("LayerNorm") {
                0.0
            } else {
                self.weight_decay
            };
            let w = var.as_tensor();
            let next = ((w * (1.0 - lr * decay))? - (update * lr)?)?;
            var.set(&next)?;
            self.m[i] = m;
            self.v[i] = v;
        }
        Ok(())
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let mut map = BTreeMap::new();
        for (i, (name, _)) in self.vars.iter().enumerate() {
            map.insert(format!("m.{name}"), self.m[i].clone());
            map.insert(format!("v.{name}"), self.v[i].clone());
        }
        map.insert(
            "step".into(),
            Tensor::new(&[self.step as u32], self.m[0].device())?,
        );
        candle_core::safetensors::save(&map.into_iter().collect(), path)
    }

    pub fn load(&mut self, path: &Path) -> Result<()> {
        let device = self
            .m
            .first()
            .map(|t| t.device().clone())
            .unwrap_or(candle_core::Device::Cpu);
        let map = candle_core::safetensors::load(path, &device)?;
        let get = |k: &str| {
            map.get(k)
                .cloned()
                .ok_or_else(|| candle_core::Error::Msg(format!("optimizer state lacks {k}")))
        };
        for (i, (name, _)) in self.vars.iter().enumerate() {
            self.m[i] = get(&format!("m.{name}"))?;
            self.v[i] = get(&format!("v.{name}"))?;
        }
        self.step = get("step")?.to_vec1::<u32>()?[0] as usize;
        Ok(())
    }
}

/// Linear warm-up to `peak` over `warmup` steps, then linear decay to 0 at `total`.
pub fn linear_schedule(step: usize, warmup: usize, total: usize, peak: f64) -> f64 {
    if step < warmup {
        peak * (step + 1) as f64 / warmup as f64
    } else if total <= warmup {
        peak
    } else {
        peak * (total.saturating_sub(step)) as f64 / (total - warmup) as f64
    }
}

/// The factor that brings a gradient of norm `norm` down to `max_norm`.
pub fn clip_scale(norm: f64, max_norm: f64) -> f64 {
    if max_norm > 0.0 && norm > max_norm {
        max_norm / (norm + 1e-6)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn schedule_warms_up_then_decays_to_zero() {
        assert!((linear_schedule(0, 10, 100, 1.0) - 0.1).abs() < 1e-12);
        assert!((linear_schedule(9, 10, 100, 1.0) - 1.0).abs() < 1e-12);
        assert!((linear_schedule(55, 10, 100, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(linear_schedule(100, 10, 100, 1.0), 0.0);
        assert_eq!(clip_scale(0.5, 1.0), 1.0);
        assert!((clip_scale(4.0, 1.0) - 0.25).abs() < 1e-6);
    }

    #[test]
    fn adamw_minimises_a_quadratic_and_resumes_exactly() -> Result<()> {
        let dev = Device::Cpu;
        let run = |steps: usize, resume_at: Option<usize>| -> Result<Vec<f32>> {
            let dir = tempfile::tempdir().unwrap();
            let mk = || -> Result<(Var, AdamW)> {
                let w = Var::from_slice(&[3f32, -2.0], 2, &dev)?;
                let opt = AdamW::new(vec![("w.weight".into(), w.clone())], 0.0)?;
                Ok((w, opt))
            };
            let (mut w, mut opt) = mk()?;
            for s in 0..steps {
                if Some(s) == resume_at {
                    opt.save(&dir.path().join("opt.safetensors"))?;
                    let saved = w.as_tensor().copy()?;
                    let (w2, mut opt2) = mk()?;
                    w2.set(&saved)?;
                    opt2.load(&dir.path().join("opt.safetensors"))?;
                    w = w2;
                    opt = opt2;
                }
                let loss = w.as_tensor().sqr()?.sum_all()?;
                let grads = loss.backward()?;
                opt.step(&grads, 0.1, 1.0)?;
            }
            w.as_tensor().to_vec1::<f32>()
        };
        let straight = run(60, None)?;
        assert!(straight.iter().all(|x| x.abs() < 0.5), "{straight:?}");
        assert_eq!(straight, run(60, Some(23))?);
        Ok(())
    }
}
