// The few-shot baseline ("try prompting first"): the base model sees k whole training examples before each query,
// at the token level, so the shots read exactly as training encoded them (template, answer, end-of-text token).
import { promptAndAnswer } from './evaluate';
import type { Example } from './types';

/** The shots' ids one after another, each ending with the end-of-text token (added where the encoding has none),
 * so the model sees where an answer stops. */
export function fewShotContext(shots: Example[], eosId: number | undefined): number[] {
  const out: number[] = [];
  for (const s of shots) {
    out.push(...s.ids);
    if (eosId !== undefined && s.ids.at(-1) !== eosId) out.push(eosId);
  }
  return out;
}

/** Tokens the longest query needs after the context: its prompt, its reference answer and `slack` more. */
export function queryRoom(queries: Example[], eosId: number | undefined, slack: number): number {
  let room = 0;
  for (const q of queries) {
    const pa = promptAndAnswer(q, eosId);
    if (pa) room = Math.max(room, pa.prompt.length + pa.answer.length + slack);
  }
  return room;
}

/** The first k training examples that have an answer, in split order, as many as fit in `window` positions
 * while leaving `room` for the query (fewer than k when they do not all fit; none when nothing fits). */
export function pickShots(train: Example[], k: number, window: number, room: number, eosId: number | undefined): Example[] {
  const shots: Example[] = [];
  let used = 0;
  for (const e of train) {
    if (shots.length >= k) break;
    if (!promptAndAnswer(e, eosId)) continue;
    const len = e.ids.length + (eosId !== undefined && e.ids.at(-1) !== eosId ? 1 : 0);
    if (used + len + room > window) break;
    shots.push(e);
    used += len;
  }
  return shots;
}
