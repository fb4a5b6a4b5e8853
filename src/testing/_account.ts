/**
 * The simulated routes of basic information and categories of an authorizer (`cgi-bin/account/*`, `cgi-bin/wxopen/*category*`, nicknames, search status).
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const accountRoutes: Route[] = [];
