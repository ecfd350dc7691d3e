//! A small learned model for the act classifier: multinomial logistic regression over sparse
//! binary features (words, word pairs, character trigrams, which rules fired, context), fitted
//! by SGD. A leaf module: it knows features as strings and classes as acts, nothing about
//! rules or text. Trained on the coach thread at startup (well under a second) or per fold by
//! `ringside eval acts --by-domain`.

use std::collections::HashMap;

use crate::event::Act;

/// Fitting parameters. The defaults were chosen by leave-one-domain-out evaluation.
#[derive(Debug, Clone, Copy)]
pub struct TrainParams {
    pub epochs: usize,
    /// Initial learning rate; decays as `lr / (1 + epoch / 4)`.
    pub lr: f32,
    /// L2 penalty applied to the weights an example touches.
    pub l2: f32,
    /// Seed of the example order.
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            epochs: 12,
            lr: 0.3,
            l2: 1e-4,
            seed: 7,
        }
    }
}

/// A fitted linear model over one speaker's acts.
#[derive(Debug, Clone)]
pub struct LinearModel<C = Act> {
    classes: Vec<C>,
    index: HashMap<String, u32>,
    names: Vec<String>,
    /// `weights[f * classes + c]`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl<C: Copy + PartialEq> LinearModel<C> {
    /// Fits the model; `examples` are (features, gold class), classes outside `classes` are
    /// skipped.
    pub fn train(classes: &[C], examples: &[(Vec<String>, C)], p: TrainParams) -> LinearModel<C> {
        let k = classes.len();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        let mut data: Vec<(Vec<u32>, usize)> = Vec::with_capacity(examples.len());
        for (feats, act) in examples {
            let Some(y) = classes.iter().position(|c| c == act) else {
                continue;
            };
            let mut ids: Vec<u32> = feats
                .iter()
                .map(|f| {
                    *index.entry(f.clone()).or_insert_with(|| {
                        names.push(f.clone());
                        (names.len() - 1) as u32
                    })
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            data.push((ids, y));
        }
        let mut weights = vec![0f32; names.len() * k];
        let mut bias = vec![0f32; k];
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut rng = p.seed.max(1);
        let mut probs = vec![0f32; k];
        for epoch in 0..p.epochs {
            // Fisher-Yates with xorshift: a fixed order per seed, no dependency.
            for i in (1..order.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                order.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            let lr = p.lr / (1.0 + epoch as f32 / 4.0);
            for &i in &order {
                let (ids, y) = &data[i];
                logits(&weights, &bias, k, ids, &mut probs);
                softmax(&mut probs);
                for (c, (b, pc)) in bias.iter_mut().zip(&probs).enumerate() {
                    let g = pc - if c == *y { 1.0 } else { 0.0 };
                    *b -= lr * g;
                    for &f in ids {
                        let w = &mut weights[f as usize * k + c];
                        *w -= lr * (g + p.l2 * *w);
                    }
                }
            }
        }
        LinearModel {
            classes: classes.to_vec(),
            index,
            names,
            weights,
            bias,
        }
    }

    pub fn classes(&self) -> &[C] {
        &self.classes
    }

    /// Number of distinct features seen in training.
    pub fn n_features(&self) -> usize {
        self.names.len()
    }

    /// Class probabilities for `feats`, in the order of [`LinearModel::classes`].
    pub fn predict(&self, feats: &[String]) -> Vec<f32> {
        let ids = self.ids(feats);
        let mut p = vec![0f32; self.classes.len()];
        logits(&self.weights, &self.bias, self.classes.len(), &ids, &mut p);
        softmax(&mut p);
        p
    }

    /// The features that pushed `act` up the most against the runner-up `vs`, largest first.
    pub fn top_features(&self, feats: &[String], act: C, vs: C, n: usize) -> Vec<(&str, f32)> {
        let k = self.classes.len();
        let (Some(a), Some(b)) = (
            self.classes.iter().position(|c| *c == act),
            self.classes.iter().position(|c| *c == vs),
        ) else {
            return Vec::new();
        };
        let mut v: Vec<(&str, f32)> = self
            .ids(feats)
            .into_iter()
            .map(|f| {
                let base = f as usize * k;
                (
                    self.names[f as usize].as_str(),
                    self.weights[base + a] - self.weights[base + b],
                )
            })
            .filter(|(_, d)| *d > 0.0)
            .collect();
        v.sort_by(|x, y| y.1.total_cmp(&x.1));
        v.truncate(n);
        v
    }

    fn ids(&self, feats: &[String]) -> Vec<u32> {
        let mut ids: Vec<u32> = feats
            .iter()
            .filter_map(|f| self.index.get(f).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

fn logits(weights: &[f32], bias: &[f32], k: usize, ids: &[u32], out: &mut [f32]) {
    out.copy_from_slice(bias);
    for &f in ids {
        let row = &weights[f as usize * k..f as usize * k + k];
        for (o, w) in out.iter_mut().zip(row) {
            *o += w;
        }
    }
}

fn softmax(v: &mut [f32]) {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for x in v.iter_mut() {
        *x = (*x - m).exp();
        s += *x;
    }
    for x in v.iter_mut() {
        *x /= s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_toy_problem() {
        let f = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let ex = vec![
            (f("w:yes"), Act::ConfirmationYes),
            (f("w:yeah w:sure"), Act::ConfirmationYes),
            (f("w:no"), Act::No),
            (f("w:nope w:no"), Act::No),
        ];
        let m = LinearModel::train(
            &[Act::ConfirmationYes, Act::No],
            &ex,
            TrainParams::default(),
        );
        let p = m.predict(&f("w:no"));
        assert!(p[1] > 0.8, "{p:?}");
        let top = m.top_features(&f("w:no w:unseen"), Act::No, Act::ConfirmationYes, 3);
        assert_eq!(top[0].0, "w:no");
    }
}
