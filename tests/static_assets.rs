//! The pages and the SDK bundle compiled into the binary, over real HTTP:
//! content types, caching headers, conditional requests and 404s.

mod common;

use std::collections::HashMap;

use common::{get_json, Client, TestServer};
use parlor::catalog::ManifestSource;
use parlor::manifest::Manifest;
use parlor::simulation::{Game, RoomBuilder};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response: status, headers (names in lower case) and body.
struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request with `extra` header lines, read to the end. The
/// server sends a length for these bodies, never chunks.
async fn request(server: &TestServer, method: &str, path: &str, extra: &[(&str, &str)]) -> Reply {
    let addr = server.server.addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(common::PATIENCE, stream.read_to_end(&mut raw))
        .await
        .expect("the server answers in time")
        .unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head") + 4;
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let reply = Reply {
        status,
        headers,
        body: raw[split..].to_vec(),
    };
    if method != "HEAD" && reply.status != 304 {
        assert_eq!(
            reply.header("content-length").parse::<usize>().ok(),
            Some(reply.body.len()),
            "{path}: a body of the announced length"
        );
    }
    reply
}

async fn get(server: &TestServer, path: &str) -> Reply {
    request(server, "GET", path, &[]).await
}

/// Asserts an embedded file's type and revalidation headers.
fn assert_asset(reply: &Reply, path: &str, content_type: &str) {
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    assert_eq!(reply.header("content-type"), content_type, "{path}");
    assert_eq!(reply.header("cache-control"), "no-cache", "{path}");
    assert_eq!(reply.header("x-content-type-options"), "nosniff", "{path}");
    let etag = reply.header("etag");
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "{path}: ETag {etag:?}"
    );
}

#[tokio::test]
async fn pages_are_html_that_browsers_revalidate() {
    let server = TestServer::start().await;
    let lobby = get(&server, "/").await;
    assert_asset(&lobby, "/", "text/html; charset=utf-8");
    let text = lobby.text();
    assert!(
        text.contains("/web/lobby.js") && text.contains("<title>Parlor</title>"),
        "{text}"
    );

    for game in ["tictactoe", "arena", "trivia", "eights"] {
        let path = format!("/play/{game}");
        let page = get(&server, &path).await;
        assert_asset(&page, &path, "text/html; charset=utf-8");
        assert!(page.text().contains(&format!("/web/games/{game}.js")), "{path}");
    }
    // Query strings (a room code) do not change the page.
    let with_room = get(&server, "/play/tictactoe?room=ABC234").await;
    assert_eq!(with_room.status, 200);
}

#[tokio::test]
async fn page_assets_have_their_content_types() {
    let server = TestServer::start().await;
    for (path, content_type) in [
        ("/web/app.js", "text/javascript; charset=utf-8"),
        ("/web/lobby.js", "text/javascript; charset=utf-8"),
        ("/web/games/tictactoe.js", "text/javascript; charset=utf-8"),
        ("/web/games/arena.js", "text/javascript; charset=utf-8"),
        ("/web/games/trivia.js", "text/javascript; charset=utf-8"),
        ("/web/games/eights.js", "text/javascript; charset=utf-8"),
        ("/web/style.css", "text/css; charset=utf-8"),
    ] {
        assert_asset(&get(&server, path).await, path, content_type);
    }
}

#[tokio::test]
async fn the_sdk_is_served_at_a_stable_path_with_an_etag() {
    let server = TestServer::start().await;
    let js = get(&server, "/sdk/parlor.js").await;
    assert_eq!(
        js.status, 200,
        "the binary holds no SDK bundle: run `npm ci && npm run build` in assets/sdk, then rebuild"
    );
    assert_asset(&js, "/sdk/parlor.js", "text/javascript; charset=utf-8");
    assert!(js.text().contains("export"), "an ES module");
    let types = get(&server, "/sdk/parlor.d.ts").await;
    assert_asset(&types, "/sdk/parlor.d.ts", "application/typescript; charset=utf-8");

    // Revalidation: the same tag gets 304 with no body, another tag the file.
    let etag = js.header("etag").to_owned();
    let again = request(&server, "GET", "/sdk/parlor.js", &[("If-None-Match", &etag)]).await;
    assert_eq!((again.status, again.body.len()), (304, 0));
    assert_eq!(
        (again.header("etag"), again.header("cache-control")),
        (etag.as_str(), "no-cache")
    );
    let weak = request(
        &server,
        "GET",
        "/sdk/parlor.js",
        &[("If-None-Match", &format!("W/{etag}"))],
    )
    .await;
    assert_eq!(weak.status, 304);
    let other = request(&server, "GET", "/sdk/parlor.js", &[("If-None-Match", "\"0000\"")]).await;
    assert_eq!((other.status, other.body.len()), (200, js.body.len()));
    // Different files, different tags.
    assert_ne!(types.header("etag"), etag);
}

#[tokio::test]
async fn unknown_games_and_paths_get_404_with_a_clear_body() {
    let server = TestServer::start().await;
    for (path, says) in [
        ("/play/chess", "No game named \"chess\""),
        ("/web/nothing.js", "No file \"nothing.js\""),
        ("/sdk/nothing.js", "No file \"nothing.js\""),
        ("/nothing/here", "Nothing at /nothing/here"),
        ("/play/tictactoe/extra", "Nothing at /play/tictactoe/extra"),
    ] {
        let reply = get(&server, path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.header("content-type"), "text/plain; charset=utf-8", "{path}");
        assert!(reply.text().contains(says), "{path}: {}", reply.text());
    }
    // The JSON API keeps its own JSON errors.
    let (status, body) = get_json(&server.http("/api/leaderboard/chess")).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("no_such_game")));
}

/// A publisher's game the binary has no page for.
struct Pageless;

impl Game for Pageless {
    type Input = ();
    type Settings = parlor::simulation::NoSettings;
    const NAME: &'static str = "pageless";
    fn build(_: &mut RoomBuilder) {}
}

#[tokio::test]
async fn a_hosted_game_without_a_page_gets_the_live_state_page() {
    let mut catalog = parlor_games::bundled(&ManifestSource::Bundled).unwrap();
    let manifest = Manifest::parse("name = \"pageless\"\nmin_players = 1\nmax_players = 2\n").unwrap();
    catalog.add::<Pageless>(manifest).unwrap();
    let server = TestServer::start_with(|_| {}, Some(catalog)).await;

    let reply = get(&server, "/play/pageless").await;
    assert_asset(&reply, "/play/pageless", "text/html; charset=utf-8");
    assert!(reply.text().contains("/web/state.js"), "{}", reply.text());
    let script = get(&server, "/web/state.js").await;
    assert_asset(&script, "/web/state.js", "text/javascript; charset=utf-8");
    let (_, games) = get_json(&server.http("/api/games")).await;
    for game in games.as_array().unwrap() {
        let name = game["name"].as_str().unwrap();
        assert_eq!(game["page"], format!("/play/{name}"), "{name}");
    }
}

/// With a pages directory, its files come first: a game's page, the
/// lobby and any file under /web/; the rest is the built-in pages, and no
/// path reaches outside the directory.
#[tokio::test]
async fn a_pages_directory_is_served_before_the_built_in_pages() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("secret.txt"), "outside").unwrap();
    let pages = root.path().join("pages");
    std::fs::create_dir_all(pages.join("games")).unwrap();
    std::fs::create_dir_all(pages.join("img")).unwrap();
    std::fs::write(pages.join("games/tictactoe.html"), "<p>our tic-tac-toe</p>").unwrap();
    std::fs::write(pages.join("index.html"), "<p>our lobby</p>").unwrap();
    std::fs::write(pages.join("img/logo.svg"), "<svg/>").unwrap();
    let dir = pages.clone();
    let server = TestServer::start_with(move |c| c.web.pages = Some(dir), None).await;

    let page = get(&server, "/play/tictactoe").await;
    assert_asset(&page, "/play/tictactoe", "text/html; charset=utf-8");
    assert_eq!(page.text(), "<p>our tic-tac-toe</p>");
    assert_eq!(get(&server, "/").await.text(), "<p>our lobby</p>");
    let logo = get(&server, "/web/img/logo.svg").await;
    assert_asset(&logo, "/web/img/logo.svg", "image/svg+xml");
    // The ETag works for files on disk too.
    let etag = logo.header("etag").to_owned();
    let again = request(&server, "GET", "/web/img/logo.svg", &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, 304);
    // What the directory does not have is built in.
    let arena = get(&server, "/play/arena").await;
    assert!(arena.text().contains("/web/games/arena.js"), "{}", arena.text());
    assert_asset(
        &get(&server, "/web/app.js").await,
        "/web/app.js",
        "text/javascript; charset=utf-8",
    );
    // Nothing outside it.
    for path in [
        "/web/../secret.txt",
        "/web/%2e%2e/secret.txt",
        "/web/img/..%2F..%2Fsecret.txt",
        "/web/..%5Csecret.txt",
    ] {
        let reply = get(&server, path).await;
        assert!(!reply.text().contains("outside"), "{path}: {}", reply.text());
    }
}

#[tokio::test]
async fn a_room_code_tells_its_game_and_page_but_a_private_room_only_to_its_invite() {
    let server = TestServer::start().await;
    let (mut host, _) = Client::guest(&server.ws_url(), "Host").await;
    host.send(json!({"t": "create", "game": "tictactoe"})).await;
    let code = host.expect("joined").await["room"].as_str().unwrap().to_owned();
    let (status, room) = get_json(&server.http(&format!("/api/rooms/{}", code.to_lowercase()))).await;
    assert_eq!(status, 200);
    assert_eq!(
        room,
        json!({"code": code, "game": "tictactoe", "page": "/play/tictactoe"})
    );

    let (mut other, _) = Client::guest(&server.ws_url(), "Other").await;
    other
        .send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    let joined = other.expect("joined").await;
    let (code, invite) = (joined["room"].as_str().unwrap(), joined["invite"].as_str().unwrap());
    // The code alone shows nothing: as if there were no such room.
    let (status, hidden) = get_json(&server.http(&format!("/api/rooms/{code}"))).await;
    assert_eq!((status, hidden["error"].as_str()), (404, Some("no_such_room")));
    let wrong = format!("{code}-{}", "2".repeat(16));
    assert_eq!(get_json(&server.http(&format!("/api/rooms/{wrong}"))).await.0, 404);
    let (status, room) = get_json(&server.http(&format!("/api/rooms/{}", invite.to_lowercase()))).await;
    assert_eq!(status, 200);
    assert_eq!(
        room,
        json!({"code": code, "game": "tictactoe", "page": "/play/tictactoe"})
    );
    let (status, missing) = get_json(&server.http("/api/rooms/ZZZZZZ")).await;
    assert_eq!((status, missing["error"].as_str()), (404, Some("no_such_room")));
}

#[tokio::test]
async fn head_requests_get_the_headers_only() {
    let server = TestServer::start().await;
    let reply = request(&server, "HEAD", "/play/arena", &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "text/html; charset=utf-8");
    assert!(reply.body.is_empty());
}

/// A page elsewhere imports the SDK as a module, which the browser fetches
/// in CORS mode: the SDK carries `Access-Control-Allow-Origin`, a preflight
/// is answered, and the pages' own files stay same-origin.
#[tokio::test]
async fn the_sdk_can_be_imported_by_a_page_on_another_origin() {
    let server = TestServer::start().await;
    let origin = ("Origin", "https://games.example.com");
    let js = request(&server, "GET", "/sdk/parlor.js", &[origin]).await;
    assert_asset(&js, "/sdk/parlor.js", "text/javascript; charset=utf-8");
    assert_eq!(js.header("access-control-allow-origin"), "*");
    let preflight = request(
        &server,
        "OPTIONS",
        "/sdk/parlor.js",
        &[origin, ("Access-Control-Request-Method", "GET")],
    )
    .await;
    assert_eq!(preflight.status, 200, "{}", preflight.text());
    assert_eq!(preflight.header("access-control-allow-origin"), "*");
    assert!(preflight.header("access-control-allow-methods").contains("GET"));
    let page = request(&server, "GET", "/play/tictactoe", &[origin]).await;
    assert_eq!(page.header("access-control-allow-origin"), "");
}

/// A websocket upgrade with the given `Origin` header (none for `None`):
/// the HTTP status the server answered.
async fn upgrade_status(server: &TestServer, origin: Option<&str>) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut upgrade = format!("ws://{}/ws", server.server.addr())
        .into_client_request()
        .unwrap();
    if let Some(origin) = origin {
        upgrade.headers_mut().insert("origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(upgrade).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("the upgrade failed without an HTTP answer: {e}"),
    }
}

/// With `[web] allowed_origins` set, a page from another site cannot open
/// a websocket (403, counted), while listed origins, the server's own
/// pages and clients that send no `Origin` (not browsers) still can.
#[tokio::test]
async fn websockets_from_origins_not_allowed_are_refused() {
    let server = TestServer::start_with(
        |c| c.web.allowed_origins = vec!["https://games.example.com".into()],
        None,
    )
    .await;
    let own = format!("http://{}", server.server.addr());
    assert_eq!(upgrade_status(&server, Some("https://evil.example")).await, 403);
    assert_eq!(
        upgrade_status(&server, Some("https://games.example.com.evil.example")).await,
        403
    );
    assert_eq!(upgrade_status(&server, Some("https://games.example.com")).await, 101);
    assert_eq!(upgrade_status(&server, Some("https://GAMES.example.com/")).await, 101);
    assert_eq!(upgrade_status(&server, Some(&own)).await, 101);
    assert_eq!(upgrade_status(&server, None).await, 101);
    let metrics = common::prometheus::metrics_of(&server);
    assert_eq!(
        metrics.value("parlor_connections_refused_total", &[("limit", "origin")]),
        2.0
    );

    // Without a list, any page may connect (the default).
    let open = TestServer::start().await;
    assert_eq!(upgrade_status(&open, Some("https://evil.example")).await, 101);
}
