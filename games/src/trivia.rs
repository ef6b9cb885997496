//! Trivia: a quiz for a whole chat. Once the room has its minimum of players
//! a lobby countdown gives others time to join, then every player gets the
//! same questions, one at a time, each with four choices. A correct answer
//! scores 500 points plus up to 500 more for speed; the fastest and most
//! accurate player wins. Everything runs on the room's timers
//! ([`Clock::wake_after`]): the manifest has no tick rate.
//!
//! The questions are in manifests/trivia/questions.json, compiled into
//! the binary and checked once, with the manifest's settings, when the game
//! is added to the catalog at start-up: they are part of
//! [`TriviaSettings`], which every room gets a copy of (the bank itself is
//! shared).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use parlor::bevy_ecs::system::SystemParam;
use parlor::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The `[settings]` table as written in the manifest.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SettingsTable {
    rounds: u32,
    question_seconds: f64,
    reveal_seconds: f64,
    lobby_seconds: f64,
}

impl Default for SettingsTable {
    fn default() -> Self {
        SettingsTable {
            rounds: 10,
            question_seconds: 15.0,
            reveal_seconds: 4.0,
            lobby_seconds: 10.0,
        }
    }
}

/// Trivia's settings, checked, with the bundled questions.
#[derive(Resource, Deserialize, Debug, Clone, PartialEq)]
#[serde(try_from = "SettingsTable")]
pub struct TriviaSettings {
    /// Questions per match (`rounds`, default 10).
    pub rounds: usize,
    /// Time to answer a question (`question_seconds`, default 15).
    pub question: Duration,
    /// Time the correct answer is shown (`reveal_seconds`, default 4).
    pub reveal: Duration,
    /// Time to wait for more players once `min_players` are seated
    /// (`lobby_seconds`, default 10).
    pub lobby: Duration,
    /// The questions (manifests/trivia/questions.json).
    pub bank: Arc<Bank>,
}

impl TryFrom<SettingsTable> for TriviaSettings {
    type Error = String;

    /// Refuses values out of range and a bad question file.
    fn try_from(table: SettingsTable) -> Result<Self, String> {
        let bank = Bank::parse(BUNDLED).map_err(|e| format!("manifests/trivia/questions.json: {e}"))?;
        let seconds = |key: &str, value: f64, min_exclusive: bool| -> Result<Duration, String> {
            let low_ok = if min_exclusive { value > 0.0 } else { value >= 0.0 };
            if !low_ok || value > 86_400.0 {
                let low = if min_exclusive { "above 0" } else { "0 or more" };
                return Err(format!("setting `{key}` = {value} must be {low} and at most a day"));
            }
            Ok(Duration::from_secs_f64(value))
        };
        let questions = bank.questions().len();
        if table.rounds < 1 || table.rounds as usize > questions {
            return Err(format!(
                "setting `rounds` = {} must be between 1 and the {questions} questions there are",
                table.rounds
            ));
        }
        Ok(TriviaSettings {
            rounds: table.rounds as usize,
            question: seconds("question_seconds", table.question_seconds, true)?,
            reveal: seconds("reveal_seconds", table.reveal_seconds, false)?,
            lobby: seconds("lobby_seconds", table.lobby_seconds, false)?,
            bank: Arc::new(bank),
        })
    }
}

/// Choices every question has.
pub const CHOICES: usize = 4;

/// Points for a correct answer given with no time left; an instant one
/// earns up to [`SPEED_POINTS`] more.
pub const BASE_POINTS: u32 = 500;

/// The most points speed adds to a correct answer.
pub const SPEED_POINTS: u32 = 500;

/// One question of the bank.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question as players see it.
    pub text: String,
    /// The choices, exactly [`CHOICES`] of them.
    pub choices: Vec<String>,
    /// Index into `choices` of the correct one.
    pub answer: usize,
}

/// Why a question file was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BankError {
    /// The file is not a JSON array of `{text, choices, answer}` objects.
    #[error("not a JSON array of {{text, choices, answer}} objects: {0}")]
    Json(String),
    /// The array is empty.
    #[error("there are no questions")]
    Empty,
    /// One question breaks a rule; `number` counts from 1.
    #[error("question {number} ({text:?}): {problem}")]
    Question {
        /// Position in the file, from 1.
        number: usize,
        /// The question's text, to find it.
        text: String,
        /// The rule it breaks.
        problem: String,
    },
}

/// A checked set of questions.
#[derive(Debug, Clone, PartialEq)]
pub struct Bank {
    questions: Vec<Question>,
}

/// The bundled question file.
const BUNDLED: &str = include_str!("../manifests/trivia/questions.json");

impl Bank {
    /// Parses and checks a question file: each question has a non-empty
    /// text unlike every other's, [`CHOICES`] distinct non-empty choices, and
    /// an answer index within them.
    pub fn parse(json: &str) -> Result<Bank, BankError> {
        let questions: Vec<Question> = serde_json::from_str(json).map_err(|e| BankError::Json(e.to_string()))?;
        if questions.is_empty() {
            return Err(BankError::Empty);
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, q) in questions.iter().enumerate() {
            let fail = |problem: String| BankError::Question {
                number: i + 1,
                text: q.text.clone(),
                problem,
            };
            if q.text.trim().is_empty() {
                return Err(fail("the text is empty".into()));
            }
            if q.choices.len() != CHOICES {
                return Err(fail(format!("{} choices instead of {CHOICES}", q.choices.len())));
            }
            if let Some(c) = q.choices.iter().position(|c| c.trim().is_empty()) {
                return Err(fail(format!("choice {c} is empty")));
            }
            for (c, choice) in q.choices.iter().enumerate() {
                if q.choices[..c].iter().any(|earlier| earlier.trim() == choice.trim()) {
                    return Err(fail(format!("choice {c} repeats an earlier one")));
                }
            }
            if q.answer >= CHOICES {
                return Err(fail(format!(
                    "answer {} is not a choice index (0 to {})",
                    q.answer,
                    CHOICES - 1
                )));
            }
            let key = q.text.trim().to_lowercase();
            if let Some(first) = seen.insert(key, i + 1) {
                return Err(fail(format!("the same text as question {first}")));
            }
        }
        Ok(Bank { questions })
    }

    /// Every question, in file order.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }
}

/// A match's timing and length, from the manifest's seats and
/// [`TriviaSettings`].
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct Rules {
    /// Questions per match (`rounds`, default 10).
    pub rounds: usize,
    /// Time to answer a question (`question_seconds`, default 15).
    pub question: Duration,
    /// Time the correct answer is shown (`reveal_seconds`, default 4).
    pub reveal: Duration,
    /// Time to wait for more players once `min_players` are seated
    /// (`lobby_seconds`, default 10).
    pub lobby: Duration,
    /// The manifest's `min_players`: the lobby counts down only with this
    /// many seated.
    pub min_players: usize,
    /// The manifest's `max_players`: a full room skips the rest of the lobby.
    pub max_players: usize,
}

impl Rules {
    /// The rules of a room: `settings`, and the seats of `manifest`.
    pub fn new(settings: &TriviaSettings, manifest: &Manifest) -> Rules {
        Rules {
            rounds: settings.rounds,
            question: settings.question,
            reveal: settings.reveal,
            lobby: settings.lobby,
            min_players: manifest.min_players as usize,
            max_players: manifest.max_players as usize,
        }
    }
}

/// Where a match is.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Waiting for players; no question yet.
    #[default]
    Lobby,
    /// A question is open for answers.
    Question,
    /// The correct answer is shown.
    Reveal,
    /// The last reveal is over and the result is out.
    Over,
}

/// Replicated: what every player's page shows. The correct answer is in it
/// only from the reveal on.
#[derive(Resource, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Quiz {
    /// The phase of the match.
    pub phase: Phase,
    /// The question being asked or revealed, from 1; 0 in the lobby.
    pub round: u32,
    /// Questions in the match.
    pub rounds: u32,
    /// The question's text (empty in the lobby).
    pub question: String,
    /// The question's choices (empty in the lobby).
    pub choices: Vec<String>,
    /// Index of the correct choice: set in the reveal phase only.
    pub answer: Option<u32>,
    /// Length of the current phase in milliseconds; 0 when it has no end
    /// (a lobby waiting for its minimum of players, or the end).
    pub phase_ms: u32,
    /// Milliseconds left in the phase when this value was written; it is
    /// written at each phase change and when a player joins, so a page
    /// counts down from when it received it.
    pub left_ms: u32,
}

/// Replicated on every player: their standing in the match.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
pub struct Contestant {
    /// Points so far; answers count once the question is revealed.
    pub points: u32,
    /// Questions answered correctly, counted at each reveal.
    pub correct: u32,
    /// Whether the player has answered the open question (not what).
    pub answered: bool,
}

/// Not replicated: a player's answer to the open question, kept until the
/// reveal so nobody can read from the scores which choice was right.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Pending {
    /// The choice given, if any.
    pub choice: Option<u32>,
    /// What it earns (0 if wrong).
    pub points: u32,
}

/// The input: the index of the chosen answer, `{answer: n}`.
#[derive(Deserialize, Debug, Clone, Copy)]
pub struct Answer {
    /// Index into the question's choices.
    pub answer: u32,
}

/// One player's standing, kept by player id so a player who leaves keeps
/// their points in the ranking (and gets them back on rejoining).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// The player's latest entity.
    pub entity: Entity,
    /// Points after the latest reveal.
    pub points: u32,
    /// Correct answers after the latest reveal.
    pub correct: u32,
}

/// Not replicated: the match's questions, the current phase's deadline and
/// everyone's standing.
#[derive(Resource, Debug)]
pub struct Match {
    /// The questions of this match, in order.
    pub questions: Vec<Question>,
    /// When the current phase ends, in room time ([`Clock::elapsed`]).
    pub deadline: Option<Duration>,
    /// Every player seated during the match, by player id (ordered, so
    /// that ties are listed the same way every time).
    pub standings: BTreeMap<String, Standing>,
}

/// The trivia game.
pub struct Trivia;

impl Game for Trivia {
    type Input = Answer;
    type Settings = TriviaSettings;
    const NAME: &'static str = "trivia";

    /// A trivia room plays one match and closes.
    fn check_manifest(manifest: &Manifest) -> Result<(), String> {
        if manifest.continuous {
            return Err("trivia plays one match per room: `continuous` must be false".into());
        }
        Ok(())
    }

    fn build(room: &mut RoomBuilder) {
        let rules = Rules::new(room.settings::<TriviaSettings>(), room.manifest());
        let banked = room.settings::<TriviaSettings>().bank.questions().len();
        // Drawn from the match's seeded generator: the questions a match
        // asked can be re-drawn from its revealed seed.
        let picks = {
            let mut rng = room.world_mut().resource_mut::<MatchRng>();
            rand::seq::index::sample(&mut **rng, banked, rules.rounds)
        };
        let bank = room.settings::<TriviaSettings>().bank.questions();
        let questions = picks.into_iter().map(|i| bank[i].clone()).collect();
        let quiz = Quiz {
            rounds: rules.rounds as u32,
            ..Quiz::default()
        };
        room.insert_resource(rules)
            .insert_resource(Match {
                questions,
                deadline: None,
                standings: BTreeMap::new(),
            })
            .insert_resource(GameEvents::default())
            .replicate::<Contestant>()
            .replicate_resource(quiz)
            .add_systems((seat, answer, advance).chain());
    }
}

/// Points for a correct answer given with `left` of `length` to go.
pub fn points_for(left: Duration, length: Duration) -> u32 {
    let share = (left.as_secs_f64() / length.as_secs_f64()).clamp(0.0, 1.0);
    BASE_POINTS + (SPEED_POINTS as f64 * share).round() as u32
}

fn millis(d: Duration) -> u32 {
    d.as_millis().min(u32::MAX as u128) as u32
}

/// Gives each newly seated player a standing (their earlier one if they
/// left and came back) and refreshes the countdown the newcomer sees.
fn seat(
    new: Query<(Entity, &Player), Without<Contestant>>,
    mut game: ResMut<Match>,
    mut quiz: ResMut<Quiz>,
    clock: Res<Clock>,
    mut commands: Commands,
) {
    if new.is_empty() {
        return;
    }
    for (entity, player) in &new {
        let standing = game.standings.entry(player.id.clone()).or_insert(Standing {
            entity,
            points: 0,
            correct: 0,
        });
        standing.entity = entity;
        let contestant = Contestant {
            points: standing.points,
            correct: standing.correct,
            answered: false,
        };
        commands.entity(entity).insert((contestant, Pending::default()));
    }
    if let Some(deadline) = game.deadline {
        let left = millis(deadline.saturating_sub(clock.elapsed));
        if quiz.left_ms != left {
            quiz.left_ms = left;
        }
    }
}

/// Takes each player's first answer to the open question.
fn answer(
    mut inputs: ResMut<Inputs<Answer>>,
    clock: Res<Clock>,
    quiz: Res<Quiz>,
    game: Res<Match>,
    rules: Res<Rules>,
    mut players: Query<(&mut Contestant, &mut Pending)>,
) {
    let open = match (quiz.phase, game.deadline) {
        (Phase::Question, Some(deadline)) if clock.elapsed < deadline => Some(deadline),
        _ => None,
    };
    inputs.apply(|who, input| {
        let Some(deadline) = open else {
            return Err(Reject::new("no question is open"));
        };
        let Ok((mut contestant, mut pending)) = players.get_mut(who) else {
            return Err(Reject::new("not seated"));
        };
        if contestant.answered {
            return Err(Reject::new("you already answered this question"));
        }
        if input.answer as usize >= quiz.choices.len() {
            return Err(Reject::new(format!("no choice {}", input.answer)));
        }
        let question = &game.questions[quiz.round as usize - 1];
        let correct = input.answer as usize == question.answer;
        contestant.answered = true;
        *pending = Pending {
            choice: Some(input.answer),
            points: if correct {
                points_for(deadline - clock.elapsed, rules.question)
            } else {
                0
            },
        };
        Ok(())
    });
}

/// What the phase system needs to move the match on.
#[derive(SystemParam)]
struct Host<'w, 's> {
    quiz: ResMut<'w, Quiz>,
    game: ResMut<'w, Match>,
    rules: Res<'w, Rules>,
    clock: ResMut<'w, Clock>,
    events: ResMut<'w, GameEvents>,
    players: Query<'w, 's, (Entity, &'static Player, &'static mut Contestant, &'static mut Pending)>,
    commands: Commands<'w, 's>,
}

/// Moves the match from phase to phase when its timer is due, the room
/// fills, or everyone has answered.
fn advance(mut host: Host) {
    let now = host.clock.elapsed;
    let due = host.game.deadline.is_some_and(|d| now >= d);
    match host.quiz.phase {
        Phase::Lobby => host.lobby(now),
        Phase::Question => {
            let mut online = host.players.iter().filter(|(_, p, _, _)| p.online).peekable();
            let everyone = online.peek().is_some() && online.all(|(_, _, c, _)| c.answered);
            if due || everyone {
                host.reveal();
            }
        }
        Phase::Reveal if due => {
            let next = host.quiz.round as usize + 1;
            if next <= host.game.questions.len() {
                host.ask(next);
            } else {
                host.finish();
            }
        }
        Phase::Reveal | Phase::Over => {}
    }
}

impl Host<'_, '_> {
    /// Starts a phase of `length` (none: no end) and asks for a tick at its end.
    fn start_phase(&mut self, phase: Phase, length: Option<Duration>) {
        self.game.deadline = length.map(|l| self.clock.elapsed + l);
        if let Some(length) = length {
            self.clock.wake_after(length);
        }
        let ms = length.map_or(0, millis);
        self.quiz.phase = phase;
        self.quiz.phase_ms = ms;
        self.quiz.left_ms = ms;
    }

    /// Counts down once the minimum of players is seated; starts at once
    /// when the room is full.
    fn lobby(&mut self, now: Duration) {
        let seated = self.players.iter().count();
        if seated >= self.rules.max_players {
            return self.ask(1);
        }
        if seated < self.rules.min_players {
            if self.game.deadline.is_some() {
                self.start_phase(Phase::Lobby, None);
            }
            return;
        }
        match self.game.deadline {
            None if self.rules.lobby.is_zero() => self.ask(1),
            None => self.start_phase(Phase::Lobby, Some(self.rules.lobby)),
            Some(deadline) if now >= deadline => self.ask(1),
            Some(_) => {}
        }
    }

    /// Opens question `round` (from 1).
    fn ask(&mut self, round: usize) {
        let question = self.game.questions[round - 1].clone();
        for (_, _, mut contestant, mut pending) in &mut self.players {
            if contestant.answered {
                contestant.answered = false;
            }
            *pending = Pending::default();
        }
        self.quiz.round = round as u32;
        self.quiz.question = question.text.clone();
        self.quiz.choices = question.choices.clone();
        self.quiz.answer = None;
        let length = self.rules.question;
        self.start_phase(Phase::Question, Some(length));
        self.events.broadcast(
            "question",
            &json!({
                "round": round,
                "rounds": self.game.questions.len(),
                "text": question.text,
                "choices": question.choices,
                "seconds": length.as_secs_f64(),
            }),
        );
    }

    /// Shows the answer and counts everyone's points.
    fn reveal(&mut self) {
        let question = self.game.questions[self.quiz.round as usize - 1].clone();
        let mut results = Vec::new();
        let game = &mut *self.game;
        for (entity, player, mut contestant, pending) in &mut self.players {
            if pending.choice.is_some() {
                contestant.points += pending.points;
                contestant.correct += (pending.choice == Some(question.answer as u32)) as u32;
            }
            game.standings.insert(
                player.id.clone(),
                Standing {
                    entity,
                    points: contestant.points,
                    correct: contestant.correct,
                },
            );
            results.push(json!({
                "player": entity_id(entity),
                "choice": pending.choice,
                "points": pending.points,
                "total": contestant.points,
            }));
        }
        self.quiz.answer = Some(question.answer as u32);
        let length = self.rules.reveal;
        self.start_phase(Phase::Reveal, Some(length));
        self.events.broadcast(
            "reveal",
            &json!({
                "round": self.quiz.round,
                "answer": question.answer,
                "results": results,
            }),
        );
    }

    /// Ends the match, ranking everyone who played by points, including
    /// players who have left since.
    fn finish(&mut self) {
        self.start_phase(Phase::Over, None);
        let scores = self.game.standings.values().map(|s| (s.entity, s.points as i64));
        self.commands.insert_resource(Outcome::by_score(scores));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(text: &str, choices: &[&str], answer: usize) -> serde_json::Value {
        json!({"text": text, "choices": choices, "answer": answer})
    }

    fn parse(questions: &[serde_json::Value]) -> Result<Bank, BankError> {
        Bank::parse(&serde_json::Value::from(questions.to_vec()).to_string())
    }

    fn problem(questions: &[serde_json::Value]) -> (usize, String) {
        match parse(questions) {
            Err(BankError::Question { number, problem, .. }) => (number, problem),
            other => panic!("expected a question error, got {other:?}"),
        }
    }

    #[test]
    fn the_bundled_questions_are_valid_and_enough() {
        let bank = Bank::parse(BUNDLED).unwrap();
        assert!(bank.questions().len() >= 50, "{}", bank.questions().len());
        assert_eq!(*settings("").unwrap().bank, bank);
    }

    #[test]
    fn a_bad_question_file_is_refused_naming_the_question() {
        let good = question("Two plus two?", &["3", "4", "5", "6"], 1);
        assert!(parse(std::slice::from_ref(&good)).is_ok());
        assert!(matches!(Bank::parse("{\"text\": 1}"), Err(BankError::Json(_))));
        assert!(matches!(Bank::parse("[{\"text\": \"x\"}]"), Err(BankError::Json(_))));
        assert_eq!(Bank::parse("[]"), Err(BankError::Empty));

        let three = question("Three?", &["a", "b", "c"], 0);
        assert_eq!(problem(&[good.clone(), three]), (2, "3 choices instead of 4".into()));
        let blank = question("Blank?", &["a", " ", "c", "d"], 0);
        assert_eq!(problem(&[blank]), (1, "choice 1 is empty".into()));
        let twice = question("Twice?", &["a", "b", "a", "d"], 0);
        assert_eq!(problem(&[twice]), (1, "choice 2 repeats an earlier one".into()));
        let beyond = question("Beyond?", &["a", "b", "c", "d"], 4);
        assert_eq!(
            problem(&[beyond]),
            (1, "answer 4 is not a choice index (0 to 3)".into())
        );
        let untitled = question("  ", &["a", "b", "c", "d"], 0);
        assert_eq!(problem(&[untitled]), (1, "the text is empty".into()));
        let again = question("two plus two? ", &["1", "2", "3", "4"], 3);
        assert_eq!(problem(&[good, again]), (2, "the same text as question 1".into()));
        let message = Bank::parse("[]").unwrap_err().to_string();
        assert_eq!(message, "there are no questions");
    }

    fn manifest(settings: &str) -> Manifest {
        Manifest::parse(&format!(
            "name = \"trivia\"\nmin_players = 2\nmax_players = 100\n[settings]\n{settings}"
        ))
        .unwrap()
    }

    /// The settings as the catalog reads them.
    fn settings(text: &str) -> Result<TriviaSettings, String> {
        manifest(text).settings_as::<TriviaSettings>()
    }

    #[test]
    fn settings_have_defaults_and_limits() {
        let rules = Rules::new(&settings("").unwrap(), &manifest(""));
        assert_eq!(
            rules,
            Rules {
                rounds: 10,
                question: Duration::from_secs(15),
                reveal: Duration::from_secs(4),
                lobby: Duration::from_secs(10),
                min_players: 2,
                max_players: 100,
            }
        );
        let short = settings("rounds = 3\nquestion_seconds = 2.5\nlobby_seconds = 0").unwrap();
        assert_eq!(
            (short.rounds, short.question, short.lobby),
            (3, Duration::from_millis(2500), Duration::ZERO)
        );
        for bad in [
            "rounds = 0",
            "rounds = 67",
            "rounds = 2.5",
            "question_seconds = 0",
            "reveal_seconds = -1",
            "lobby_seconds = \"soon\"",
            "questions = 5",
        ] {
            assert!(settings(bad).is_err(), "{bad} was accepted");
        }
        let continuous =
            Manifest::parse("name = \"trivia\"\nmin_players = 2\nmax_players = 9\ncontinuous = true\n").unwrap();
        assert!(Trivia::check_manifest(&continuous).is_err());
    }

    #[test]
    fn speed_earns_up_to_half_the_points() {
        let q = Duration::from_secs(10);
        assert_eq!(points_for(q, q), 1000);
        assert_eq!(points_for(Duration::ZERO, q), 500);
        assert_eq!(points_for(Duration::from_millis(2501), q), 625);
        assert_eq!(points_for(Duration::from_secs(11), q), 1000);
    }
}
