//! Signing Telegram initData for tests, the way Telegram's servers do,
//! written from Telegram's description independently of src/auth.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The bot token the test servers are configured with.
pub const BOT_TOKEN: &str = "7342037359:AAHI25ES9xCOMPokpYoz-p8XVrZUdygo2J4";

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// initData with `fields` and a `hash` made with `bot_token`.
pub fn sign(bot_token: &str, fields: &[(&str, String)]) -> String {
    let mut sorted: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    sorted.sort();
    let secret = hmac(b"WebAppData", bot_token.as_bytes());
    let hash: String = hmac(&secret, sorted.join("\n").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        query.append_pair(k, v);
    }
    query.append_pair("hash", &hash);
    query.finish()
}

/// The fields of a launch from chat `chat` by user `id`, signed now.
pub fn launch(id: u64, first_name: &str, chat: Option<&str>) -> Vec<(&'static str, String)> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut fields = vec![
        ("auth_date", now.to_string()),
        ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc".to_owned()),
        (
            "user",
            format!(r#"{{"id":{id},"first_name":"{first_name}","username":"u{id}","language_code":"en"}}"#),
        ),
    ];
    if let Some(chat) = chat {
        fields.push(("chat_instance", chat.to_owned()));
        fields.push(("chat_type", "group".to_owned()));
    }
    fields
}
