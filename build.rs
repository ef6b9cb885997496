//! Rebuilds the crate when a page or the SDK's bundle changes: they are
//! compiled into the binary (src/net/assets.rs), and cargo would otherwise
//! notice only edits to files that were already there, not new ones.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=assets/web");
    // A path that does not exist would rerun this script on every build:
    // before the SDK is built, watch the folder it will appear in.
    for dir in ["assets/sdk/dist", "assets/sdk", "assets"] {
        if Path::new(dir).exists() {
            println!("cargo:rerun-if-changed={dir}");
            break;
        }
    }
}
