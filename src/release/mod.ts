/**
 * `@wxopen/component/release` — fleet releases: ship one template to many authorized mini
 * programs (sync settings, commit, submit for audit within the audit quota, wait for WeChat's
 * verdict, release or gray release, verify). {@linkcode planRelease} checks a request,
 * the machine ({@linkcode nextAction}, {@linkcode applyOutcome}) moves one target, and
 * {@linkcode ReleaseRunner} runs a release over a `Store` and a {@linkcode ReleaseApi}
 * ({@linkcode releaseApi} builds one from `AuthorizerCalls`).
 *
 * @example Plan a release and see the first call of a target
 * ```ts
 * import { newTarget, nextAction, planRelease, startTarget } from "@wxopen/component/release";
 *
 * const plan = planRelease({
 *   template_id: 3,
 *   user_version: "2.0.0",
 *   user_desc: "new checkout",
 *   targets: ["wx00000000000000a1"],
 * }, { id: "r1", now: 0 });
 * const target = startTarget(plan, newTarget("wx00000000000000a1", 0), 0);
 * console.log(target.state, nextAction(plan, target)); // "committing" { kind: "commit" }
 * ```
 *
 * @module
 */

export * from "./plan.ts";
export * from "./machine.ts";
export * from "./api.ts";
export * from "./runner.ts";
export type * from "../store/store.ts";
