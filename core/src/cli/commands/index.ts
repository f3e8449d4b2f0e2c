import type { Command } from '../command';
import { dataCommand } from './data';
import { doctorCommand } from './doctor';
import { runCommand } from './run';
import { pluginCommand } from './plugin';
import { listCommand } from './list';
import { configCommand } from './config';
import { rankCommand } from './rank';
import { compareCommand } from './compare';
import { exportCommand } from './export';
import { latencyTableCommand } from './latency-table';
import { trainCommand } from './train';
import { workerCommand } from './worker';
import { queueCommand } from './queue';

/** Every subcommand of `absnas`; a new command is one module and one line here. */
export const COMMANDS: readonly Command[] = [runCommand, doctorCommand, dataCommand, pluginCommand, listCommand, configCommand, rankCommand, compareCommand, exportCommand, latencyTableCommand, trainCommand, workerCommand, queueCommand];
