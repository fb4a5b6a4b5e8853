/**
 * This isolate's side of the authorizers' message ledgers (`objects/ledger.ts`). Each claim is
 * one call to the authorizer's object, made by the request that needs it, and carries the
 * answers this isolate gave that object's messages since the last call; answers with no claim to
 * travel with go within {@linkcode ANSWER_WAIT_MS}, sent by the request that recorded the first
 * of them. (A call per answer cost the message path a tenth of its throughput. Claims are not
 * batched across requests: workerd cancels a request that waits on another request's I/O.)
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { authorizerObject } from "./credentials.ts";
import type { Env } from "./env.ts";
import type { Claim } from "./objects/ledger.ts";
import { unwrap } from "./objects/result.ts";

/** How long answers wait for a claim to travel with before they go alone. */
const ANSWER_WAIT_MS = 5;

type Answer = [key: string, reply: string | null];

/** Answers not yet sent, by authorizer. */
const unsent = new Map<string, Answer[]>();

function takeAnswers(appid: string): Answer[] {
  const answers = unsent.get(appid) ?? [];
  unsent.delete(appid);
  return answers;
}

async function call(env: Env, appid: string, claims: string[]): Promise<Claim[]> {
  const answers = takeAnswers(appid);
  try {
    return await unwrap(authorizerObject(env, appid).messages(appid, answers, claims));
  } catch (err) {
    if (answers.length > 0) {
      console.warn(`[wxopen] answers were not recorded: ${(err as Error).name}`);
    }
    throw err;
  }
}

/**
 * Takes the message `key` of `appid`, or tells how an earlier copy was answered; a copy that
 * finds another being answered waits up to `waitMs` for that answer.
 */
export async function claimMessage(
  env: Env,
  appid: string,
  key: string,
  waitMs: number,
): Promise<Claim> {
  const [claim] = await call(env, appid, [key]);
  if (claim.state !== "busy" || waitMs <= 0) return claim;
  return await unwrap(authorizerObject(env, appid).claimMessage(appid, key, waitMs));
}

/**
 * Records how a taken message was answered (`reply`: the plaintext XML; `null`: `success`),
 * with the next claim of the same authorizer or within {@linkcode ANSWER_WAIT_MS}. A copy that
 * arrives meanwhile waits in the ledger for it.
 */
export function recordAnswer(
  env: Env,
  ctx: ExecutionContext,
  appid: string,
  key: string,
  reply: string | null,
): void {
  const answers = unsent.get(appid);
  if (answers) {
    answers.push([key, reply]);
    return;
  }
  unsent.set(appid, [[key, reply]]);
  ctx.waitUntil(
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, ANSWER_WAIT_MS));
      // A claim may have taken them meanwhile.
      if (unsent.has(appid)) await call(env, appid, []);
    })().catch(() => {}),
  );
}
