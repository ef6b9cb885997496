//! A 32-byte secret kept in a file of the data directory (the session key,
//! the results signing key): read it, or create it so that a crash never
//! leaves half a key and a key another process made meanwhile is never
//! replaced.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Reads `dir/file`, or creates it: `dir` if missing, then 32 random bytes
/// written to a temporary file (mode 0600 on unix), synced, and moved into
/// place. A file of the wrong size is an error (`what` names the key in
/// it), never silently replaced.
pub fn load_or_create(dir: &Path, file: &str, what: &str) -> io::Result<[u8; 32]> {
    fs::create_dir_all(dir)?;
    let path = dir.join(file);
    match read(&path, what) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        found => return found,
    }
    let key: [u8; 32] = rand::random();
    let temp = dir.join(format!("{file}.{:016x}.tmp", rand::random::<u64>()));
    if let Err(e) = write_private(&temp, &key) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    // A hard link is a rename that refuses to replace an existing file.
    let published = match fs::hard_link(&temp, &path) {
        Ok(()) => fs::remove_file(&temp).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => fs::remove_file(&temp).map(|()| false),
        // A file system without hard links.
        Err(_) => fs::rename(&temp, &path).map(|()| true),
    };
    if !published? {
        return read(&path, what);
    }
    sync_dir(dir);
    Ok(key)
}

/// The 32 bytes of `path`.
pub fn read(path: &Path, what: &str) -> io::Result<[u8; 32]> {
    let bytes = fs::read(path)?;
    bytes.try_into().map_err(|bytes: Vec<u8>| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} holds {} bytes, not a 32-byte {what}; move it away to make a new key",
                path.display(),
                bytes.len()
            ),
        )
    })
}

/// Creates `path` (it must not exist) readable by the owner only, writes
/// `bytes` and syncs them to disk.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes a new directory entry durable (best effort; unix only).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
