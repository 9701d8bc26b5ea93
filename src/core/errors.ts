// The library's errors: each carries a `code` a program can branch on; the message says what is
// wrong and how to fix it.

export class DoubleDipError extends Error {
  override name = 'DoubleDipError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * An input that cannot be used: a file that cannot be read or decoded (ERR_IMAGE_FILE,
 * ERR_VIDEO_FILE), images that do not go together (ERR_INPUT).
 */
export class InputError extends DoubleDipError {
  override name = 'InputError';
  constructor(code: 'ERR_IMAGE_FILE' | 'ERR_VIDEO_FILE' | 'ERR_INPUT', message: string) {
    super(code, message);
  }
}

/** Training that cannot go on: the loss became NaN or infinite (ERR_TRAINING_DIVERGED). */
export class TrainingError extends DoubleDipError {
  override name = 'TrainingError';
  constructor(message: string) {
    super('ERR_TRAINING_DIVERGED', message);
  }
}
