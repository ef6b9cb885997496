//! The `parlor` command: the engine with the bundled games and their
//! pages, run by [`parlor::App`] exactly as a publisher's own binary is.

fn main() -> std::process::ExitCode {
    parlor::App::new()
        .games(parlor_games::register)
        .embedded_pages(parlor_games::Pages::get)
        .run()
}
