//! The cost of signing a player in: checking Telegram initData by its
//! `hash` (HMAC-SHA256 with the bot token) and by its Ed25519 `signature`,
//! and checking a session token, beside the floor of one bare HMAC-SHA256
//! of the same data (the ratio is what to compare across machines).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use parlor::auth::{SessionClaims, SessionKey, TelegramAuth};
use sha2::Sha256;

// Public vectors (the sources are cited in src/auth/init_data.rs tests):
// Telegram-Mini-Apps/init-data-golang validate_test.go (hash) and
// validate_third_party_test.go (signature by Telegram's production key).
const TOKEN: &str = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8";
const HASHED: &str = "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%7D&auth_date=1662771648&hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2";
const HASHED_AT: u64 = 1_662_771_648;
const SIGNED_BOT: u64 = 7342037359;
const SIGNED_AT: u64 = 1733584787;
const SIGNED: &str = "user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2Ft.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D&chat_instance=8134722200314281151&chat_type=private&auth_date=1733584787&signature=zL-ucjNyREiHDE8aihFwpfR9aggP2xiAo3NSpfe-p7IbCisNlDKlo7Kb6G4D0Ao2mBrSgEk4maLSdv6MLIlADQ";

fn sign_in(c: &mut Criterion) {
    let mut group = c.benchmark_group("auth");
    group.measurement_time(Duration::from_secs(3));

    group.bench_function("baseline_one_hmac_sha256_of_the_init_data", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(TOKEN.as_bytes()).unwrap();
            mac.update(std::hint::black_box(HASHED).as_bytes());
            mac.finalize()
        })
    });

    let by_token = TelegramAuth::new(Some(TOKEN.into()), None, Duration::ZERO, false);
    assert!(by_token.verify(HASHED, HASHED_AT).is_ok());
    group.bench_function("init_data_hash", |b| {
        b.iter(|| by_token.verify(std::hint::black_box(HASHED), HASHED_AT))
    });

    let by_id = TelegramAuth::new(None, Some(SIGNED_BOT), Duration::ZERO, false);
    assert!(by_id.verify(SIGNED, SIGNED_AT).is_ok());
    group.bench_function("init_data_ed25519_signature", |b| {
        b.iter(|| by_id.verify(std::hint::black_box(SIGNED), SIGNED_AT))
    });

    let key = SessionKey::from_bytes([7; 32]);
    let token = key.issue(&SessionClaims {
        player_id: "tg:279058397".into(),
        name: "Vladislav Kibenko".into(),
        expires: u64::MAX,
        chat_instance: Some("8134722200314281151".into()),
        sid: parlor::auth::new_session_id(),
        generation: 0,
        started: 0,
    });
    group.bench_function("session_token", |b| {
        b.iter(|| key.verify(std::hint::black_box(&token), 0))
    });
    group.finish();
}

criterion_group!(benches, sign_in);
criterion_main!(benches);
