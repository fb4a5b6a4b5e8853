/**
 * The simulated routes of server and webview domains, of an authorizer and of the platform.
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const domainRoutes: Route[] = [];
