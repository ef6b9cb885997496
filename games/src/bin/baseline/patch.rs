//! What the two load baselines (raw-baseline and floor) send: the same
//! padded `patch` of no game, so benches/compare.sh compares servers, not
//! frames.

use parlor::protocol::frames;

/// The empty lists a patch of no game carries (also its `joined` schema).
pub const EMPTY: [u8; 1] = [0x90];

/// A patch map without its `ack`, padded so that the frame with a 5-byte
/// ack is `size` bytes.
pub fn patch_prefix(size: usize) -> Vec<u8> {
    let base = |pad: usize| {
        let lists = frames::PatchLists {
            ch: &EMPTY,
            rm: &EMPTY,
            gone: &EMPTY,
            r: None,
        };
        let mut w = frames::patch_prefix(1 << 20, &lists).to_vec();
        // The prefix's map already counts the "ack" the frame ends with;
        // one more entry for "pad".
        w[0] += 1;
        rmp::encode::write_str(&mut w, "pad").expect("vec");
        rmp::encode::write_bin(&mut w, &vec![0u8; pad]).expect("vec");
        w
    };
    let fixed = base(0).len() + 4 + 5; // "ack" key and a u32
    let mut pad = size.saturating_sub(fixed);
    // The bin header grows past 255 bytes; settle on the exact size.
    while base(pad).len() + 9 > size && pad > 0 {
        pad -= 1;
    }
    base(pad)
}
