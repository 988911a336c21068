//! Stand-in `kube-apiserver` binary (filled in below).
fn main() {}
