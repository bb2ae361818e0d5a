/** sigsys learn - not implemented yet (placeholder so the dispatcher builds). */
import { SigsysError } from '../errors.js';

export const help = 'Usage: sigsys learn ... (not implemented yet)\n';

export async function run(_argv: string[]): Promise<number> {
  throw new SigsysError('sigsys learn is not implemented yet');
}
