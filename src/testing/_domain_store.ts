/**
 * What the simulated WeChat remembers of domains: each mini program's server domains (six
 * lists) and web-view domains, and the platform's registered mini-program server and web-view
 * (jump) domains, each with a testing and a published value.
 *
 * @module
 */

import { randomBytes, toHex } from "../_bytes.ts";

/** The six server-domain lists of one mini program. */
export type ServerDomainLists = Record<
  | "requestdomain"
  | "wsrequestdomain"
  | "uploaddomain"
  | "downloaddomain"
  | "udpdomain"
  | "tcpdomain",
  string[]
>;

/** One mini program's domains. */
export interface AccountDomains {
  server: ServerDomainLists;
  webview: string[];
  /** Its web-view confirm file, made on first request. */
  confirmFile?: { file_name: string; file_content: string };
}

/** A platform domain list: what its testing and its published versions use. */
export interface PlatformDomains {
  testing: string[];
  published: string[];
}

/** A confirm file shaped like WeChat's: ten hex digits `.txt`, 32 hex digits inside. */
export function newConfirmFile(): { file_name: string; file_content: string } {
  return { file_name: `${toHex(randomBytes(5))}.txt`, file_content: toHex(randomBytes(16)) };
}

/** Every domain the simulator knows, per mini program and for the platform. */
export class DomainStore {
  readonly #accounts = new Map<string, AccountDomains>();
  /** `modify_wxa_server_domain`. */
  readonly platformServer: PlatformDomains = { testing: [], published: [] };
  /** `modify_wxa_jump_domain`. */
  readonly platformJump: PlatformDomains = { testing: [], published: [] };
  /** `get_domain_confirmfile`, made on first request. */
  platformConfirmFile?: { file_name: string; file_content: string };

  /** The domains of mini program `appId` (none at first). */
  of(appId: string): AccountDomains {
    let rec = this.#accounts.get(appId);
    if (!rec) {
      rec = {
        server: {
          requestdomain: [],
          wsrequestdomain: [],
          uploaddomain: [],
          downloaddomain: [],
          udpdomain: [],
          tcpdomain: [],
        },
        webview: [],
      };
      this.#accounts.set(appId, rec);
    }
    return rec;
  }
}
