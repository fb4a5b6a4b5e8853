/**
 * The simulated routes of fast registration of mini programs.
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const registerRoutes: Route[] = [];
