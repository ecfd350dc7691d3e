//! whisper.cpp's ggml model file: header layout, the tensor table whisper.cpp expects, and a
//! structural check that reads the table without loading the weights.
//!
//! Layout: `i32 magic`, 11 `i32` hparams, `i32 n_mel`, `i32 n_fft` and the f32 mel filters,
//! `i32 n_tokens` and per token `i32 len` + bytes, then per tensor `i32 ndim`, `i32 name_len`,
//! `i32 type`, `i32 ne[ndim]` (innermost first), the name and the data.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::ModelError;

/// "ggml" as a little-endian i32.
pub const MAGIC: u32 = 0x6767_6d6c;

/// whisper.cpp's hyper-parameters, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    /// 0 = all f32, 1 = f16 weights, higher = ggml quantisation types.
    pub ftype: i32,
}

impl Hparams {
    pub fn to_array(self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    pub fn from_array(a: [i32; 11]) -> Self {
        Self {
            n_vocab: a[0],
            n_audio_ctx: a[1],
            n_audio_state: a[2],
            n_audio_head: a[3],
            n_audio_layer: a[4],
            n_text_ctx: a[5],
            n_text_state: a[6],
            n_text_head: a[7],
            n_text_layer: a[8],
            n_mels: a[9],
            ftype: a[10],
        }
    }
}

/// ggml tensor types a Whisper file may use: (type id, block size in elements, bytes per block).
const TYPES: &[(i32, usize, usize)] = &[
    (0, 1, 4),   // f32
    (1, 1, 2),   // f16
    (2, 32, 18), // q4_0
    (3, 32, 20), // q4_1
    (6, 32, 22), // q5_0
    (7, 32, 24), // q5_1
    (8, 32, 34), // q8_0
];

/// Bytes of a tensor of `numel` elements of type `ty`, or `None` for an unknown type or a
/// row that does not fill whole blocks.
pub fn tensor_bytes(ty: i32, ne: &[usize]) -> Option<usize> {
    let &(_, block, size) = TYPES.iter().find(|t| t.0 == ty)?;
    if ne.first().copied().unwrap_or(1) % block != 0 {
        return None;
    }
    Some(ne.iter().product::<usize>() / block * size)
}

/// Every tensor whisper.cpp loads for these hparams, with its `ne` (innermost first). It
/// rejects files with unknown tensors and files missing any of these.
pub fn expected_tensors(h: &Hparams) -> Vec<(String, Vec<usize>)> {
    let u = |v: i32| v.max(0) as usize;
    let (sa, st) = (u(h.n_audio_state), u(h.n_text_state));
    let mut t: Vec<(String, Vec<usize>)> = vec![
        (
            "encoder.positional_embedding".into(),
            vec![sa, u(h.n_audio_ctx)],
        ),
        ("encoder.conv1.weight".into(), vec![3, u(h.n_mels), sa]),
        ("encoder.conv1.bias".into(), vec![1, sa]),
        ("encoder.conv2.weight".into(), vec![3, sa, sa]),
        ("encoder.conv2.bias".into(), vec![1, sa]),
        ("encoder.ln_post.weight".into(), vec![sa]),
        ("encoder.ln_post.bias".into(), vec![sa]),
        (
            "decoder.positional_embedding".into(),
            vec![st, u(h.n_text_ctx)],
        ),
        (
            "decoder.token_embedding.weight".into(),
            vec![st, u(h.n_vocab)],
        ),
        ("decoder.ln.weight".into(), vec![st]),
        ("decoder.ln.bias".into(), vec![st]),
    ];
    let block = |t: &mut Vec<(String, Vec<usize>)>, p: String, s: usize, cross: bool| {
        let mut add = |n: &str, ne: Vec<usize>| t.push((format!("{p}.{n}"), ne));
        add("mlp_ln.weight", vec![s]);
        add("mlp_ln.bias", vec![s]);
        add("mlp.0.weight", vec![s, 4 * s]);
        add("mlp.0.bias", vec![4 * s]);
        add("mlp.2.weight", vec![4 * s, s]);
        add("mlp.2.bias", vec![s]);
        let mut attn = |a: &str| {
            add(&format!("{a}_ln.weight"), vec![s]);
            add(&format!("{a}_ln.bias"), vec![s]);
            add(&format!("{a}.query.weight"), vec![s, s]);
            add(&format!("{a}.query.bias"), vec![s]);
            add(&format!("{a}.key.weight"), vec![s, s]);
            add(&format!("{a}.value.weight"), vec![s, s]);
            add(&format!("{a}.value.bias"), vec![s]);
            add(&format!("{a}.out.weight"), vec![s, s]);
            add(&format!("{a}.out.bias"), vec![s]);
        };
        attn("attn");
        if cross {
            attn("cross_attn");
        }
    };
    for i in 0..u(h.n_audio_layer) {
        block(&mut t, format!("encoder.blocks.{i}"), sa, false);
    }
    for i in 0..u(h.n_text_layer) {
        block(&mut t, format!("decoder.blocks.{i}"), st, true);
    }
    t
}

/// One entry of a ggml file's tensor table.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub name: String,
    pub ty: i32,
    pub ne: Vec<usize>,
}

/// What [`read_info`] learned from a file.
#[derive(Debug)]
pub struct GgmlInfo {
    pub hparams: Hparams,
    pub n_tokens: usize,
    pub tensors: Vec<TensorInfo>,
}

struct Reader<'a> {
    r: BufReader<File>,
    path: &'a Path,
    pos: u64,
    len: u64,
}

impl Reader<'_> {
    fn i32(&mut self, what: &str) -> Result<i32, ModelError> {
        if self.pos + 4 > self.len {
            return Err(self.truncated(what));
        }
        let mut b = [0u8; 4];
        self.r
            .read_exact(&mut b)
            .map_err(|e| ModelError::io(self.path, e))?;
        self.pos += 4;
        Ok(i32::from_le_bytes(b))
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), ModelError> {
        if self.pos + n > self.len {
            return Err(self.truncated(what));
        }
        self.r
            .seek_relative(n as i64)
            .map_err(|e| ModelError::io(self.path, e))?;
        self.pos += n;
        Ok(())
    }

    fn truncated(&self, what: &str) -> ModelError {
        ModelError::Truncated {
            path: self.path.to_owned(),
            what: format!("{what} (file ends at byte {})", self.len),
        }
    }

    fn bad(&self, what: String) -> ModelError {
        ModelError::BadHeader {
            path: self.path.to_owned(),
            what,
        }
    }
}

/// Only the magic number, for callers that just want to know a file is a ggml model.
pub fn check_magic(path: &Path) -> Result<(), ModelError> {
    let mut f = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut b = [0u8; 4];
    match f.read_exact(&mut b) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(ModelError::BadMagic {
                path: path.to_owned(),
                found: 0,
            })
        }
        Err(e) => return Err(ModelError::io(path, e)),
    }
    let found = u32::from_le_bytes(b);
    if found != MAGIC {
        return Err(ModelError::BadMagic {
            path: path.to_owned(),
            found,
        });
    }
    Ok(())
}

/// Walk the whole file: header, filters, vocabulary and every tensor's header, skipping the
/// data but checking it is all there, and that nothing trails the last tensor.
pub fn read_info(path: &Path) -> Result<GgmlInfo, ModelError> {
    check_magic(path)?;
    let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let len = file.metadata().map_err(|e| ModelError::io(path, e))?.len();
    let mut r = Reader {
        r: BufReader::new(file),
        path,
        pos: 0,
        len,
    };
    r.i32("magic")?;
    let mut a = [0i32; 11];
    for v in a.iter_mut() {
        *v = r.i32("hparams")?;
    }
    let hparams = Hparams::from_array(a);
    if a[..10].iter().any(|&v| v <= 0) || hparams.n_mels != 80 && hparams.n_mels != 128 {
        return Err(r.bad(format!("implausible hparams {a:?}")));
    }
    let (n_mel, n_fft) = (r.i32("mel filters")?, r.i32("mel filters")?);
    if n_mel != hparams.n_mels || n_fft <= 0 {
        return Err(r.bad(format!(
            "mel filter table is {n_mel}x{n_fft} for {} mels",
            hparams.n_mels
        )));
    }
    r.skip(n_mel as u64 * n_fft as u64 * 4, "mel filters")?;
    let n_tokens = r.i32("vocabulary")?;
    if n_tokens <= 0 || n_tokens > hparams.n_vocab {
        return Err(r.bad(format!("{n_tokens} tokens for n_vocab {}", hparams.n_vocab)));
    }
    for i in 0..n_tokens {
        let n = r.i32("vocabulary")?;
        if !(0..=1024).contains(&n) {
            return Err(r.bad(format!("token {i} has length {n}")));
        }
        r.skip(n as u64, "vocabulary")?;
    }
    let mut tensors = Vec::new();
    while r.pos < r.len {
        let ndim = r.i32("tensor header")?;
        let name_len = r.i32("tensor header")?;
        let ty = r.i32("tensor header")?;
        if !(1..=4).contains(&ndim) || !(1..=256).contains(&name_len) {
            return Err(r.bad(format!(
                "tensor #{} has a bad header (ndim {ndim}, name length {name_len})",
                tensors.len()
            )));
        }
        let mut ne = Vec::with_capacity(ndim as usize);
        for _ in 0..ndim {
            let d = r.i32("tensor header")?;
            if d <= 0 {
                return Err(r.bad(format!("tensor #{} has dimension {d}", tensors.len())));
            }
            ne.push(d as usize);
        }
        if r.pos + name_len as u64 > r.len {
            return Err(r.truncated("tensor name"));
        }
        let mut name = vec![0u8; name_len as usize];
        r.r.read_exact(&mut name)
            .map_err(|e| ModelError::io(path, e))?;
        r.pos += name_len as u64;
        let name = String::from_utf8_lossy(&name).into_owned();
        let nbytes = tensor_bytes(ty, &ne)
            .ok_or_else(|| r.bad(format!("tensor {name} has unknown type {ty}")))?;
        if r.pos + nbytes as u64 > r.len {
            return Err(ModelError::Truncated {
                path: path.to_owned(),
                what: format!(
                    "tensor {name} needs {nbytes} bytes, only {} left",
                    r.len - r.pos
                ),
            });
        }
        r.skip(nbytes as u64, &name)?;
        tensors.push(TensorInfo { name, ty, ne });
    }
    Ok(GgmlInfo {
        hparams,
        n_tokens: n_tokens as usize,
        tensors,
    })
}

/// [`read_info`] plus: the tensor table is exactly the one whisper.cpp expects for the
/// file's hparams, with the expected shapes.
pub fn check_structure(path: &Path) -> Result<GgmlInfo, ModelError> {
    let info = read_info(path)?;
    let expected = expected_tensors(&info.hparams);
    let incomplete = |what: String| ModelError::Incomplete {
        path: path.to_owned(),
        what,
    };
    for (name, ne) in &expected {
        match info.tensors.iter().find(|t| &t.name == name) {
            None => return Err(incomplete(format!("tensor {name} is missing"))),
            Some(t) if &t.ne != ne => {
                return Err(incomplete(format!(
                    "tensor {name} has shape {:?}, expected {ne:?}",
                    t.ne
                )))
            }
            Some(_) => {}
        }
    }
    if let Some(t) = info
        .tensors
        .iter()
        .find(|t| !expected.iter().any(|(n, _)| n == &t.name))
    {
        return Err(incomplete(format!("unexpected tensor {}", t.name)));
    }
    if info.tensors.len() != expected.len() {
        return Err(incomplete(format!(
            "{} tensors, expected {}",
            info.tensors.len(),
            expected.len()
        )));
    }
    Ok(info)
}
