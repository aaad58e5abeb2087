// Build step: the top-level help text, so `imap-oauth --help` can print it without loading the CLI.
import { writeFileSync } from 'node:fs';
import { mainHelpText } from '../dist/cli.js';

writeFileSync(new URL('../dist/help.txt', import.meta.url), mainHelpText());
