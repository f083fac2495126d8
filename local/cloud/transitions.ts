/**
 * The emulator's one state-transition engine. A record carries its future states as
 * `transitions` (ScheduledTransition: at emulated time `at`, move to `to`); settling applies the
 * due ones in order, and the core keeps a clock wake-up at the earliest future one so state
 * machines move without any API call. Tests control transitions by advancing the emulated clock
 * (admin `POST /_emulator/clock`) or by forcing a state, which drops the pending ones.
 */
import type { ScheduledTransition } from './types.js';

/**
 * Applies every transition of a resource that is due at `now`, in order, and drops them. Returns
 * true when the status changed. Shared by the modules so all state machines behave alike.
 */
export function applyDueTransitions<S extends string>(
  resource: { status: S; transitions: ScheduledTransition<S>[] },
  now: number,
): boolean {
  let changed = false;
  for (const to of takeDueTransitions(resource.transitions, now)) {
    if (to !== resource.status) {
      resource.status = to;
      changed = true;
    }
  }
  return changed;
}

/**
 * Removes and returns, oldest first, the target states of every transition due at `now`. The one
 * engine behind `applyDueTransitions`; modules whose steps do more than set a status (VPCEP:
 * removal on `deleted`, forced states winning over creation) walk these steps themselves.
 */
export function takeDueTransitions<S extends string>(
  transitions: ScheduledTransition<S>[],
  now: number,
): S[] {
  transitions.sort((a, b) => a.at - b.at);
  const due: S[] = [];
  while (transitions.length > 0 && (transitions[0]?.at ?? Number.POSITIVE_INFINITY) <= now) {
    const next = transitions.shift();
    if (next) due.push(next.to);
  }
  return due;
}

/**
 * The earliest transition of these resources after `now` (Infinity when none): the moment the core
 * must wake up at so state machines move without any API call.
 */
export function earliestTransitionAfter(
  resources: Iterable<{ transitions: ReadonlyArray<{ at: number }> }>,
  now: number,
): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const r of resources)
    for (const t of r.transitions) if (t.at > now && t.at < earliest) earliest = t.at;
  return earliest;
}
