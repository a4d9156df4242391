//! `book`: build the mdBook; fail on any warning and on any broken link or anchor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup::MDBOOK_VERSION;
use crate::shell::{capture, workspace_root};

pub fn book() -> Result<(), String> {
    let version = capture("mdbook", &["--version"]).unwrap_or_default();
    if version.trim() != format!("mdbook v{MDBOOK_VERSION}") {
        return Err(format!(
            "mdbook {MDBOOK_VERSION} is needed (found {:?}); run cargo xtask setup",
            version.trim()
        ));
    }
    let book_dir = workspace_root().join("book");
    println!("+ mdbook build {}", book_dir.display());
    let output = Command::new("mdbook")
        .arg("build")
        .arg(&book_dir)
        .output()
        .map_err(|e| format!("cannot run mdbook: {e}"))?;
    let log = String::from_utf8_lossy(&output.stderr);
    print!("{log}");
    if !output.status.success() {
        return Err("mdbook build failed".into());
    }
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    if !warnings.is_empty() {
        return Err(format!("mdbook printed {} warning(s)", warnings.len()));
    }
    let broken = check_links(&book_dir.join("build"))?;
    if !broken.is_empty() {
        for link in &broken {
            eprintln!("broken link: {link}");
        }
        return Err(format!("{} broken link(s) in the book", broken.len()));
    }
    println!("book: built with no warnings, every link and anchor resolves");
    Ok(())
}

/// Every relative `href`/`src` in the generated HTML must name an existing file, and every
/// `#fragment` an `id` in that file. Links to other sites are not followed (no network).
fn check_links(build: &Path) -> Result<Vec<String>, String> {
    let pages = html_files(build);
    let mut ids: HashMap<PathBuf, Vec<String>> = HashMap::new();
    let mut broken = Vec::new();
    for page in &pages {
        let html = std::fs::read_to_string(page).map_err(|e| format!("{}: {e}", page.display()))?;
        for link in attribute_values(&html, "href").chain(attribute_values(&html, "src")) {
            if link.contains("://")
                || link.starts_with("mailto:")
                || link.starts_with("javascript:")
                || link.starts_with("data:")
            {
                continue;
            }
            let (path_part, fragment) = match link.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (link.as_str(), None),
            };
            let path_part = path_part.split('?').next().unwrap_or_default();
            let target = if path_part.is_empty() {
                page.clone()
            } else if let Some(from_root) = path_part.strip_prefix('/') {
                // Site-absolute (mdBook's 404 page has `<base href="/">`): the book's root.
                build.join(from_root)
            } else {
                page.parent().unwrap_or(build).join(path_part)
            };
            let target = if target.is_dir() {
                target.join("index.html")
            } else {
                target
            };
            if !target.is_file() {
                broken.push(format!("{} -> {link}", relative(page, build)));
                continue;
            }
            if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                let known = ids.entry(target.clone()).or_insert_with(|| {
                    let text = std::fs::read_to_string(&target).unwrap_or_default();
                    attribute_values(&text, "id").collect()
                });
                if !known.iter().any(|id| id == fragment) {
                    broken.push(format!(
                        "{} -> {link} (no such anchor)",
                        relative(page, build)
                    ));
                }
            }
        }
    }
    Ok(broken)
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(html_files(&path));
        } else if path.extension().is_some_and(|e| e == "html") {
            files.push(path);
        }
    }
    files
}

/// The values of `name="..."` attributes in an HTML text.
fn attribute_values(html: &str, name: &str) -> std::vec::IntoIter<String> {
    let pattern = format!(" {name}=\"");
    let values: Vec<String> = html
        .match_indices(&pattern)
        .filter_map(|(at, _)| {
            let rest = &html[at + pattern.len()..];
            rest.find('"').map(|end| rest[..end].replace("&amp;", "&"))
        })
        .collect();
    values.into_iter()
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}
