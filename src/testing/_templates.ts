/**
 * The simulated routes of the platform's code templates (`wxa/gettemplatedraftlist` …).
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const templateRoutes: Route[] = [];
