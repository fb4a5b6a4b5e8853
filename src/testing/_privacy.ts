/**
 * The simulated routes of privacy settings and privacy interfaces.
 *
 * @module
 */

import type { Route } from "./_route.ts";

/** The routes of this area, in the simulator's table. */
export const privacyRoutes: Route[] = [];
