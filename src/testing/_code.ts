/**
 * The simulated routes of mini-program code management and the audit lifecycle (`wxa/commit` … `wxa/release`).
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const codeRoutes: Route[] = [];
