//! What `images`, `history` and `inspect` show: rows gathered from the store, then printed
//! by pure functions (so the tables are snapshot-tested with fixed rows and a fixed "now").

use std::time::SystemTime;

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use serde_json::{json, Value};

use crate::digest::Digest;
use crate::format::{ago, decimal_size, table};
use crate::repositories::Repositories;
use crate::store::{Image, ImageStore};

/// One line of `docker images`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRow {
    pub repository: String,
    pub tag: String,
    pub id: Digest,
    pub created: Option<String>,
    pub size: u64,
}

/// One row per name (an unnamed image gets `<none>` twice), newest image first.
pub fn image_rows(store: &ImageStore) -> Result<Vec<ImageRow>, ContainerError> {
    let names = Repositories::load(store.root())?;
    let mut rows = Vec::new();
    for id in store.images.list() {
        let image = store.image(&id)?;
        let size = store.size(&image)?;
        let row = |repository: &str, tag: &str| ImageRow {
            repository: repository.to_owned(),
            tag: tag.to_owned(),
            id: id.clone(),
            created: image.config.created.clone(),
            size,
        };
        let tags = names.tags_of(&id);
        if tags.is_empty() {
            let repository = names
                .digests_of(&id)
                .first()
                .and_then(|name| name.split('@').next().map(str::to_owned))
                .unwrap_or_else(|| "<none>".to_owned());
            rows.push(row(&repository, "<none>"));
        }
        for name in tags {
            let (repository, tag) = name.rsplit_once(':').unwrap_or((&name, "<none>"));
            rows.push(row(repository, tag));
        }
    }
    rows.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then(a.repository.cmp(&b.repository))
            .then(a.tag.cmp(&b.tag))
    });
    Ok(rows)
}

// ANCHOR: images_table
/// `docker images`: REPOSITORY TAG IMAGE ID CREATED SIZE; `-q` prints IDs only, once each.
pub fn images_table(rows: &[ImageRow], now: SystemTime, no_trunc: bool, quiet: bool) -> String {
    let id = |row: &ImageRow| {
        if no_trunc {
            row.id.to_string()
        } else {
            row.id.short().to_owned()
        }
    };
    if quiet {
        let mut ids: Vec<String> = Vec::new();
        for row in rows {
            let shown = id(row);
            if !ids.contains(&shown) {
                ids.push(shown);
            }
        }
        return ids.iter().map(|id| format!("{id}\n")).collect();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                row.repository.clone(),
                row.tag.clone(),
                id(row),
                ago(row.created.as_deref(), now),
                decimal_size(row.size),
            ]
        })
        .collect();
    table(
        &["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
        &cells,
    )
}
// ANCHOR_END: images_table

/// One line of `docker history`, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The image this step produced, when the store has it; `<missing>` otherwise.
    pub image: Option<Digest>,
    pub created: Option<String>,
    pub created_by: String,
    pub size: u64,
    pub comment: String,
}

/// The image's history, each step with the layer it made (if any) and, where an image
/// of the store ends at that step (the image itself, the images it was committed on), its ID.
pub fn history_rows(store: &ImageStore, image: &Image) -> Result<Vec<HistoryRow>, ContainerError> {
    let layers = store.image_layers(image)?;
    let mut layer_sizes = layers.iter().map(|l| l.size);
    // Which image ends at which step: this one at the last, its parents at theirs.
    let mut ends: Vec<(usize, Digest)> = vec![(image.config.history.len(), image.id.clone())];
    let mut parent = store.images.parent(&image.id);
    while let Some(id) = parent {
        let Ok(parent_image) = store.image(&id) else {
            break;
        };
        ends.push((parent_image.config.history.len(), id.clone()));
        parent = store.images.parent(&id);
    }
    let mut rows = Vec::new();
    for (step, entry) in image.config.history.iter().enumerate() {
        let size = if entry.empty_layer {
            0
        } else {
            layer_sizes.next().unwrap_or(0)
        };
        rows.push(HistoryRow {
            image: ends
                .iter()
                .find(|(end, _)| *end == step + 1)
                .map(|(_, id)| id.clone()),
            created: entry.created.clone(),
            created_by: entry.created_by.clone(),
            size,
            comment: entry.comment.clone(),
        });
    }
    rows.reverse();
    Ok(rows)
}

/// `docker history`: IMAGE CREATED CREATED BY SIZE COMMENT; "created by" cut to 45
/// characters unless `--no-trunc`.
pub fn history_table(rows: &[HistoryRow], now: SystemTime, no_trunc: bool, quiet: bool) -> String {
    let id = |row: &HistoryRow| match &row.image {
        Some(id) if no_trunc => id.to_string(),
        Some(id) => id.short().to_owned(),
        None => "<missing>".to_owned(),
    };
    if quiet {
        return rows.iter().map(|row| format!("{}\n", id(row))).collect();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let created_by = if no_trunc || row.created_by.chars().count() <= 45 {
                row.created_by.clone()
            } else {
                let cut: String = row.created_by.chars().take(44).collect();
                format!("{cut}…")
            };
            vec![
                id(row),
                ago(row.created.as_deref(), now),
                created_by,
                decimal_size(row.size),
                row.comment.clone(),
            ]
        })
        .collect();
    table(
        &["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"],
        &cells,
    )
}

// ANCHOR: inspect
/// `docker image inspect`: the image as JSON, with docker's field names.
pub fn inspect(store: &ImageStore, image: &Image) -> Result<Value, ContainerError> {
    let names = Repositories::load(store.root())?;
    let layers = store.image_layers(image)?;
    let overlay = store.layers.overlay_store().dir();
    let mut graph_data = serde_json::Map::new();
    if let Some((top, below)) = layers.split_last() {
        let dir =
            |cache_id: &str, sub: &str| overlay.join(cache_id).join(sub).display().to_string();
        graph_data.insert("UpperDir".into(), json!(dir(&top.cache_id, "diff")));
        if !below.is_empty() {
            let lowers: Vec<String> = below
                .iter()
                .rev()
                .map(|l| dir(&l.cache_id, "diff"))
                .collect();
            graph_data.insert("LowerDir".into(), json!(lowers.join(":")));
        }
    }
    let config = &image.config;
    Ok(json!({
        "Id": image.id,
        "RepoTags": names.tags_of(&image.id),
        "RepoDigests": names.digests_of(&image.id),
        "Parent": store.images.parent(&image.id).map(|p| p.to_string()).unwrap_or_default(),
        "Comment": config.history.last().map(|h| h.comment.clone()).unwrap_or_default(),
        "Created": config.created.clone().unwrap_or_default(),
        "Author": config.author,
        "Config": config.config,
        "Architecture": config.architecture,
        "Os": config.os,
        "Size": store.size(image)?,
        "GraphDriver": {"Name": "overlay2", "Data": graph_data},
        "RootFS": {"Type": "layers", "Layers": config.rootfs.diff_ids},
    }))
}
// ANCHOR_END: inspect
