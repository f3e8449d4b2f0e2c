import { UserError } from '../util/errors';

/** Raised at a safe point after SIGINT/SIGTERM, once the checkpoint is written. */
export class RunInterrupted extends UserError {
  override readonly exitCode: number = 130;
}

/** A NaN or infinite loss: the run stops instead of training on garbage. */
export class NumericalError extends UserError {
  override readonly exitCode: number = 3;
}

/**
 * A stop request set by a signal handler and polled by long loops at their
 * safe points (after a training step, after a scored candidate).
 */
export class Interruption {
  requested: string | undefined;

  request(reason: string): void {
    this.requested = reason;
  }
}
