//! The web app is embedded from `frontend/dist` at compile time (rust-embed): rebuild when it
//! changes, and when it first appears after a build made without it.
fn main() {
    println!("cargo:rerun-if-changed=frontend/dist");
}
