/** src/profile: the profile compiler's public API. */
export { compileProfileFile, compileProfileText, defaultProfilePath, type CompileOptions, type CompileResult } from './compile.js';
export { explainFile, type ExplainRequest, type ExplainResult } from './explain.js';
export { DOCKER_DEFAULT_CAPS, parseCapsOption } from './caps.js';
export type { Action, ActionKind, NormalisedProfile, Rule } from './types.js';
