//! Reading files whose names Ringside did not choose (a practitioner script, a scenario, a
//! session's `drill.json` or `session.json`): regular files only, with a size cap. A FIFO
//! would block the read (and once hung the daemon past SIGTERM), `/dev/zero` would fill
//! memory, and a symbolic link inside a session directory could point anywhere. Runs on the
//! caller's thread; a leaf module (imports nothing from the crate).

use std::io::Read;
use std::path::Path;

/// Whether the last component of a path may be a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// A path the user gave (e.g. `--practitioner ~/script.txt`): links are theirs to make.
    Follow,
    /// A file inside one of Ringside's own folders (a session, the scenarios folder): a link
    /// there was planted, never made by Ringside, so it is refused.
    Refuse,
}

/// What a non-regular file is, for messages.
fn kind(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "a named pipe"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

/// Opens `path` for reading if it is a regular file (`fstat` on the open descriptor, so
/// nothing can swap the file between the check and the read). The open never blocks
/// (`O_NONBLOCK`: a FIFO without a writer), and with [`Links::Refuse`] a symbolic link is
/// not followed (`O_NOFOLLOW`). Errors keep the `io::ErrorKind` of the cause (`NotFound`
/// stays `NotFound`); their text says what the file is, e.g. "is a named pipe, not a regular
/// file".
pub fn open_regular(path: &Path, links: Links) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) && links == Links::Refuse => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "is a symbolic link, which Ringside does not follow here; remove the link",
            ))
        }
        Err(e) => return Err(e),
    };
    let ft = file.metadata()?.file_type();
    if ft.is_file() {
        return Ok(file);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "is {}, not a regular file (pipes and devices are not read)",
            kind(ft)
        ),
    ))
}

/// Reads all of the regular file `path`, at most `max_bytes` (more is an error naming the
/// limit, nothing past it is read). See [`open_regular`].
pub fn read_regular(path: &Path, max_bytes: u64, links: Links) -> std::io::Result<Vec<u8>> {
    let f = open_regular(path, links)?;
    let len = f.metadata()?.len();
    let mut buf = Vec::with_capacity(len.min(max_bytes) as usize);
    f.take(max_bytes.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > max_bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("is larger than the {max_bytes}-byte limit for this file"),
        ));
    }
    Ok(buf)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_string(path: &Path, max_bytes: u64, links: Links) -> std::io::Result<String> {
    String::from_utf8(read_regular(path, max_bytes, links)?).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "is not UTF-8 text; save it as UTF-8",
        )
    })
}

/// Size caps of the small files Ringside reads (far above anything it writes).
pub const MAX_SCRIPT_BYTES: u64 = 1 << 20;
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;
pub const MAX_SESSION_JSON_BYTES: u64 = 16 << 20;
pub const MAX_DRILL_JSON_BYTES: u64 = 64 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_devices_links_and_big_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("f");
        std::fs::write(&f, b"hello").unwrap();
        assert_eq!(read_regular(&f, 5, Links::Refuse).unwrap(), b"hello");
        let e = read_regular(&f, 4, Links::Refuse).unwrap_err().to_string();
        assert!(e.contains("4-byte limit"), "{e}");
        let l = tmp.path().join("l");
        std::os::unix::fs::symlink(&f, &l).unwrap();
        assert_eq!(read_regular(&l, 5, Links::Follow).unwrap(), b"hello");
        let e = read_regular(&l, 5, Links::Refuse).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), 5, Links::Follow)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a device"), "{e}");
        let e = read_regular(tmp.path(), 5, Links::Follow).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let missing = read_regular(&tmp.path().join("none"), 5, Links::Refuse).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    }
}
