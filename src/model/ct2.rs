//! Reader for CTranslate2's `model.bin`: an index of variables, then their data on demand.
//!
//! The index is read once (seeking past each variable's data) so the converter can hold one
//! tensor at a time instead of the whole model. Format (little-endian): `u32 version`,
//! `str spec`, `u32 revision`, `u32 n_vars`, then per variable `str name`, `u8 ndim`,
//! `u32 dims[ndim]`, `u8 dtype`, `u32 nbytes`, data; then `u32 n_aliases` and pairs of `str`.
//! A `str` is `u16 (len + 1)`, the bytes and a NUL.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{half, ModelError};

/// The only `model.bin` layout this reader knows (CTranslate2 3.x and 4.x write it).
pub const BINARY_VERSION: u32 = 6;

/// Element type of a variable, with CTranslate2's numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::BF16,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::BF16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One entry of the index; the data stays on disk until asked for.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    /// Row-major shape; empty for scalars (metadata such as `encoder/num_heads`).
    pub dims: Vec<usize>,
    pub dtype: DType,
    /// Byte offset of the data in `model.bin`.
    pub offset: u64,
    pub nbytes: usize,
}

impl Variable {
    pub fn numel(&self) -> usize {
        self.dims.iter().product()
    }
}

/// The index of a `model.bin`.
#[derive(Debug)]
pub struct Ct2Model {
    pub path: PathBuf,
    pub spec: String,
    pub revision: u32,
    pub vars: Vec<Variable>,
    /// `(alias, target)` pairs, e.g. the tied `decoder/projection/weight`.
    pub aliases: Vec<(String, String)>,
}

struct IndexReader<R> {
    r: R,
    path: PathBuf,
    pos: u64,
    len: u64,
}

impl<R: Read + Seek> IndexReader<R> {
    fn bad(&self, what: impl Into<String>) -> ModelError {
        ModelError::Ct2Format {
            path: self.path.clone(),
            what: what.into(),
        }
    }

    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, ModelError> {
        if self.pos + n as u64 > self.len {
            return Err(self.bad(format!("file ends at byte {} inside the index", self.len)));
        }
        let mut buf = vec![0u8; n];
        self.r
            .read_exact(&mut buf)
            .map_err(|e| ModelError::io(&self.path, e))?;
        self.pos += n as u64;
        Ok(buf)
    }

    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.bytes(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, ModelError> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, ModelError> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String, ModelError> {
        let n = self.u16()? as usize;
        let mut b = self.bytes(n)?;
        if b.pop() != Some(0) {
            return Err(self.bad("a string is not NUL-terminated"));
        }
        String::from_utf8(b).map_err(|_| self.bad("a name is not UTF-8"))
    }

    fn skip(&mut self, n: usize) -> Result<(), ModelError> {
        if self.pos + n as u64 > self.len {
            return Err(self.bad(format!(
                "variable data runs past the end of the file ({} bytes)",
                self.len
            )));
        }
        self.r
            .seek(SeekFrom::Current(n as i64))
            .map_err(|e| ModelError::io(&self.path, e))?;
        self.pos += n as u64;
        Ok(())
    }
}

impl Ct2Model {
    /// Read the index of `path`. Checks that every variable's byte count matches its shape and
    /// that the file holds all of it, so later reads cannot come up short.
    pub fn open(path: &Path) -> Result<Self, ModelError> {
        let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
        let len = file.metadata().map_err(|e| ModelError::io(path, e))?.len();
        let mut r = IndexReader {
            r: BufReader::new(file),
            path: path.to_owned(),
            pos: 0,
            len,
        };
        let version = r.u32()?;
        if version != BINARY_VERSION {
            return Err(r.bad(format!(
                "binary version {version}, expected {BINARY_VERSION}; re-export it with a current ctranslate2"
            )));
        }
        let spec = r.string()?;
        let revision = r.u32()?;
        let n_vars = r.u32()?;
        let mut vars = Vec::with_capacity(n_vars.min(10_000) as usize);
        for _ in 0..n_vars {
            let name = r.string()?;
            let ndim = r.u8()?;
            let mut dims = Vec::with_capacity(ndim as usize);
            for _ in 0..ndim {
                dims.push(r.u32()? as usize);
            }
            let code = r.u8()?;
            let dtype = DType::from_code(code)
                .ok_or_else(|| r.bad(format!("{name}: unknown dtype {code}")))?;
            let nbytes = r.u32()? as usize;
            let want = dims.iter().product::<usize>() * dtype.size();
            if nbytes != want {
                return Err(r.bad(format!(
                    "{name}: {nbytes} data bytes for shape {dims:?}, expected {want}"
                )));
            }
            let offset = r.pos;
            r.skip(nbytes)?;
            vars.push(Variable {
                name,
                dims,
                dtype,
                offset,
                nbytes,
            });
        }
        let n_aliases = r.u32()?;
        let mut aliases = Vec::new();
        for _ in 0..n_aliases {
            let alias = r.string()?;
            let target = r.string()?;
            aliases.push((alias, target));
        }
        Ok(Self {
            path: path.to_owned(),
            spec,
            revision,
            vars,
            aliases,
        })
    }

    /// A variable by name, following aliases (tied weights are stored once under either
    /// name, depending on the exporter).
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.vars.iter().find(|v| v.name == name).or_else(|| {
            let (_, target) = self.aliases.iter().find(|(a, _)| a == name)?;
            self.vars.iter().find(|v| &v.name == target)
        })
    }

    /// The raw bytes of a variable.
    pub fn read_raw(&self, file: &mut File, var: &Variable) -> Result<Vec<u8>, ModelError> {
        let mut buf = vec![0u8; var.nbytes];
        file.seek(SeekFrom::Start(var.offset))
            .map_err(|e| ModelError::io(&self.path, e))?;
        file.read_exact(&mut buf)
            .map_err(|e| ModelError::io(&self.path, e))?;
        Ok(buf)
    }

    /// A float variable as f32 values. int8 weights are dequantized with their per-row
    /// `<name>_scale` (CTranslate2 stores `q = round(x * scale)`, so `x = q / scale`).
    pub fn read_f32(&self, file: &mut File, var: &Variable) -> Result<Vec<f32>, ModelError> {
        let raw = self.read_raw(file, var)?;
        match var.dtype {
            DType::F32 => Ok(raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()),
            DType::F16 => Ok(raw
                .chunks_exact(2)
                .map(|c| half::f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect()),
            DType::BF16 => Ok(raw
                .chunks_exact(2)
                .map(|c| f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16))
                .collect()),
            DType::I8 => {
                let scale_name = format!("{}_scale", var.name);
                let scale_var = self
                    .get(&scale_name)
                    .ok_or_else(|| ModelError::Unsupported {
                        path: self.path.clone(),
                        what: format!("int8 variable {} has no {scale_name}", var.name),
                    })?;
                let scales = self.read_f32(file, &scale_var.clone())?;
                let rows = var.dims.first().copied().unwrap_or(1).max(1);
                let per_row = var.numel() / rows;
                if scales.len() != rows && scales.len() != 1 {
                    return Err(ModelError::Unsupported {
                        path: self.path.clone(),
                        what: format!("{scale_name} has {} values for {rows} rows", scales.len()),
                    });
                }
                Ok(raw
                    .iter()
                    .enumerate()
                    .map(|(i, &q)| {
                        let s = if scales.len() == 1 {
                            scales[0]
                        } else {
                            scales[i / per_row.max(1)]
                        };
                        (q as i8) as f32 / s
                    })
                    .collect())
            }
            DType::I16 | DType::I32 => Err(ModelError::Unsupported {
                path: self.path.clone(),
                what: format!(
                    "{} is {:?}; only float and int8 weights convert",
                    var.name, var.dtype
                ),
            }),
        }
    }

    /// An integer scalar (e.g. `encoder/num_heads`), if present.
    pub fn read_scalar(&self, file: &mut File, name: &str) -> Result<Option<i64>, ModelError> {
        let Some(var) = self.get(name) else {
            return Ok(None);
        };
        if var.numel() != 1 {
            return Ok(None);
        }
        let b = self.read_raw(file, var)?;
        Ok(match var.dtype {
            DType::I8 => Some(b[0] as i8 as i64),
            DType::I16 => Some(i16::from_le_bytes([b[0], b[1]]) as i64),
            DType::I32 => Some(i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64),
            _ => None,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a `model.bin` in memory, for tests here and in the converter.
    pub(crate) struct Builder {
        spec: String,
        vars: Vec<(String, Vec<u32>, u8, Vec<u8>)>,
        aliases: Vec<(String, String)>,
    }

    fn put_str(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    impl Builder {
        pub(crate) fn new(spec: &str) -> Self {
            Self {
                spec: spec.into(),
                vars: vec![],
                aliases: vec![],
            }
        }
        pub(crate) fn var(mut self, name: &str, dims: &[u32], dtype: u8, data: Vec<u8>) -> Self {
            self.vars.push((name.into(), dims.to_vec(), dtype, data));
            self
        }
        pub(crate) fn f32s(self, name: &str, dims: &[u32], vals: &[f32]) -> Self {
            let data = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
            self.var(name, dims, 0, data)
        }
        pub(crate) fn alias(mut self, a: &str, t: &str) -> Self {
            self.aliases.push((a.into(), t.into()));
            self
        }
        pub(crate) fn build(&self) -> Vec<u8> {
            let mut out = vec![];
            out.extend_from_slice(&BINARY_VERSION.to_le_bytes());
            put_str(&mut out, &self.spec);
            out.extend_from_slice(&3u32.to_le_bytes());
            out.extend_from_slice(&(self.vars.len() as u32).to_le_bytes());
            for (name, dims, dtype, data) in &self.vars {
                put_str(&mut out, name);
                out.push(dims.len() as u8);
                for d in dims {
                    out.extend_from_slice(&d.to_le_bytes());
                }
                out.push(*dtype);
                out.extend_from_slice(&(data.len() as u32).to_le_bytes());
                out.extend_from_slice(data);
            }
            out.extend_from_slice(&(self.aliases.len() as u32).to_le_bytes());
            for (a, t) in &self.aliases {
                put_str(&mut out, a);
                put_str(&mut out, t);
            }
            out
        }
    }

    #[test]
    fn parses_index_scalars_and_aliases() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("model.bin");
        let bytes = Builder::new("WhisperSpec")
            .var("encoder/num_heads", &[], 2, 6i16.to_le_bytes().to_vec())
            .f32s("a/weight", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
            .var(
                "b/weight",
                &[2],
                4,
                [half::f32_to_f16(0.5), half::f32_to_f16(-2.0)]
                    .iter()
                    .flat_map(|h| h.to_le_bytes())
                    .collect(),
            )
            .var("q/weight", &[2, 2], 1, vec![127, (-64i8) as u8, 10, 20])
            .f32s("q/weight_scale", &[2], &[127.0, 10.0])
            .alias("x/projection", "a/weight")
            .build();
        std::fs::write(&p, bytes).unwrap();
        let m = Ct2Model::open(&p).unwrap();
        assert_eq!(m.spec, "WhisperSpec");
        assert_eq!(m.revision, 3);
        assert_eq!(m.vars.len(), 5);
        assert_eq!(
            m.aliases,
            vec![("x/projection".to_string(), "a/weight".to_string())]
        );
        assert_eq!(m.get("x/projection").unwrap().name, "a/weight");
        let mut f = File::open(&p).unwrap();
        assert_eq!(m.read_scalar(&mut f, "encoder/num_heads").unwrap(), Some(6));
        let a = m.get("a/weight").unwrap().clone();
        assert_eq!(a.dims, vec![2, 3]);
        assert_eq!(
            m.read_f32(&mut f, &a).unwrap(),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        let b = m.get("b/weight").unwrap().clone();
        assert_eq!(m.read_f32(&mut f, &b).unwrap(), vec![0.5, -2.0]);
        let q = m.get("q/weight").unwrap().clone();
        let deq = m.read_f32(&mut f, &q).unwrap();
        assert_eq!(deq, vec![1.0, -64.0 / 127.0, 1.0, 2.0]);
    }

    #[test]
    fn truncated_model_bin_is_a_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("model.bin");
        let bytes = Builder::new("WhisperSpec")
            .f32s("a/weight", &[4], &[1.0; 4])
            .build();
        std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
        let err = Ct2Model::open(&p).unwrap_err();
        assert!(matches!(err, ModelError::Ct2Format { .. }), "{err}");
        assert!(err.to_string().contains("model.bin"), "{err}");
    }
}
