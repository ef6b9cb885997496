//! Static files compiled into the binary: the lobby and game pages
//! (assets/web) and the JavaScript SDK's bundle (assets/sdk/dist), so that
//! `parlor serve` needs no files beside it, from any working directory.
//!
//! Routes:
//! - `/`: the lobby (assets/web/index.html);
//! - `/play/{game}`: the page of a game this server hosts
//!   (assets/web/games/{game}.html);
//! - `/sdk/{file}`: the SDK bundle at a stable path, e.g. `/sdk/parlor.js`;
//! - `/web/{file}`: the pages' scripts and styles.
//!
//! Nothing is fingerprinted, so every file is sent with `Cache-Control:
//! no-cache` and an `ETag` (from the file's SHA-256): browsers revalidate
//! each time and get `304 Not Modified` while the binary is the same.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::{EmbeddedFile, RustEmbed};

use super::AppState;

/// The pages: assets/web.
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
pub async fn lobby(headers: HeaderMap) -> Response {
    serve(Web::get("index.html"), "index.html", &headers)
}

/// `GET /play/{game}`: the game's page, or 404 for a game this server does
/// not host or one without a page.
pub async fn play(State(state): State<AppState>, Path(game): Path<String>, headers: HeaderMap) -> Response {
    if state.catalog.get(&game).is_none() {
        return not_found_text(format!(
            "No game named {game:?} on this server; the lobby at / lists its games.\n"
        ));
    }
    if !has_page(&game) {
        return not_found_text(format!(
            "The game {game:?} has no page on this server; clients can still play it over /ws.\n"
        ));
    }
    let file = page_file(&game);
    serve(Web::get(&file), &file, &headers)
}

/// Whether the binary holds a page for `game`.
pub fn has_page(game: &str) -> bool {
    Web::get(&page_file(game)).is_some()
}

fn page_file(game: &str) -> String {
    format!("games/{game}.html")
}

/// `GET /sdk/{file}`: the SDK bundle.
pub async fn sdk(Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve(Sdk::get(&file), &file, &headers)
}

/// `GET /web/{file}`: a page asset.
pub async fn web(Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve(Web::get(&file), &file, &headers)
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
    let Some(file) = file else {
        return not_found_text(format!("No file {path:?} here.\n"));
    };
    let etag = etag(&file.metadata.sha256_hash());
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
        file.data,
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
