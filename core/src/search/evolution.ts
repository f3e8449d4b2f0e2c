import type { CandidateSet } from '../space/candidates';
import type { Architecture, SearchSpace } from '../space/search-space';
import type { Rng, RngState } from '../util/rng';
import type { RunServices } from '../services/run-services';
import { stopIfInterrupted, yieldToEventLoop } from '../train/epoch-trainer';

export interface EvolutionOptions {
  population: number;
  iterations: number;
  topK: number;
  crossovers: number;
  mutations: number;
  /** Chance that a mutation resamples each choice point. */
  mutationProbability: number;
  /** Attempts to produce a valid new child before giving up on a slot. */
  maxTries?: number;
}

/** What an evolutionary search searches, and how it scores and constrains children. */
export interface EvolutionSetup {
  space: SearchSpace;
  candidates: CandidateSet;
  options: EvolutionOptions;
  /** The constraint (a FLOPs window): children outside it are never evaluated. */
  allowed: (arch: Architecture) => boolean;
  evaluate: (arch: Architecture) => Promise<number> | number;
  rng: Rng;
  /** Key of its checkpoint part (default `search/evolution`). */
  key?: string;
}

export interface EvolutionResult {
  best: Architecture;
  bestScore: number;
  evaluated: number;
  /** Best score and the mean of the top-k after each iteration. */
  history: { iteration: number; best: number; topKMean: number }[];
}

/**
 * The evolutionary search of SPOS (shared by every searcher that uses it):
 * a random initial population within the constraint, then per iteration the
 * top-k of everything evaluated breed `mutations` mutants and `crossovers`
 * crossovers. Children are unique and always inside `candidates`.
 */
export async function evolutionarySearch(setup: EvolutionSetup, services: RunServices): Promise<EvolutionResult> {
  const { space, candidates, options, allowed, evaluate, rng } = setup;
  const maxTries = options.maxTries ?? 50 * options.population;
  const scores = new Map<string, { arch: Architecture; score: number }>();
  const key = (a: Architecture): string => a.join('|');
  const fresh = (a: Architecture): boolean => !scores.has(key(a)) && allowed(a);
  const history: EvolutionResult['history'] = [];
  let population: Architecture[] = [];
  let it = 0;
  // Evaluation draws nothing from `rng`, so the state can be captured between any two evaluations.
  const checkpointKey = setup.key ?? 'search/evolution';
  const resumed = services.checkpoints?.register(checkpointKey, {
    capture: () => ({ state: { iteration: it, population, scores: [...scores.values()], history, rng: rng.getState() } }),
    restore: (saved) => {
      const v = saved as { iteration: number; population: Architecture[]; scores: { arch: Architecture; score: number }[]; history: EvolutionResult['history']; rng: RngState };
      it = v.iteration;
      population = v.population;
      for (const e of v.scores) scores.set(key(e.arch), e);
      history.push(...v.history);
      rng.setState(v.rng);
    },
  });

  const generate = (count: number, make: () => Architecture | undefined, into: Architecture[]): void => {
    const seen = new Set(into.map(key));
    for (let tries = 0; into.length < count && tries < maxTries; tries++) {
      const a = make();
      if (a && fresh(a) && !seen.has(key(a))) {
        into.push(a);
        seen.add(key(a));
      }
    }
  };

  if (!resumed) {
    generate(options.population, () => space.sample(candidates, rng), population);
    if (population.length === 0) throw new Error('evolutionary search: no child satisfies the constraint');
  }

  const task = services.progress.start('evolution', options.iterations);
  if (it > 0) task.tick(it);
  while (it < options.iterations) {
    for (const a of population) {
      if (scores.has(key(a))) continue; // scored before an interruption
      scores.set(key(a), { arch: a, score: await evaluate(a) });
      await yieldToEventLoop(); // let signal handlers run
      await stopIfInterrupted(services, `evolution iteration ${it + 1}`);
    }
    const ranked = [...scores.values()].sort((x, y) => y.score - x.score);
    const top = ranked.slice(0, options.topK);
    history.push({
      iteration: it + 1,
      best: top[0].score,
      topKMean: top.reduce((s, t) => s + t.score, 0) / top.length,
    });
    task.tick(1, `best ${(100 * top[0].score).toFixed(2)}%`);
    if (it === options.iterations - 1) break;

    const next: Architecture[] = [];
    generate(
      options.mutations,
      () => {
        const parent = rng.pick(top).arch;
        return parent.map((op, i) => (rng.next() < options.mutationProbability ? rng.pick(candidates.lists[i]) : op));
      },
      next,
    );
    const mutants = next.length;
    generate(
      mutants + options.crossovers,
      () => {
        const p1 = rng.pick(top).arch;
        const p2 = rng.pick(top).arch;
        return p1.map((op, i) => (rng.next() < 0.5 ? op : p2[i]));
      },
      next,
    );
    // top up with random children when breeding runs dry (small spaces)
    generate(options.population, () => space.sample(candidates, rng), next);
    if (next.length === 0) break; // the whole allowed space has been evaluated
    population = next;
    it++;
    await services.checkpoints?.save(`evolution iteration ${it}`);
  }
  task.done();
  services.checkpoints?.unregister(checkpointKey);
  const best = [...scores.values()].sort((x, y) => y.score - x.score)[0];
  return { best: best.arch, bestScore: best.score, evaluated: scores.size, history };
}
