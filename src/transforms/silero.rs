//! Silero VAD (v6, 16 kHz branch) in pure Rust: 512-sample chunks of 16 kHz mono audio ->
//! speech probability. The voice activity detector used by the segmenter, which runs one
//! instance per channel on that channel's capture thread; `process` is synchronous, does not
//! allocate, and takes ~0.15 ms per 32 ms chunk.
//!
//! Weights: a safetensors file, `silero_vad_16k.safetensors`, installed by `ringside model fetch`.
//! Origin: the `silero-vad` Python package (MIT licence, snakers4/silero-vad), wheel
//! `pip download --no-deps silero-vad==6.2.3`. The tensors must be those of the official v6
//! model, i.e. of `silero_vad/data/silero_vad.jit` / `silero_vad.onnx` /
//! `silero_vad_16k_op15.onnx` in that wheel (all three hold the same weights). Caution: the
//! wheel's own `silero_vad/data/silero_vad_16k.safetensors` (sha256 c59271c2...) has the right
//! names and shapes but holds a *different* checkpoint: it loads, but its probabilities differ
//! from the official ONNX model by up to 0.63 (mean 0.005-0.03, 97.5-99.8 % of chunks agree at
//! 0.5). Build the file instead from the jit's raw storages, members
//! `VADr_v6_10_25_noths_re/data/2` .. `/data/16` in `TENSORS` order (little-endian F32, no
//! conversion; byte-identical to the ONNX initializers; resulting file sha256 8fe5ade2...).
//!
//! The file is parsed here by hand (8-byte LE header length, JSON header, raw little-endian
//! data); F32, F16 and BF16 tensors are accepted, and every tensor's name, dtype, shape and byte
//! range is checked (unknown or missing tensors are rejected).
//!
//! Architecture (read off the official ONNX graph, `silero_vad_16k_op15.onnx`):
//! - input: the last 64 samples of the previous chunk (zeros after `reset`) + the 512 new ones
//!   = 576 samples;
//! - reflection padding of 64 samples on the right only (-> 640); "STFT" as a conv1d with the
//!   258 fixed basis rows of 256 taps (`stft_conv.weight`), stride 128, no padding -> 4 frames;
//!   rows 0..129 are real parts, 129..258 imaginary parts; magnitude sqrt(re^2 + im^2)
//!   -> 129 bins x 4 frames;
//! - encoder: four conv1d (kernel 3, zero padding 1), each followed by ReLU:
//!   129->128 stride 1, 128->64 stride 2, 64->64 stride 2, 64->128 stride 1 -> 128 x 1 frame;
//! - decoder: one LSTM cell (hidden 128, PyTorch gate order i, f, g, o; h and c carried between
//!   chunks), ReLU on h, 1x1 conv 128->1, sigmoid (the graph's mean over time sees one frame).
//!
//! Parity with onnxruntime (CPU, `silero_vad.onnx` and `silero_vad_16k_op15.onnx` of the 6.2.3
//! wheel, run statefully chunk by chunk with its `state` input, `sr=16000` and the same
//! 64-sample context; v6 weights as above): max abs difference of the per-chunk probability
//! - tests/fixtures/sample_call.wav, left / right channel (2127 chunks each): 4.3e-6 / 1.2e-5
//! - tests/fixtures/asr/01..06.wav (TTS speech): 2.7e-6, 1.7e-6, 3.4e-6, 1.4e-6, 1.0e-5, 2.2e-6
//! - tests/fixtures/real/clips/*.wav (recorded speech), concatenated (2250 chunks): 1.1e-5
//! - white noise sigma 0.1 (10 s) / sigma 0.5 clipped (5 s): 8.8e-8 / 7.9e-8
//! - digital silence (5 s): 1.4e-7; 440 Hz tone + DC offset (3 s): 8.9e-7
//!
//! Speed (release, one thread, x86-64 baseline target, 2-core machine under load):
//! 130-160 us per 32 ms chunk.

use std::path::{Path, PathBuf};

/// Samples per call to [`SileroVad::process`]: 32 ms at 16 kHz.
/// The Silero v6 weights, built in: 1.2 MB, MIT licence (see `assets/README.md`).
static BUILTIN_WEIGHTS: &[u8] = include_bytes!("../../assets/silero_vad_16k.safetensors");

pub const SILERO_CHUNK: usize = 512; // 32 ms at 16 kHz

/// Samples of the previous chunk prepended to each chunk.
const CONTEXT: usize = 64;
/// Context + chunk.
const INPUT: usize = CONTEXT + SILERO_CHUNK;
/// Right-hand reflection padding before the STFT.
const PAD: usize = 64;
const PADDED: usize = INPUT + PAD;
const N_FFT: usize = 256;
const HOP: usize = 128;
const FRAMES: usize = (PADDED - N_FFT) / HOP + 1; // 4
const BINS: usize = N_FFT / 2 + 1; // 129
const HIDDEN: usize = 128;
const GATES: usize = 4 * HIDDEN;

/// Tensor names and shapes of `silero_vad_16k.safetensors`, in file order.
const TENSORS: [(&str, &[usize]); 15] = [
    ("stft_conv.weight", &[2 * BINS, 1, N_FFT]),
    ("conv1.weight", &[128, BINS, 3]),
    ("conv1.bias", &[128]),
    ("conv2.weight", &[64, 128, 3]),
    ("conv2.bias", &[64]),
    ("conv3.weight", &[64, 64, 3]),
    ("conv3.bias", &[64]),
    ("conv4.weight", &[128, 64, 3]),
    ("conv4.bias", &[128]),
    ("lstm_cell.weight_ih", &[GATES, HIDDEN]),
    ("lstm_cell.weight_hh", &[GATES, HIDDEN]),
    ("lstm_cell.bias_ih", &[GATES]),
    ("lstm_cell.bias_hh", &[GATES]),
    ("final_conv.weight", &[1, HIDDEN, 1]),
    ("final_conv.bias", &[1]),
];

const IN_MEMORY: &str = "(in-memory buffer)";

/// Why the weights could not be loaded; every message names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SileroError {
    #[error("Silero VAD weights {} not found: run `ringside model fetch` to install them", path.display())]
    Missing { path: PathBuf },
    #[error("could not read Silero VAD weights {}: {source}: check the file's permissions, or delete it and run `ringside model fetch` to reinstall it", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Silero VAD weights {file} are not a valid safetensors file ({what}): delete it and run `ringside model fetch` to reinstall it")]
    Malformed { file: String, what: String },
    #[error("Silero VAD weights {file} do not hold the expected silero_vad_16k model ({what}): delete it and run `ringside model fetch` to install silero_vad_16k.safetensors")]
    WrongModel { file: String, what: String },
}

/// One conv1d layer, kernel 3, padding 1, followed by ReLU. Weights stored as [out][k][in] so
/// that, with time-major activations ([t][channel]), every inner product is contiguous.
#[derive(Clone)]
struct Conv {
    cin: usize,
    cout: usize,
    stride: usize,
    w: Vec<f32>,
    b: Vec<f32>,
}

impl Conv {
    /// `w` in PyTorch layout [out][in][3].
    fn new(w: &[f32], b: Vec<f32>, cin: usize, cout: usize, stride: usize) -> Conv {
        let mut t = vec![0.0; cout * 3 * cin];
        for o in 0..cout {
            for i in 0..cin {
                for k in 0..3 {
                    t[(o * 3 + k) * cin + i] = w[(o * cin + i) * 3 + k];
                }
            }
        }
        Conv {
            cin,
            cout,
            stride,
            w: t,
            b,
        }
    }

    fn t_out(&self, t_in: usize) -> usize {
        (t_in - 1) / self.stride + 1 // (t_in + 2 * 1 - 3) / stride + 1
    }

    /// `x`: [t_in][cin]; writes [t_out][cout] into `y`, ReLU applied. Returns t_out.
    fn forward(&self, x: &[f32], t_in: usize, y: &mut [f32]) -> usize {
        let (cin, cout) = (self.cin, self.cout);
        let t_out = self.t_out(t_in);
        for t in 0..t_out {
            let yt = &mut y[t * cout..(t + 1) * cout];
            yt.copy_from_slice(&self.b);
            for k in 0..3 {
                let pos = t * self.stride + k;
                if pos == 0 || pos > t_in {
                    continue; // zero padding (pos - 1 is the input frame)
                }
                let xt = &x[(pos - 1) * cin..pos * cin];
                for (o, acc) in yt.iter_mut().enumerate() {
                    *acc += dot(&self.w[(o * 3 + k) * cin..(o * 3 + k + 1) * cin], xt);
                }
            }
            for v in yt.iter_mut() {
                *v = v.max(0.0);
            }
        }
        t_out
    }
}

/// Silero VAD, 16 kHz. One instance per audio stream (it keeps the LSTM state and the last
/// 64 samples between calls). `Clone` gives an independent detector with the same weights.
#[derive(Clone)]
pub struct SileroVad {
    /// [2 * BINS][N_FFT]: real rows then imaginary rows.
    basis: Vec<f32>,
    convs: [Conv; 4],
    /// [GATES][2 * HIDDEN]: row r = weight_ih[r] ++ weight_hh[r].
    w_lstm: Vec<f32>,
    /// bias_ih + bias_hh.
    b_lstm: Vec<f32>,
    w_out: Vec<f32>,
    b_out: f32,
    // State.
    /// h then c.
    h: Vec<f32>,
    c: Vec<f32>,
    /// Context + chunk + reflection padding.
    padded: Vec<f32>,
    // Scratch, sized at construction.
    buf_a: Vec<f32>,
    buf_b: Vec<f32>,
    /// [x (HIDDEN) | h (HIDDEN)]
    xh: Vec<f32>,
    gates: Vec<f32>,
}

impl std::fmt::Debug for SileroVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroVad").finish_non_exhaustive()
    }
}

impl SileroVad {
    /// Reads `silero_vad_16k.safetensors`.
    pub fn load(path: &Path) -> Result<SileroVad, SileroError> {
        let bytes = std::fs::read(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                SileroError::Missing {
                    path: path.to_path_buf(),
                }
            } else {
                SileroError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// The weights built into the binary (`assets/silero_vad_16k.safetensors`, see
    /// `assets/README.md`). They are checked by a unit test, so parsing cannot fail at run time.
    pub fn builtin() -> SileroVad {
        match Self::from_bytes(BUILTIN_WEIGHTS) {
            Ok(v) => v,
            Err(e) => unreachable!("the built-in Silero weights are checked by a test: {e}"),
        }
    }

    /// Parses the contents of `silero_vad_16k.safetensors`.
    pub fn from_bytes(bytes: &[u8]) -> Result<SileroVad, SileroError> {
        Self::parse(bytes, IN_MEMORY)
    }

    fn parse(bytes: &[u8], file: &str) -> Result<SileroVad, SileroError> {
        // `read_safetensors` returns the tensors in `TENSORS` order.
        let mut tensors = read_safetensors(bytes, file)?.into_iter();
        let mut next = move || tensors.next().unwrap_or_default();
        let stft = next();
        let mut convs = Vec::with_capacity(4);
        for (cin, cout, stride) in [(BINS, 128, 1), (128, 64, 2), (64, 64, 2), (64, 128, 1)] {
            let w = next();
            let b = next();
            convs.push(Conv::new(&w, b, cin, cout, stride));
        }
        let (w_ih, w_hh, b_ih, b_hh) = (next(), next(), next(), next());
        let w_out = next();
        let b_out = next()[0];
        let mut w_lstm = Vec::with_capacity(GATES * 2 * HIDDEN);
        for r in 0..GATES {
            w_lstm.extend_from_slice(&w_ih[r * HIDDEN..(r + 1) * HIDDEN]);
            w_lstm.extend_from_slice(&w_hh[r * HIDDEN..(r + 1) * HIDDEN]);
        }
        let b_lstm = b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect();
        let [c1, c2, c3, c4]: [Conv; 4] = match convs.try_into() {
            Ok(c) => c,
            Err(_) => unreachable!("four conv layers"),
        };
        let scratch = FRAMES * BINS.max(128);
        Ok(SileroVad {
            basis: stft,
            convs: [c1, c2, c3, c4],
            w_lstm,
            b_lstm,
            w_out,
            b_out,
            h: vec![0.0; HIDDEN],
            c: vec![0.0; HIDDEN],
            padded: vec![0.0; PADDED],
            buf_a: vec![0.0; scratch],
            buf_b: vec![0.0; scratch],
            xh: vec![0.0; 2 * HIDDEN],
            gates: vec![0.0; GATES],
        })
    }

    /// Clears the LSTM state and the context, as at the start of a new stream.
    pub fn reset(&mut self) {
        self.h.fill(0.0);
        self.c.fill(0.0);
        self.padded.fill(0.0);
    }

    /// Speech probability of the next [`SILERO_CHUNK`] samples (16 kHz mono, in [-1, 1]).
    /// Non-finite samples are taken as 0 so that one bad sample cannot poison the state.
    ///
    /// # Panics
    /// If `chunk.len() != SILERO_CHUNK`.
    pub fn process(&mut self, chunk: &[f32]) -> f32 {
        assert_eq!(
            chunk.len(),
            SILERO_CHUNK,
            "SileroVad::process takes exactly {SILERO_CHUNK} samples"
        );
        // Context: the last CONTEXT samples of the previous input.
        self.padded.copy_within(INPUT - CONTEXT..INPUT, 0);
        for (d, &s) in self.padded[CONTEXT..INPUT].iter_mut().zip(chunk) {
            *d = if s.is_finite() { s } else { 0.0 };
        }
        // Reflection padding on the right: padded[INPUT-1+k] = padded[INPUT-1-k].
        for k in 1..=PAD {
            self.padded[INPUT - 1 + k] = self.padded[INPUT - 1 - k];
        }

        // STFT magnitude, time-major [FRAMES][BINS].
        let mag = &mut self.buf_a;
        for f in 0..FRAMES {
            let frame = &self.padded[f * HOP..f * HOP + N_FFT];
            for b in 0..BINS {
                let re = dot(&self.basis[b * N_FFT..(b + 1) * N_FFT], frame);
                let im = dot(
                    &self.basis[(BINS + b) * N_FFT..(BINS + b + 1) * N_FFT],
                    frame,
                );
                mag[f * BINS + b] = (re * re + im * im).sqrt();
            }
        }

        // Encoder.
        let t = self.convs[0].forward(&self.buf_a, FRAMES, &mut self.buf_b);
        let t = self.convs[1].forward(&self.buf_b, t, &mut self.buf_a);
        let t = self.convs[2].forward(&self.buf_a, t, &mut self.buf_b);
        let t = self.convs[3].forward(&self.buf_b, t, &mut self.buf_a);
        debug_assert_eq!(t, 1);

        // LSTM cell.
        self.xh[..HIDDEN].copy_from_slice(&self.buf_a[..HIDDEN]);
        self.xh[HIDDEN..].copy_from_slice(&self.h);
        for (r, g) in self.gates.iter_mut().enumerate() {
            *g = self.b_lstm[r] + dot(&self.w_lstm[r * 2 * HIDDEN..(r + 1) * 2 * HIDDEN], &self.xh);
        }
        let (gi, rest) = self.gates.split_at(HIDDEN);
        let (gf, rest) = rest.split_at(HIDDEN);
        let (gg, go) = rest.split_at(HIDDEN);
        for j in 0..HIDDEN {
            let c = sigmoid(gf[j]) * self.c[j] + sigmoid(gi[j]) * gg[j].tanh();
            self.c[j] = c;
            self.h[j] = sigmoid(go[j]) * c.tanh();
        }

        // Decoder: ReLU, 1x1 conv, sigmoid.
        let mut z = self.b_out;
        for (w, h) in self.w_out.iter().zip(&self.h) {
            z += w * h.max(0.0);
        }
        sigmoid(z)
    }
}

#[inline]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Dot product with 8 independent accumulators (lets the compiler vectorise without fast-math).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ar.iter().zip(br) {
        s += x * y;
    }
    s
}

/// Parses a safetensors file holding exactly the tensors of [`TENSORS`]; returns them as f32 in
/// that order.
fn read_safetensors(bytes: &[u8], file: &str) -> Result<Vec<Vec<f32>>, SileroError> {
    let malformed = |what: String| SileroError::Malformed {
        file: file.to_string(),
        what,
    };
    let wrong = |what: String| SileroError::WrongModel {
        file: file.to_string(),
        what,
    };

    if bytes.len() < 8 {
        return Err(malformed(format!(
            "truncated: {} bytes, shorter than the 8-byte header length",
            bytes.len()
        )));
    }
    let mut len8 = [0u8; 8];
    len8.copy_from_slice(&bytes[..8]);
    let header_len = u64::from_le_bytes(len8);
    let rest = (bytes.len() - 8) as u64;
    if header_len > rest {
        return Err(malformed(format!(
            "truncated: header of {header_len} bytes but only {rest} bytes follow"
        )));
    }
    let header_len = header_len as usize;
    let (header, data) = bytes[8..].split_at(header_len);
    let header: serde_json::Value = serde_json::from_slice(header)
        .map_err(|e| malformed(format!("header is not valid JSON: {e}")))?;
    let header = header
        .as_object()
        .ok_or_else(|| malformed("header is not a JSON object".to_string()))?;

    for name in header.keys() {
        if name != "__metadata__" && !TENSORS.iter().any(|(n, _)| n == name) {
            return Err(wrong(format!("unexpected tensor `{name}`")));
        }
    }

    let mut out = Vec::with_capacity(TENSORS.len());
    for (name, shape) in TENSORS {
        let info = header
            .get(name)
            .ok_or_else(|| wrong(format!("tensor `{name}` is missing")))?;
        let dtype = info
            .get("dtype")
            .and_then(|d| d.as_str())
            .ok_or_else(|| malformed(format!("tensor `{name}` has no dtype")))?;
        let got_shape: Option<Vec<usize>> = info
            .get("shape")
            .and_then(|s| s.as_array())
            .and_then(|a| a.iter().map(|d| d.as_u64().map(|d| d as usize)).collect());
        let got_shape =
            got_shape.ok_or_else(|| malformed(format!("tensor `{name}` has no valid shape")))?;
        let offsets: Option<Vec<u64>> = info
            .get("data_offsets")
            .and_then(|s| s.as_array())
            .and_then(|a| a.iter().map(|d| d.as_u64()).collect());
        let (start, end) = match offsets.as_deref() {
            Some(&[s, e]) => (s, e),
            _ => {
                return Err(malformed(format!(
                    "tensor `{name}` has no valid data_offsets"
                )))
            }
        };
        if start > end || end > data.len() as u64 {
            return Err(malformed(format!(
                "truncated or corrupt: tensor `{name}` spans bytes {start}..{end} of a {}-byte data section",
                data.len()
            )));
        }
        let raw = &data[start as usize..end as usize];
        if got_shape != shape {
            return Err(wrong(format!(
                "tensor `{name}` has shape {got_shape:?}, expected {shape:?}"
            )));
        }
        let n: usize = shape.iter().product();
        let width = match dtype {
            "F32" => 4,
            "F16" | "BF16" => 2,
            other => {
                return Err(wrong(format!(
                    "tensor `{name}` has dtype {other}, expected F32, F16 or BF16"
                )))
            }
        };
        if raw.len() != n * width {
            return Err(malformed(format!(
                "tensor `{name}` has {} bytes, expected {} for {dtype} {shape:?}",
                raw.len(),
                n * width
            )));
        }
        let values: Vec<f32> = match dtype {
            "F32" => raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            "F16" => raw
                .chunks_exact(2)
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            _ => raw
                .chunks_exact(2)
                .map(|b| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16))
                .collect(),
        };
        if values.iter().any(|v| !v.is_finite()) {
            return Err(wrong(format!(
                "tensor `{name}` holds NaN or infinite values"
            )));
        }
        out.push(values);
    }
    Ok(out)
}

/// IEEE 754 half -> single precision (exact).
fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: normalise.
            let (mut e, mut m) = (113u32, man);
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors file with the right names and shapes; every tensor filled by `fill`.
    fn synth(dtype: &str, fill: impl Fn(&str, usize) -> f32) -> Vec<u8> {
        let mut header = serde_json::Map::new();
        header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
        let mut data = Vec::new();
        for (name, shape) in TENSORS {
            let n: usize = shape.iter().product();
            let start = data.len();
            for i in 0..n {
                let v = fill(name, i);
                match dtype {
                    "F32" => data.extend_from_slice(&v.to_le_bytes()),
                    "F16" => data.extend_from_slice(&f32_to_f16_simple(v).to_le_bytes()),
                    "BF16" => data.extend_from_slice(&((v.to_bits() >> 16) as u16).to_le_bytes()),
                    _ => data.extend_from_slice(&(v as i32).to_le_bytes()),
                }
            }
            header.insert(
                name.into(),
                serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [start, data.len()]}),
            );
        }
        with_header(&serde_json::Value::Object(header).to_string(), &data)
    }

    fn with_header(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    /// Enough for the small values used here (normal range, truncating).
    fn f32_to_f16_simple(v: f32) -> u16 {
        if v == 0.0 {
            return 0;
        }
        let b = v.to_bits();
        let sign = ((b >> 16) & 0x8000) as u16;
        let exp = ((b >> 23) & 0xff) as i32 - 127 + 15;
        sign | ((exp as u16) << 10) | ((b >> 13) & 0x3ff) as u16
    }

    fn bias_only(name: &str, _: usize) -> f32 {
        if name == "final_conv.bias" {
            1.5
        } else {
            0.0
        }
    }

    fn err_text(r: Result<SileroVad, SileroError>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn synthetic_weights_give_sigmoid_of_bias() {
        for dtype in ["F32", "F16", "BF16"] {
            let mut vad = SileroVad::from_bytes(&synth(dtype, bias_only)).unwrap();
            let p = vad.process(&[0.25; SILERO_CHUNK]);
            assert!((p - sigmoid(1.5)).abs() < 1e-6, "{dtype}: {p}");
        }
    }

    #[test]
    fn state_carries_over_and_reset_clears_it() {
        // Small deterministic pseudo-random weights so every stage contributes.
        let fill = |name: &str, i: usize| {
            let h = (i as u32)
                .wrapping_mul(2654435761)
                .wrapping_add(name.len() as u32 * 97);
            ((h >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.2
        };
        let mut vad = SileroVad::from_bytes(&synth("F32", fill)).unwrap();
        let chunk: Vec<f32> = (0..SILERO_CHUNK)
            .map(|i| (i as f32 * 0.05).sin() * 0.5)
            .collect();
        let first = vad.process(&chunk);
        let second = vad.process(&chunk);
        assert!(first.is_finite() && (0.0..=1.0).contains(&first));
        assert_ne!(first, second, "LSTM state and context must carry over");
        vad.reset();
        assert_eq!(vad.process(&chunk), first);
        let mut bad = chunk.clone();
        bad[3] = f32::NAN;
        assert!(vad.process(&bad).is_finite());
    }

    #[test]
    fn rejects_truncated_files() {
        let good = synth("F32", bias_only);
        assert!(err_text(SileroVad::from_bytes(&good[..5])).contains("truncated"));
        assert!(err_text(SileroVad::from_bytes(&good[..100])).contains("truncated"));
        let e = err_text(SileroVad::from_bytes(&good[..good.len() - 10]));
        assert!(
            e.contains("truncated") && e.contains("ringside model fetch"),
            "{e}"
        );
    }

    #[test]
    fn rejects_garbled_header() {
        let mut bytes = synth("F32", bias_only);
        bytes[8] = b'#';
        let e = err_text(SileroVad::from_bytes(&bytes));
        assert!(
            e.contains("not valid JSON") && e.contains("(in-memory buffer)"),
            "{e}"
        );
        let e = err_text(SileroVad::from_bytes(&with_header("[1, 2]", &[])));
        assert!(e.contains("not a JSON object"), "{e}");
    }

    #[test]
    fn rejects_wrong_model() {
        let e = err_text(SileroVad::from_bytes(&synth("I32", bias_only)));
        assert!(e.contains("dtype I32"), "{e}");
        let e = err_text(SileroVad::from_bytes(&with_header(
            r#"{"conv1.bias":{"dtype":"F32","shape":[128],"data_offsets":[0,512]}}"#,
            &[0; 512],
        )));
        assert!(e.contains("`stft_conv.weight` is missing"), "{e}");
        let e = err_text(SileroVad::from_bytes(&with_header(
            r#"{"model.stft.forward_basis_buffer":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
            &[0; 4],
        )));
        assert!(e.contains("unexpected tensor"), "{e}");
        // Right names, wrong shape.
        let good = synth("F32", bias_only);
        let n = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
        let header = std::str::from_utf8(&good[8..8 + n])
            .unwrap()
            .replace("[1,128,1]", "[128,1,1]");
        let e = err_text(SileroVad::from_bytes(&with_header(&header, &good[8 + n..])));
        assert!(
            e.contains("final_conv.weight") && e.contains("shape"),
            "{e}"
        );
    }

    #[test]
    fn missing_file_says_how_to_install() {
        let e = err_text(SileroVad::load(Path::new(
            "no/such/dir/silero_vad_16k.safetensors",
        )));
        assert!(
            e.contains("silero_vad_16k.safetensors") && e.contains("ringside model fetch"),
            "{e}"
        );
    }

    #[test]
    fn f16_conversion() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x0200), 2f32.powi(-15));
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
    }
}
