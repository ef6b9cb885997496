//! Static files compiled into the binary: the lobby and game pages
//! (assets/web) and the JavaScript SDK's bundle (assets/sdk/dist), so that
//! `parlor serve` needs no files beside it, from any working directory.
//!
//! A publisher's directory of pages (`[web] pages`, `--pages`,
//! `App::pages`) is looked in first, on each request, so an edited file
//! shows on the next reload; then the binary's own compiled-in pages
//! (`App::embedded_pages`); then the built-in ones here.
//!
//! Routes:
//! - `/`: the lobby (`index.html` of the pages, else
//!   assets/web/index.html);
//! - `/play/{game}`: the page of a game this server hosts (`games/{game}.html`
//!   of the pages, else assets/web/state.html: the game's replicated
//!   state, live, for a game with no page yet);
//! - `/sdk/{file}`: the SDK bundle at a stable path, e.g. `/sdk/parlor.js`;
//! - `/web/{file}`: the pages' scripts, styles, images and sounds.
//!
//! Nothing is fingerprinted, so every file is sent with `Cache-Control:
//! no-cache` and an `ETag` (from the file's SHA-256): browsers revalidate
//! each time and get `304 Not Modified` while the binary is the same.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::{EmbeddedFile, RustEmbed};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

use super::AppState;

/// The built-in pages: assets/web (the lobby, the live state page, their
/// scripts and style).
#[derive(RustEmbed)]
#[folder = "assets/web/"]
struct Web;

/// The SDK's bundle: assets/sdk/dist, built by `npm run build` in
/// assets/sdk. A binary built without it serves 404 under /sdk/.
#[derive(RustEmbed)]
#[folder = "assets/sdk/dist/"]
#[allow_missing = true]
struct Sdk;

/// `Cache-Control` of every embedded file: revalidate with the ETag.
const REVALIDATE: &str = "no-cache";

/// `GET /`: the lobby.
pub async fn lobby(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page_or_built_in(&state, "index.html", &headers).await
}

/// `GET /play/{game}`: the game's page, or 404 for a game this server does
/// not host. A game without a page gets the live state page.
pub async fn play(State(state): State<AppState>, Path(game): Path<String>, headers: HeaderMap) -> Response {
    if state.catalog.get(&game).is_none() {
        return not_found_text(format!(
            "No game named {game:?} on this server; the lobby at / lists its games.\n"
        ));
    }
    // A hosted game's name is letters, digits, '-' and '_' (the manifest
    // rule): safe as a file name.
    let file = page_file(&game);
    if let Some(found) = publisher_file(&state, &file, &headers).await {
        return found;
    }
    serve(Web::get("state.html"), "state.html", &headers)
}

/// `GET /replay/{match}`: the match's game page, playing the recorded
/// match back (the page reads `?replay=` and watches it).
pub async fn replay(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let missing = || not_found_text(format!("No recorded match {id:?} on this server.\n"));
    // Match ids are hex; anything else is not one, and would need escaping.
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return missing();
    }
    match crate::replay::game_of(&*state.ledger, &id).await {
        Ok(Some(game)) if state.catalog.get(&game).is_some() => {
            axum::response::Redirect::to(&format!("/play/{game}?replay={id}")).into_response()
        }
        Ok(_) => missing(),
        Err(e) => {
            tracing::error!(error = %e, "reading a match for its replay failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The match could not be read; try again.\n",
            )
                .into_response()
        }
    }
}

fn page_file(game: &str) -> String {
    format!("games/{game}.html")
}

/// `GET /sdk/{file}`: the SDK bundle.
pub async fn sdk(Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve(Sdk::get(&file), &file, &headers)
}

/// `GET /web/{file}`: a page asset.
pub async fn web(State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    page_or_built_in(&state, &file, &headers).await
}

/// `file` of the publisher's pages, else the built-in one.
async fn page_or_built_in(state: &AppState, file: &str, headers: &HeaderMap) -> Response {
    match publisher_file(state, file, headers).await {
        Some(found) => found,
        None => serve(Web::get(file), file, headers),
    }
}

/// `relative` (a `/`-separated path) among the publisher's pages: in the
/// pages directory if there is one and the file is in it, else among the
/// binary's compiled-in pages. Only plain names are followed: an empty,
/// `.` or `..` segment, a backslash or a NUL finds nothing, so no request
/// reaches outside the directory.
async fn publisher_file(state: &AppState, relative: &str, headers: &HeaderMap) -> Option<Response> {
    let safe = relative
        .split('/')
        .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains(['\\', '\0']));
    if !safe {
        return None;
    }
    let web = &state.config.web;
    if let Some(dir) = &web.pages {
        if let Ok(data) = tokio::fs::read(dir.join(relative)).await {
            let hash: [u8; 32] = Sha256::digest(&data).into();
            return Some(serve_bytes(data.into(), &hash, relative, headers));
        }
    }
    let file = (web.embedded?.0)(relative)?;
    Some(serve(Some(file), relative, headers))
}

/// Everything no route matched.
pub async fn fallback(uri: Uri) -> Response {
    not_found_text(format!("Nothing at {}.\n", uri.path()))
}

fn not_found_text(body: String) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// An embedded file named `path`, honouring `If-None-Match`; 404 when
/// there is none.
fn serve(file: Option<EmbeddedFile>, path: &str, headers: &HeaderMap) -> Response {
    match file {
        Some(file) => serve_bytes(file.data, &file.metadata.sha256_hash(), path, headers),
        None => not_found_text(format!("No file {path:?} here.\n")),
    }
}

/// A file's bytes named `path`, whose SHA-256 is `hash`, honouring
/// `If-None-Match`.
fn serve_bytes(data: Cow<'static, [u8]>, hash: &[u8; 32], path: &str, headers: &HeaderMap) -> Response {
    let etag = etag(hash);
    let common = [
        (header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE)),
        (
            header::ETAG,
            HeaderValue::from_str(&etag).expect("hex is a valid header value"),
        ),
    ];
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches_etag(v, &etag))
    {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type(path))),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        data,
    )
        .into_response()
}

/// A strong ETag: the first 16 bytes of the SHA-256, in hex and quotes.
fn etag(hash: &[u8; 32]) -> String {
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &hash[..16] {
        tag.push_str(&format!("{byte:02x}"));
    }
    tag.push('"');
    tag
}

/// Whether an `If-None-Match` value (a list of tags, or `*`) names `etag`;
/// the comparison is weak, as RFC 9110 asks for this header.
fn matches_etag(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// The `Content-Type` for a file name.
fn content_type(path: &str) -> &'static str {
    if path.ends_with(".d.ts") || path.ends_with(".ts") {
        return "application/typescript; charset=utf-8";
    }
    match path.rsplit_once('.').map_or("", |(_, ext)| ext) {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_lists_weak_tags_and_star() {
        let tag = etag(&[0xab; 32]);
        assert_eq!(tag.len(), 34);
        assert!(matches_etag(&tag, &tag));
        assert!(matches_etag(&format!("\"x\", W/{tag}"), &tag));
        assert!(matches_etag("*", &tag));
        assert!(!matches_etag("\"x\"", &tag));
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(
            content_type("sdk/dist/parlor.d.ts"),
            "application/typescript; charset=utf-8"
        );
        assert_eq!(content_type("web/lobby.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("web/x"), "application/octet-stream");
    }
}
