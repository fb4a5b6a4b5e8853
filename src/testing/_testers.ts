/**
 * The simulated routes of a mini program's testers (`wxa/bind_tester` …).
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const testerRoutes: Route[] = [];
