/**
 * The simulated routes of open accounts (`cgi-bin/open/*`).
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const openAccountRoutes: Route[] = [];
