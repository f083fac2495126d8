/**
 * The zod the function bundles use: `zod/mini` (zod 4's tree-shakable functional API), about a third of
 * the classic API's weight in a bundle, which also carries a JSON Schema generator the functions never
 * call. Classic zod installs the English messages on import; mini does not, so they are installed here,
 * keeping every validation message (and the errors naming fields) exactly what classic zod produced.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
