// Chat Trivia as plain DOM. The replicated Quiz resource says what to show
// (so a reconnected page shows the right thing at once); the "question" and
// "reveal" events add haptics. An answer is {answer: n}. A spectator
// (room.watching, room.you null) sees the questions and the answers, and
// has no choice to press.

import {
  setupPage, start, gameInfo, showInvite, primaryAction, notice, haptic,
  resource, players, describe, esc, leftMessage, showBoard,
} from '/web/app.js';

const GAME = 'trivia';

const statusEl = document.getElementById('status');
const timerEl = document.getElementById('timer');
const timerBar = timerEl.firstElementChild;
const questionEl = document.getElementById('question');
const choicesEl = document.getElementById('choices');
const scoresEl = document.getElementById('scores');

let room = null;
let minPlayers = 2;
/** The choice this page sent for the open round: {round, choice}. */
let picked = null;
/** When the Quiz resource last arrived, and its left_ms then. */
let phaseClock = { at: 0, left: 0, length: 0 };
let finished = false;

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

function quiz() {
  return resource(room, 'Quiz') ?? { phase: 'lobby', round: 0, rounds: 0, choices: [], question: '' };
}

function secondsLeft() {
  return Math.max(0, Math.ceil((phaseClock.left - (performance.now() - phaseClock.at)) / 1000));
}

function me() {
  return room.state.entities.get(room.you);
}

function render() {
  const q = quiz();
  const seated = players(room);
  const mine = me()?.Contestant;
  document.body.dataset.phase = q.phase;

  // Status line.
  if (finished) {
    // set by onResult
  } else if (q.phase === 'lobby') {
    if (seated.length < minPlayers) setStatus('waiting', `Waiting for players (${seated.length} of ${minPlayers})…`);
    else setStatus('starting', `Starting in ${secondsLeft()} s · ${seated.length} playing`);
  } else if (q.phase === 'question') {
    setStatus(mine?.answered ? 'answered' : 'question', `Question ${q.round} of ${q.rounds} · ${secondsLeft()} s${mine?.answered ? ' · answered' : ''}`);
  } else if (q.phase === 'reveal' && room.watching) {
    setStatus('reveal', `The answer: ${q.choices?.[q.answer] ?? '?'} · Next in ${secondsLeft()} s`);
  } else if (q.phase === 'reveal') {
    const right = picked?.round === q.round && picked.choice === q.answer;
    const text = picked?.round === q.round ? (right ? 'Correct!' : 'Wrong.') : 'Time is up.';
    setStatus(right ? 'correct' : 'wrong', `${text} Next in ${secondsLeft()} s`);
  } else {
    setStatus('over', 'The quiz is over.');
  }

  // Timer bar.
  const timed = (q.phase === 'question' || q.phase === 'lobby') && phaseClock.length > 0;
  timerEl.classList.toggle('hidden', !timed);

  // The question and its choices.
  const asking = q.phase === 'question' || q.phase === 'reveal';
  questionEl.textContent = asking ? q.question : '';
  const buttons = asking ? q.choices : [];
  if (choicesEl.children.length !== buttons.length || choicesEl.dataset.round !== String(q.round)) {
    choicesEl.dataset.round = String(q.round);
    choicesEl.innerHTML = buttons.map((c, i) => `<button data-choice="${i}">${esc(c)}</button>`).join('');
  }
  [...choicesEl.children].forEach((button, i) => {
    const mineHere = picked?.round === q.round && picked.choice === i;
    button.toggleAttribute('data-picked', mineHere);
    button.toggleAttribute('data-correct', q.phase === 'reveal' && q.answer === i);
    button.toggleAttribute('data-wrong', q.phase === 'reveal' && mineHere && q.answer !== i);
    button.disabled = room.watching || q.phase !== 'question' || !!mine?.answered;
  });

  // Players by points.
  const rows = seated
    .map(([id, p]) => ({ id, p, c: room.state.entities.get(id)?.Contestant ?? { points: 0, correct: 0, answered: false } }))
    .sort((a, b) => b.c.points - a.c.points);
  scoresEl.innerHTML = rows.map(({ id, p, c }) => `
    <li ${id === room.you ? 'data-me' : ''}>
      <span>${esc(p.name)}${id === room.you ? ' (you)' : ''}${q.phase === 'question' && c.answered ? ' ✓' : ''}${p.online === false ? ' · away' : ''}</span>
      <span>${c.points}</span>
    </li>`).join('');

  showInvite(GAME, room, !room.watching && q.phase === 'lobby' && !finished);
}

function tickTimer() {
  requestAnimationFrame(tickTimer);
  if (!room || phaseClock.length <= 0) return;
  const left = Math.max(0, phaseClock.left - (performance.now() - phaseClock.at));
  timerBar.style.width = `${(100 * left) / phaseClock.length}%`;
}

function onChoice(event) {
  const button = event.target.closest('button[data-choice]');
  if (!button || button.disabled) return;
  const choice = Number(button.dataset.choice);
  const q = quiz();
  picked = { round: q.round, choice };
  notice('');
  haptic('select');
  room.send({ answer: choice });
  render();
}

function onResult(result) {
  finished = true;
  showBoard(GAME, result);
  const id = me()?.Player?.id;
  const line = result.ranking.find((r) => r.player === id);
  if (line?.rank === 1) {
    haptic('success');
    setStatus('won', `You won with ${line.score} points!`);
  } else if (line) {
    setStatus('placed', `You placed #${line.rank} with ${line.score} points.`);
  } else {
    const best = result.ranking.filter((r) => r.rank === 1).map((r) => r.name);
    setStatus('over', best.length > 0 ? `The quiz is over: ${best.join(' and ')} won.` : 'The quiz is over.');
  }
  primaryAction(room.watching ? 'Play' : 'Play again', () => { location.href = `/play/${GAME}`; });
  render();
}

async function main() {
  await setupPage({ back: '/' });
  choicesEl.addEventListener('click', onChoice);
  minPlayers = (await gameInfo(GAME))?.min_players ?? minPlayers;
  const entered = await start(GAME, (text) => setStatus('error', text));
  if (!entered) return;
  ({ room } = entered);
  const resetClock = () => {
    const q = quiz();
    phaseClock = { at: performance.now(), left: q.left_ms ?? 0, length: q.phase_ms ?? 0 };
  };
  room.on('change', (change) => {
    if (change.resync || change.resources?.includes('Quiz')) resetClock();
    render();
  });
  room.on('event', (event) => {
    if (event.name === 'question') haptic('medium');
    if (event.name === 'reveal') {
      const mine = event.d?.results?.find((r) => r.player === room.you);
      if (mine?.choice !== undefined && mine?.choice !== null) haptic(mine.points > 0 ? 'success' : 'error');
    }
  });
  room.on('result', onResult);
  room.on('error', (e) => notice(describe(e), 'error'));
  room.on('left', (left) => {
    if (left?.reason !== 'finished' && !finished) {
      setStatus('left', leftMessage(left?.reason));
      primaryAction('Back to games', () => { location.href = '/'; });
    }
  });
  resetClock();
  render();
  setInterval(render, 500); // the seconds left
  requestAnimationFrame(tickTimer);
}

main();
