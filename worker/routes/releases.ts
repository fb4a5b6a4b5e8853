/**
 * Fleet releases under `/api/v1/releases` (Bearer `ADMIN_TOKEN`, mounted by `admin.ts`):
 * create, list, read, cancel, retry a target and release an audited target. Each release is a
 * `ReleaseCoordinator` object and each mini program a `ReleaseTarget` object (see
 * `worker/objects/`); the routes only check input and ask them.
 *
 * @module
 */

import { Hono } from "hono/tiny";
import { newReleaseId, planRelease, type ReleaseRequest } from "../../src/release/mod.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { unwrap } from "../objects/result.ts";
import { INDEX_NAME, pollSeconds, releaseObject } from "../releases.ts";
import type { Runtime } from "../runtime.ts";
import { appidParam, limitBody } from "../validate.ts";

/** A release body may carry one `ext_json` per target: up to 1 MiB. */
const RELEASE_BODY_LIMIT = 1024 * 1024;
/** WeChat's permission set of mini-program code management (commit, audit, release). */
const CODE_MANAGEMENT_FUNC = 18;

/** Every authorized mini program that granted code management (what `targets: "all"` means). */
async function allMiniPrograms(rt: Runtime): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await rt.client.managed.listAuthorizers({ cursor, limit: 1000 });
    for (const r of page.authorizers) {
      if (r.status !== "authorized") continue;
      const funcs = (r.funcInfo ?? []).map((f) => f.funcscope_category?.id);
      if (funcs.includes(CODE_MANAGEMENT_FUNC)) out.push(r.authorizerAppId);
    }
    cursor = page.complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}

function releaseId(id: string | undefined): string {
  if (!id || !/^r[0-9a-z]{9}[0-9a-f]{10}$/.test(id)) {
    throw new HttpError(404, "not_found", "No such release");
  }
  return id;
}

/** The release routes (mounted at `/api/v1/releases`). */
export function releaseRoutes(): Hono<AppEnv> {
  const api = new Hono<AppEnv>();

  api.post("/", limitBody(RELEASE_BODY_LIMIT), async (c) => {
    pollSeconds(c.env); // a malformed setting is a 500 before anything is stored
    let body: ReleaseRequest;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw new HttpError(400, "invalid_request", "The body must be JSON");
    }
    const now = Date.now();
    const id = newReleaseId(now);
    const authorizers = body && (body as { targets?: unknown }).targets === "all"
      ? await allMiniPrograms(c.get("service"))
      : undefined;
    let plan;
    try {
      plan = planRelease(body, { id, now, authorizers });
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) {
        throw new HttpError(400, "invalid_request", err.message);
      }
      throw err;
    }
    const summary = await unwrap(releaseObject(c.env, id).create(plan));
    return c.json(summary, 201);
  });

  api.get("/", async (c) => {
    const releases = await unwrap(releaseObject(c.env, INDEX_NAME).indexList());
    return c.json({ releases });
  });

  api.get("/:id", async (c) => {
    const id = releaseId(c.req.param("id"));
    return c.json(await unwrap(releaseObject(c.env, id).summary(true)));
  });

  api.post("/:id/cancel", async (c) => {
    const id = releaseId(c.req.param("id"));
    return c.json(await unwrap(releaseObject(c.env, id).cancel()));
  });

  api.post("/:id/targets/:appid/retry", appidParam(), async (c) => {
    const id = releaseId(c.req.param("id"));
    return c.json(await unwrap(releaseObject(c.env, id).retry(c.get("appid"))));
  });

  api.post("/:id/targets/:appid/release", appidParam(), async (c) => {
    const id = releaseId(c.req.param("id"));
    return c.json(await unwrap(releaseObject(c.env, id).release(c.get("appid"))));
  });

  return api;
}
