//! Build script: embeds the web apps under `src/ui/` into the binary.
//!
//! For every file it writes a gzip copy into OUT_DIR and generates `ui_assets.rs`: a table of
//! (path, content type, raw bytes, gzip bytes, ETag). The build id is a hash over every file;
//! `%BUILD%` in HTML shells, the manifest and the service worker is replaced by it, so the
//! shells always point at `/a/<build>/…` URLs whose content can never change (cached forever),
//! while the shells themselves are revalidated. Invariant: the generated table is a pure
//! function of the files under `src/ui/`; no Node or network is needed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// FNV-1a 64: a stable content hash for ETags and the build id (not a security boundary).
fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "ico" => "image/x-icon",
        other => panic!("src/ui: no content type for .{other} files; add one to build.rs"),
    }
}

/// Files whose text may carry the `%BUILD%` placeholder.
fn substitutes(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("html" | "webmanifest")
    ) || p.file_name().and_then(|n| n.to_str()) == Some("sw.js")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if !p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let ui = root.join("src/ui");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-changed=src/ui");
    let mut files = Vec::new();
    walk(&ui, &mut files);
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }

    let mut build = FNV_START;
    let mut raw_files = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&ui)
            .expect("under src/ui")
            .to_str()
            .expect("UTF-8 file names under src/ui")
            .replace('\\', "/");
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("read {}: {e}", f.display()));
        build = fnv(rel.as_bytes(), build);
        build = fnv(&bytes, build);
        raw_files.push((rel, f.clone(), bytes));
    }
    let build_id = format!("{:012x}", build & 0xffff_ffff_ffff);

    let mut table = String::new();
    writeln!(table, "pub const BUILD_ID: &str = \"{build_id}\";").expect("string write");
    writeln!(table, "pub static ASSETS: &[Asset] = &[").expect("string write");
    for (i, (rel, path, bytes)) in raw_files.into_iter().enumerate() {
        let ctype = content_type(&path);
        let (raw_path, body) = if substitutes(&path) {
            let text = String::from_utf8(bytes).expect("text asset is UTF-8");
            let body = text.replace("%BUILD%", &build_id).into_bytes();
            let p = out.join(format!("ui_{i}.raw"));
            std::fs::write(&p, &body).expect("write substituted asset");
            (p, body)
        } else {
            (path, bytes)
        };
        let gz_path = out.join(format!("ui_{i}.gz"));
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&body).expect("gzip in memory");
        let gz = enc.finish().expect("gzip in memory");
        // Already-compressed formats (PNG) do not shrink: serve those as they are.
        let gz_expr = if ctype != "image/png" && gz.len() + 64 < body.len() {
            std::fs::write(&gz_path, &gz).expect("write gzip asset");
            format!("include_bytes!({:?})", gz_path.display().to_string())
        } else {
            "&[]".to_string()
        };
        let etag = format!("\"{:016x}\"", fnv(&body, FNV_START));
        writeln!(
            table,
            "    Asset {{ path: {rel:?}, content_type: {ctype:?}, raw: include_bytes!({raw:?}), gzip: {gz_expr}, etag: {etag:?} }},",
            raw = raw_path.display().to_string(),
        )
        .expect("string write");
    }
    writeln!(table, "];").expect("string write");
    std::fs::write(out.join("ui_assets.rs"), table).expect("write ui_assets.rs");
}
