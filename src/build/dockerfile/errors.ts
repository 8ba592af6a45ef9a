// The one error of the Dockerfile front end: a place in the file and docker's own words.
// The message is "FILE:LINE:COLUMN: <docker's message>", where docker's message is what
// `docker build` prints (for instruction errors buildkit's "dockerfile parse error on
// line N: ..."), so a user who knows docker's wording finds it unchanged.
import { HxError } from '../../errors.js';

export interface SourcePosition {
  /** The Dockerfile's name as the user gave it ("Dockerfile" when read from a string). */
  file: string;
  /** 1-based line of the instruction (or of the offending physical line). */
  line: number;
  /** 1-based column; 1 when docker does not say. */
  column: number;
  /** Last line of the instruction (continuations, heredocs); = line when one line. */
  endLine?: number;
}

export class DockerfileError extends HxError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  /** docker's words alone, without the location prefix. */
  readonly reason: string;
  constructor(reason: string, at: SourcePosition, hint?: string) {
    super(`${at.file}:${at.line}:${at.column}: ${reason}`, {
      kind: 'invalid-argument',
      hint: hint ?? `fix ${at.file} at line ${at.line}; the Dockerfile reference (docs.docker.com/reference/dockerfile) has the syntax`,
    });
    this.name = 'DockerfileError';
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
    this.endLine = at.endLine ?? at.line;
    this.reason = reason;
  }
}

/** The plain error an inner parser throws; the caller adds the position. */
export class SyntaxProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyntaxProblem';
  }
}

/**
 * A problem docker finds only when the instruction runs (after variable substitution),
 * found early here because the value had no variables: docker's message then carries no
 * "dockerfile parse error on line N:" prefix, so neither does ours.
 */
export class DispatchProblem extends SyntaxProblem {
  constructor(message: string) {
    super(message);
    this.name = 'DispatchProblem';
  }
}
