//! The `parlor` command: the engine with the bundled games, run by
//! [`parlor::App`] as a publisher's own binary would be.

fn main() -> std::process::ExitCode {
    parlor::App::new().games(parlor::games::register).run()
}
