//! Reading a bundled game's `[settings]`: the checks every game applies the
//! same way, so that a misspelt or mistyped setting stops the server at
//! start-up instead of being ignored. The ranges are each game's own.

/// Refuses a key that is not in `known`.
pub fn only_known(settings: &toml::Table, known: &[&str]) -> Result<(), String> {
    match settings.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(format!("unknown setting `{key}` (known: {})", known.join(", "))),
        None => Ok(()),
    }
}

/// The number at `key`, a float or a whole number, or `default` if absent;
/// `what` names the kind of number in the error ("a number of seconds").
pub fn number(settings: &toml::Table, key: &str, default: f64, what: &str) -> Result<f64, String> {
    match settings.get(key) {
        None => Ok(default),
        Some(v) => v
            .as_float()
            .or_else(|| v.as_integer().map(|i| i as f64))
            .ok_or_else(|| format!("setting `{key}` must be {what}")),
    }
}
