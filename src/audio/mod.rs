//! Audio helpers: cpal devices and the one sample-format dispatch (`device`), sample
//! conversion and resampling to 16 kHz mono, WAV loading, test signals.
pub mod device;
pub mod resample;
pub mod signals;
pub mod wav;

/// Runs `f` with file descriptor 2 pointed at /dev/null: the C audio libraries (ALSA) print
/// pages of diagnostics while probing a machine without sound cards; we report one line.
pub fn with_stderr_silenced<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: dup/open/dup2/close on descriptors we own; fd 2 is restored before returning.
    unsafe {
        let saved = libc::dup(2);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if saved < 0 || null < 0 {
            if saved >= 0 {
                libc::close(saved);
            }
            if null >= 0 {
                libc::close(null);
            }
            return f();
        }
        libc::dup2(null, 2);
        libc::close(null);
        let r = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        r
    }
}
