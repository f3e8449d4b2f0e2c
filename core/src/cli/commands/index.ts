import type { Command } from '../command';
import { doctorCommand } from './doctor';
import { runCommand } from './run';

/** Every subcommand of `absnas`; a new command is one module and one line here. */
export const COMMANDS: readonly Command[] = [runCommand, doctorCommand];
