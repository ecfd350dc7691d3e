//! Writing model files safely: `<final>.part`, fsync, rename; and progress lines on stderr.
//!
//! A model file is either complete under its final name or absent: a crash, Ctrl-C or a full
//! disk leaves at most a `.part` file, which the next run overwrites. The sha256 is computed
//! while writing so installing a model reads it only once.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::ModelError;

/// `path` with `.part` appended to its file name.
pub fn part_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

/// Map a write error on `path` to a [`ModelError`], singling out a full disk.
pub fn write_error(path: &Path, e: std::io::Error, needed: u64) -> ModelError {
    if e.raw_os_error() == Some(libc::ENOSPC) || e.raw_os_error() == Some(libc::EDQUOT) {
        ModelError::NoSpace {
            path: path.to_owned(),
            needed_mb: needed.div_ceil(1 << 20),
        }
    } else {
        ModelError::io(path, e)
    }
}

/// A file being written under `<final>.part`; removed on drop unless [`PartFile::finish`]ed.
pub struct PartFile {
    final_path: PathBuf,
    part: PathBuf,
    w: Option<BufWriter<File>>,
    hasher: Sha256,
    /// Expected size, for the "free N MB" hint of a full-disk error.
    expected: u64,
}

impl PartFile {
    pub fn create(final_path: &Path, expected: u64) -> Result<Self, ModelError> {
        let part = part_path(final_path);
        if let Some(dir) = final_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        }
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&part)
            .map_err(|e| write_error(&part, e, expected))?;
        Ok(Self {
            final_path: final_path.to_owned(),
            part,
            w: Some(BufWriter::with_capacity(1 << 20, f)),
            hasher: Sha256::new(),
            expected,
        })
    }

    pub fn write(&mut self, buf: &[u8]) -> Result<(), ModelError> {
        self.hasher.update(buf);
        let Some(w) = self.w.as_mut() else {
            return Ok(());
        };
        // Name the final file in errors: that is the one the user asked for.
        w.write_all(buf)
            .map_err(|e| write_error(&self.final_path, e, self.expected))
    }

    /// Flush, fsync, rename to the final name, fsync the directory; returns the sha256 hex.
    pub fn finish(self) -> Result<String, ModelError> {
        self.finish_inner(None)
    }

    /// Like [`PartFile::finish`], but only when the content has sha256 `expected`; otherwise
    /// the `.part` file is removed and the final name never appears.
    pub fn finish_expecting(self, expected: &str) -> Result<String, ModelError> {
        self.finish_inner(Some(expected))
    }

    fn finish_inner(mut self, want: Option<&str>) -> Result<String, ModelError> {
        let fp = self.final_path.clone();
        if let Some(want) = want {
            let actual = hex(&self.hasher.clone().finalize());
            if actual != want {
                // Dropping self removes the part file.
                return Err(ModelError::PinMismatch {
                    path: fp,
                    expected: want.to_owned(),
                    actual,
                });
            }
        }
        let expected = self.expected;
        let w = self
            .w
            .take()
            .ok_or_else(|| ModelError::io(&fp, std::io::Error::other("already finished")))?;
        let f = w
            .into_inner()
            .map_err(|e| write_error(&fp, e.into_error(), expected))?;
        f.sync_all().map_err(|e| write_error(&fp, e, expected))?;
        drop(f);
        std::fs::rename(&self.part, &fp).map_err(|e| ModelError::io(&fp, e))?;
        if let Some(dir) = fp.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable; not fatal where directories cannot be opened.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(hex(&std::mem::take(&mut self.hasher).finalize()))
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if self.w.take().is_some() {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// "label: 42%" on stderr: redrawn in place on a terminal (at most once per percent), one
/// line per quarter otherwise, so logs stay readable.
pub struct Progress {
    enabled: bool,
    tty: bool,
    label: String,
    total: u64,
    done: u64,
    shown: Option<u64>,
}

impl Progress {
    pub fn new(enabled: bool, label: String, total: u64) -> Self {
        use std::io::IsTerminal;
        let tty = std::io::stderr().is_terminal();
        Self {
            enabled,
            tty,
            label,
            total: total.max(1),
            done: 0,
            shown: None,
        }
    }

    pub fn add(&mut self, n: u64) {
        self.done += n;
        if !self.enabled {
            return;
        }
        let pct = (self.done * 100 / self.total).min(100);
        let step = if self.tty { pct } else { pct / 25 * 25 };
        if self.shown == Some(step) {
            return;
        }
        self.shown = Some(step);
        if self.tty {
            eprint!("\r{}: {pct:3}%", self.label);
        } else if step < 100 {
            eprintln!("{}: {step}%", self.label);
        }
    }

    pub fn done(&mut self) {
        if self.enabled {
            let cr = if self.tty { "\r" } else { "" };
            eprintln!("{cr}{}: done", self.label);
        }
        self.enabled = false;
    }
}

impl Drop for Progress {
    /// Abandoned midway (an error): end the redrawn line so the error starts on its own.
    fn drop(&mut self) {
        if self.enabled && self.tty && self.shown.is_some() {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_part_file_is_removed_and_final_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let fin = dir.path().join("ggml-x.bin");
        {
            let mut p = PartFile::create(&fin, 10).unwrap();
            p.write(b"half").unwrap();
            assert!(part_path(&fin).exists());
        }
        assert!(!part_path(&fin).exists());
        assert!(!fin.exists());
        let mut p = PartFile::create(&fin, 10).unwrap();
        p.write(b"abc").unwrap();
        let sha = p.finish().unwrap();
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(std::fs::read(&fin).unwrap(), b"abc");
        assert!(!part_path(&fin).exists());
    }

    #[test]
    fn full_disk_names_the_file_and_the_space_needed() {
        let e = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let err = write_error(Path::new("models/ggml-tiny.en.bin"), e, 78 << 20);
        assert!(
            matches!(err, ModelError::NoSpace { needed_mb: 78, .. }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("models/ggml-tiny.en.bin") && msg.contains("78 MB") && !msg.contains('\n'),
            "{msg}"
        );
    }

    #[test]
    fn writing_to_a_full_device_gives_no_space() {
        // /dev/full fails every write with ENOSPC: the real error path, end to end.
        let Ok(f) = OpenOptions::new().write(true).open("/dev/full") else {
            return;
        };
        let mut w = BufWriter::new(f);
        let e = w
            .write_all(&[0u8; 1 << 16])
            .and_then(|_| w.flush())
            .unwrap_err();
        assert!(matches!(
            write_error(Path::new("x"), e, 1),
            ModelError::NoSpace { .. }
        ));
    }
}
