/**
 * The simulated routes of JS-SDK tickets (`cgi-bin/ticket/getticket`).
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const jssdkRoutes: Route[] = [];
