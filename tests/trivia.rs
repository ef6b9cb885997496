//! Trivia over real websockets: a twenty-player match down to the
//! leaderboard, refused answers, a question that ends as soon as everyone
//! has answered, and a player who leaves keeping their points.

mod common;

use std::collections::{HashMap, VecDeque};

use common::{get_json, Client, Mirror, TestServer};
use parlor::catalog::ManifestSource;
use serde_json::{json, Value};

/// A trivia manifest with the given seats and settings (seconds).
fn manifest(seats: (u32, u32), rounds: u32, question: f64, reveal: f64, lobby: f64) -> String {
    format!(
        "name = \"trivia\"\nmin_players = {}\nmax_players = {}\nrecord = true\n[settings]\nrounds = {rounds}\n\
         question_seconds = {question:?}\nreveal_seconds = {reveal:?}\nlobby_seconds = {lobby:?}\n",
        seats.0, seats.1
    )
}

/// The correct choice of every bundled question, by its text.
fn answer_key() -> HashMap<String, u64> {
    let bank: Value = serde_json::from_str(include_str!("../games/manifests/trivia/questions.json")).unwrap();
    bank.as_array()
        .unwrap()
        .iter()
        .map(|q| (q["text"].as_str().unwrap().to_owned(), q["answer"].as_u64().unwrap()))
        .collect()
}

/// One player: a client and its mirror of the room.
struct Seat {
    client: Client,
    mirror: Mirror,
    /// The room's code.
    room: String,
    /// What joins the room: its invite if private, else its code.
    invite: String,
    /// Events read while waiting for something else, oldest first.
    events: VecDeque<Value>,
}

impl Seat {
    /// A guest who sends `how` (`quick`, `create` or `join`) and is seated.
    async fn new(server: &TestServer, name: &str, how: Value) -> Seat {
        let (mut client, _) = Client::guest(&server.ws_url(), name).await;
        client.send(how).await;
        let mut mirror = Mirror::default();
        let joined = client.expect_mirrored(&mut mirror, "joined").await;
        let room = joined["room"].as_str().unwrap().to_owned();
        let invite = joined["invite"].as_str().unwrap_or(&room).to_owned();
        Seat {
            client,
            mirror,
            room,
            invite,
            events: VecDeque::new(),
        }
    }

    /// The next message, applied to the mirror.
    async fn next(&mut self) -> Value {
        let m = self.client.recv().await;
        self.mirror.apply(&m);
        m
    }

    /// Reads up to event `name` (failing on any error); returns its `d`.
    async fn event(&mut self, name: &str) -> Value {
        while let Some(m) = self.events.pop_front() {
            if m["name"] == name {
                return m["d"].clone();
            }
        }
        loop {
            let m = self.next().await;
            assert_ne!(m["t"], "error", "unexpected error waiting for {name}: {m}");
            if m["t"] == "event" && m["name"] == name {
                return m["d"].clone();
            }
        }
    }

    /// Reads up to the patch that acknowledges input `seq`; returns every
    /// message read, that patch last.
    async fn until_ack(&mut self, seq: u32) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let m = self.next().await;
            let done = m["t"] == "patch" && m["ack"].as_u64() >= Some(seq as u64);
            if m["t"] == "event" {
                self.events.push_back(m.clone());
            }
            seen.push(m);
            if done {
                return seen;
            }
        }
    }

    /// Answers; returns the messages up to the acknowledging patch, which
    /// must hold no error.
    async fn answer(&mut self, choice: u64) -> Vec<Value> {
        let seq = self.client.input(json!({ "answer": choice })).await;
        let seen = self.until_ack(seq).await;
        assert!(seen.iter().all(|m| m["t"] != "error"), "answer refused: {seen:?}");
        seen
    }

    /// Sends `d`, which the game must refuse with `why` and no change at all.
    async fn refused(&mut self, d: Value, why: &str) {
        let before = (self.mirror.entities.clone(), self.mirror.resources.clone());
        let seq = self.client.input(d).await;
        let seen = self.until_ack(seq).await;
        let errors: Vec<&Value> = seen.iter().filter(|m| m["t"] == "error").collect();
        assert_eq!(errors.len(), 1, "{seen:?}");
        assert_eq!(
            (errors[0]["code"].as_str(), errors[0]["message"].as_str()),
            (Some("illegal_input"), Some(why))
        );
        assert_eq!(
            (&self.mirror.entities, &self.mirror.resources),
            (&before.0, &before.1),
            "a refused answer changed the state"
        );
    }

    /// A field of a replicated value of type `ty`, by the schema's names.
    fn field(&self, ty: &str, value: &Value, name: &str) -> Value {
        let fields = &self.mirror.schema[self.mirror.type_index(ty) as usize][1];
        let i = fields
            .as_array()
            .unwrap()
            .iter()
            .position(|f| f == name)
            .unwrap_or_else(|| panic!("{ty} has no field {name}"));
        value[i].clone()
    }

    /// A field of the replicated `Quiz`.
    fn quiz(&self, name: &str) -> Value {
        self.field("Quiz", self.mirror.resource("Quiz"), name)
    }

    /// A field of the `Contestant` of entity `player`.
    fn contestant(&self, player: u64, name: &str) -> Value {
        let ty = self.mirror.type_index("Contestant");
        self.field("Contestant", &self.mirror.entities[&player][&ty], name)
    }

    /// The player id (`guest:...`) of entity `player`.
    fn player_id(&self, player: u64) -> String {
        let ty = self.mirror.type_index("Player");
        self.mirror.entities[&player][&ty][0].as_str().unwrap().to_owned()
    }

    /// Reads patches until the mirror's quiz is in `phase`.
    async fn until_phase(&mut self, phase: &str) {
        while self.quiz("phase") != phase {
            let m = self.next().await;
            assert_ne!(m["t"], "error", "{m}");
        }
    }
}

/// Seats `names` in one private room, in order.
async fn table(server: &TestServer, names: &[&str]) -> Vec<Seat> {
    let first = Seat::new(
        server,
        names[0],
        json!({"t": "create", "game": "trivia", "private": true}),
    )
    .await;
    let code = first.room.clone();
    let invite = first.invite.clone();
    let mut seats = vec![first];
    for name in &names[1..] {
        let seat = Seat::new(server, name, json!({"t": "join", "room": invite})).await;
        assert_eq!(seat.room, code);
        seats.push(seat);
    }
    seats
}

/// Every seat reads the next question and answers it, right where
/// `right(seat index)`, wrong elsewhere; returns the reveal that follows.
async fn play_round(seats: &mut [Seat], key: &HashMap<String, u64>, right: impl Fn(usize) -> bool) -> Value {
    for (i, seat) in seats.iter_mut().enumerate() {
        let question = seat.event("question").await;
        let answer = key[question["text"].as_str().unwrap()];
        seat.answer(if right(i) { answer } else { (answer + 1) % 4 }).await;
    }
    seats[0].event("reveal").await
}

/// A player's `total` in a `reveal` event.
fn total(reveal: &Value, player: u64) -> i64 {
    let results = reveal["results"].as_array().unwrap();
    let line = results.iter().find(|r| r["player"] == player).unwrap();
    line["total"].as_i64().unwrap()
}

/// A `result`'s ranking as (name, rank, score), in the result's order.
fn named_ranking(result: &Value) -> Vec<(&str, u64, i64)> {
    let ranking = result["ranking"].as_array().unwrap();
    ranking
        .iter()
        .map(|l| {
            let name = l["name"].as_str().unwrap();
            (name, l["rank"].as_u64().unwrap(), l["score"].as_i64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn twenty_players_play_a_match_that_the_leaderboard_shows() {
    let rounds = 3;
    let server = TestServer::with_manifests(&[("trivia", &manifest((20, 20), rounds, 10.0, 1.0, 0.0))]).await;
    let key = answer_key();
    let mut seats: Vec<Seat> = Vec::new();
    for i in 0..20 {
        let seat = Seat::new(&server, &format!("P{i:02}"), json!({"t": "quick", "game": "trivia"})).await;
        // Quick match fills one room.
        if let Some(first) = seats.first() {
            assert_eq!(seat.room, first.room);
        }
        seats.push(seat);
    }
    // Even seats always answer right, odd seats always wrong.
    let right = |i: usize| i.is_multiple_of(2);
    let mut totals: HashMap<u64, i64> = HashMap::new();
    for round in 1..=rounds as u64 {
        let mut correct = None;
        for (i, seat) in seats.iter_mut().enumerate() {
            let question = seat.event("question").await;
            assert_eq!(
                (question["round"].as_u64(), question["rounds"].as_u64()),
                (Some(round), Some(3))
            );
            assert_eq!(question["choices"].as_array().unwrap().len(), 4);
            assert_eq!(question["seconds"].as_f64(), Some(10.0));
            let answer = key[question["text"].as_str().unwrap()];
            correct = Some(answer);
            // The question's state travels without its answer.
            seat.until_phase("question").await;
            assert_eq!(seat.quiz("question"), question["text"]);
            assert_eq!(seat.quiz("answer"), Value::Null);
            let pick = if right(i) { answer } else { (answer + 1) % 4 };
            seat.answer(pick).await;
        }
        for seat in &mut seats {
            let reveal = seat.event("reveal").await;
            assert_eq!(
                (reveal["round"].as_u64(), reveal["answer"].as_u64()),
                (Some(round), correct)
            );
            let results = reveal["results"].as_array().unwrap();
            assert_eq!(results.len(), 20);
            for r in results {
                totals.insert(r["player"].as_u64().unwrap(), r["total"].as_i64().unwrap());
            }
        }
    }
    let mut results = Vec::new();
    for seat in &mut seats {
        loop {
            let m = seat.next().await;
            if m["t"] == "result" {
                results.push(m);
                break;
            }
        }
    }
    for r in &results[1..] {
        assert_eq!(r, &results[0], "every player gets the same result");
    }
    // The recorded match, run again from its seed, its joins and its
    // answers at their times, ranks the same.
    common::assert_replays(&server, &results[0]).await;

    // Scores in the result are the totals the reveals announced, and the
    // players who answered right rank above the others.
    let seat0 = &seats[0];
    let by_id: HashMap<String, (usize, u64)> = seats
        .iter()
        .enumerate()
        .map(|(i, s)| (seat0.player_id(s.mirror.you), (i, s.mirror.you)))
        .collect();
    let ranking = results[0]["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 20);
    for line in ranking {
        let (i, entity) = by_id[line["player"].as_str().unwrap()];
        let (rank, score) = (line["rank"].as_u64().unwrap(), line["score"].as_i64().unwrap());
        assert_eq!(score, totals[&entity], "{line}");
        assert_eq!(seat0.contestant(entity, "points").as_i64(), Some(score));
        if right(i) {
            assert!(rank <= 10 && score >= 3 * 500, "{line}");
            assert_eq!(seat0.contestant(entity, "correct"), 3);
        } else {
            assert_eq!((rank, score), (11, 0), "{line}");
            assert_eq!(seat0.contestant(entity, "correct"), 0);
        }
    }
    assert_eq!(seat0.quiz("phase"), "over");
    assert_eq!(seats[0].client.expect("left").await["reason"], "finished");

    let (status, board) = get_json(&server.http("/api/leaderboard/trivia")).await;
    assert_eq!(status, 200);
    let entries = board["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 20);
    let best: HashMap<&str, i64> = entries
        .iter()
        .map(|e| (e["player"].as_str().unwrap(), e["best"].as_i64().unwrap()))
        .collect();
    for line in ranking {
        assert_eq!(best[line["player"].as_str().unwrap()], line["score"].as_i64().unwrap());
    }
    // The leaderboard lists them in the result's order of rank.
    let rank: HashMap<&str, u64> = ranking
        .iter()
        .map(|l| (l["player"].as_str().unwrap(), l["rank"].as_u64().unwrap()))
        .collect();
    let ranks: Vec<u64> = entries.iter().map(|e| rank[e["player"].as_str().unwrap()]).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
}

#[tokio::test]
async fn answers_outside_a_question_out_of_range_or_twice_are_refused_and_change_nothing() {
    // A long lobby and long timers: only the room filling up and everyone
    // answering move this match on.
    let server = TestServer::with_manifests(&[("trivia", &manifest((2, 3), 2, 300.0, 300.0, 300.0))]).await;
    let key = answer_key();
    let mut seats = table(&server, &["Ann", "Ben"]).await;
    let ann = &mut seats[0];
    ann.until_phase("lobby").await;
    while ann.quiz("phase_ms") != 300_000 {
        ann.next().await;
    }
    assert!(ann.quiz("left_ms").as_u64().unwrap() > 0);
    ann.refused(json!({"answer": 0}), "no question is open").await;

    // The third seat fills the room: the lobby ends at once.
    let code = seats[0].invite.clone();
    seats.push(Seat::new(&server, "Cy", json!({"t": "join", "room": code})).await);
    let mut answer = 0;
    for seat in &mut seats {
        let question = seat.event("question").await;
        answer = key[question["text"].as_str().unwrap()];
        seat.until_phase("question").await;
    }

    let ann = &mut seats[0];
    ann.refused(json!({"answer": 4}), "no choice 4").await;
    ann.answer(answer).await;
    let you = ann.mirror.you;
    assert_eq!(ann.contestant(you, "answered"), true);
    // Points wait for the reveal, so nobody learns the answer from them.
    assert_eq!(ann.contestant(you, "points"), 0);
    assert_eq!(ann.quiz("answer"), Value::Null);
    ann.refused(json!({"answer": answer}), "you already answered this question")
        .await;
    ann.refused(
        json!({"answer": (answer + 1) % 4}),
        "you already answered this question",
    )
    .await;

    seats[1].answer((answer + 1) % 4).await;
    seats[2].answer(answer).await;
    let reveal = seats[0].event("reveal").await;
    let ann = &mut seats[0];
    ann.until_phase("reveal").await;
    assert_eq!(ann.quiz("answer").as_u64(), Some(answer));
    let mine = reveal["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["player"] == you)
        .unwrap()
        .clone();
    assert_eq!(mine["choice"].as_u64(), Some(answer));
    let points = mine["points"].as_u64().unwrap();
    assert!((500..=1000).contains(&points), "{mine}");
    assert_eq!(ann.contestant(you, "points").as_u64(), Some(points));
    assert_eq!(ann.contestant(you, "correct"), 1);
    ann.refused(json!({"answer": answer}), "no question is open").await;
}

#[tokio::test]
async fn a_question_ends_as_soon_as_everyone_has_answered() {
    // The question timer is far beyond the test's patience: only the early
    // end can bring the reveal.
    let server = TestServer::with_manifests(&[("trivia", &manifest((3, 3), 2, 600.0, 600.0, 0.0))]).await;
    let mut seats = table(&server, &["Ann", "Ben", "Cy"]).await;
    for seat in &mut seats {
        seat.event("question").await;
    }
    let is_reveal = |m: &Value| m["t"] == "event" && m["name"] == "reveal";
    for seat in &mut seats[..2] {
        let seen = seat.answer(1).await;
        assert!(!seen.iter().any(is_reveal), "revealed before everyone answered");
    }
    // The last answer and the reveal are one tick: the event comes right
    // before the patch that acknowledges the answer.
    let seen = seats[2].answer(2).await;
    let n = seen.len();
    assert!(n >= 2 && is_reveal(&seen[n - 2]), "{seen:?}");
    for seat in &mut seats[..2] {
        let reveal = seat.event("reveal").await;
        assert_eq!(reveal["round"], 1);
        assert_eq!(reveal["results"].as_array().unwrap().len(), 3);
    }
}

#[tokio::test]
async fn a_player_who_leaves_keeps_their_points_in_the_ranking() {
    let server = TestServer::with_manifests(&[("trivia", &manifest((3, 3), 2, 600.0, 0.2, 0.0))]).await;
    let key = answer_key();
    let mut seats = table(&server, &["Ann", "Ben", "Cy"]).await;
    // Round 1: Ann and Ben right, Cy wrong.
    let reveal = play_round(&mut seats, &key, |i| i < 2).await;
    let ann_points = total(&reveal, seats[0].mirror.you);
    assert!(ann_points >= 500);

    // Round 2: Ann leaves; Ben answers right, Cy wrong, and that is everyone.
    seats[0].event("question").await;
    seats[0].client.send(json!({"t": "leave"})).await;
    assert_eq!(seats[0].client.expect("left").await["reason"], "leave");
    play_round(&mut seats[1..], &key, |i| i == 0).await;
    let result = seats[1].client.expect("result").await;
    assert_eq!(result, seats[2].client.expect("result").await);
    let lines = named_ranking(&result);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!((lines[0].0, lines[0].1), ("Ben", 1));
    assert!(lines[0].2 > ann_points + 500, "{lines:?}");
    assert_eq!(lines[1], ("Ann", 2, ann_points));
    assert_eq!(lines[2], ("Cy", 3, 0));
    // The replay seats, unseats and times the answers as they were.
    common::assert_replays(&server, &result).await;
}

#[test]
fn bad_trivia_settings_stop_the_catalog_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trivia.toml");
    std::fs::write(&path, manifest((2, 10), 0, 5.0, 1.0, 0.0)).unwrap();
    let error = parlor_games::bundled(&ManifestSource::Dir(dir.path()))
        .err()
        .expect("rounds = 0 is refused")
        .to_string();
    assert!(
        error.contains(&path.display().to_string()) && error.contains("rounds"),
        "{error}"
    );
    std::fs::write(&path, manifest((2, 10), 3, 5.0, 1.0, 0.0) + "speed = 2\n").unwrap();
    let error = parlor_games::bundled(&ManifestSource::Dir(dir.path()))
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains(&path.display().to_string()) && error.contains("unknown field `speed`"),
        "{error}"
    );
}

#[tokio::test]
async fn a_player_who_leaves_and_comes_back_gets_their_points_back() {
    let server = TestServer::with_manifests(&[("trivia", &manifest((3, 3), 2, 600.0, 0.2, 0.0))]).await;
    let key = answer_key();
    let mut seats = table(&server, &["Ann", "Ben", "Cy"]).await;
    let reveal = play_round(&mut seats, &key, |i| i == 0).await;
    let ann_points = total(&reveal, seats[0].mirror.you);

    // Ann leaves during the second question and joins again on the same
    // connection: a new entity, with her points.
    let ann = &mut seats[0];
    ann.event("question").await;
    ann.client.send(json!({"t": "leave"})).await;
    assert_eq!(ann.client.expect("left").await["reason"], "leave");
    ann.client.send(json!({"t": "join", "room": ann.invite})).await;
    ann.mirror = Mirror::default();
    ann.client.expect_mirrored(&mut ann.mirror, "joined").await;
    let contestant = ann.mirror.type_index("Contestant");
    while !ann.mirror.entities[&ann.mirror.you].contains_key(&contestant) {
        ann.next().await;
    }
    let you = ann.mirror.you;
    assert_eq!(ann.contestant(you, "points").as_i64(), Some(ann_points));
    assert_eq!(ann.quiz("phase"), "question");

    // She may answer the open question; everyone is wrong this time.
    let answer = key[ann.quiz("question").as_str().unwrap()];
    for seat in &mut seats[1..] {
        seat.event("question").await;
    }
    for seat in &mut seats {
        seat.answer((answer + 1) % 4).await;
    }
    let result = seats[0].client.expect("result").await;
    let mut lines = named_ranking(&result);
    // Ben and Cy tie; the order within a rank is not specified.
    lines.sort();
    assert_eq!(lines, vec![("Ann", 1, ann_points), ("Ben", 2, 0), ("Cy", 2, 0)]);
    common::assert_replays(&server, &result).await;
}
