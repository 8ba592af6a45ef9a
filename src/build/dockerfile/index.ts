// The Dockerfile front end of `hx build`: buildkit's three layers, as pure functions.
//
//   parser.ts        text -> DockerfileAST (nodes with flags, arguments, heredocs, lines)
//   instructions.ts  AST  -> Dockerfile (typed instructions grouped into stages)
//   expand.ts        the shell lexer: $V ${V:-w} ... quotes, escapes, word splitting
//   scope.ts         which words are expanded, and the ARG/ENV variables they see
//   stages.ts        what FROM / COPY --from / --mount from= refer to; --target closure
//   checks.ts        the checks on values after substitution (EXPOSE, STOPSIGNAL, --chmod)
//   history.ts       the created_by text docker (buildkit) and podman (buildah) record
//
// Every error is a DockerfileError: "FILE:LINE:COLUMN: <docker's words>".
//
//   const df = loadDockerfile(text, { file: 'Dockerfile' });
//   const plan = stagesForTarget(stageGraph(df, { buildArgs }), target);
//   const scope = new StageScope({ globals: resolveMetaArgs(df.metaArgs, buildArgs), buildArgs, imageEnv });
//   for (const inst of df.stages[i].instructions) run(scope.dispatch(inst));
export * from './checks.js';
export { DockerfileError, type SourcePosition } from './errors.js';
export { ExpandError, expandWord, expandWords, processWord, type Env, type LexOptions, type WordResult } from './expand.js';
export * from './history.js';
export * from './instructions.js';
export { parseDockerfile, type Directive, type DockerfileAST, type DockerfileNode, type Heredoc, type ParseOptions, type ParseWarning } from './parser.js';
export type { CacheSharing, MountType, RunDevice, RunMount } from './run-mounts.js';
export * from './scope.js';
export * from './stages.js';
