/**
 * The simulated routes of diagnostics (`cgi-bin/openapi/rid/get`).
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const diagnosticsRoutes: Route[] = [];
