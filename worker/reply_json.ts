/**
 * The passive reply a forward target may answer with (`{ "reply": { "type": "text", … } }`,
 * docs/worker.md "Replies from the forward URL"), checked and turned into the core's reply XML.
 * Checked by hand rather than with a valibot schema: the core's reply builders already refuse
 * empty ids and article counts outside 1–8, and this keeps the worker's bundle smaller.
 *
 * @module
 */

import {
  imageReply,
  musicReply,
  newsReply,
  type ReplyHeader,
  textReply,
  transferCustomerServiceReply,
  videoReply,
  voiceReply,
} from "../src/reply.ts";

type Fields = Record<string, unknown>;

function object(value: unknown, where: string): Fields {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${where} must be an object`);
  }
  return value as Fields;
}

/** A string field (`required`: present), else a TypeError naming it. */
function text(o: Fields, name: string, where: string, required = false): string | undefined {
  const value = o[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string") throw new TypeError(`${where}.${name} must be a string`);
  return value;
}

/**
 * The reply XML for the JSON a forward target answered (`null`: no reply, `{}`), or throws a
 * `TypeError`/`RangeError` naming what is wrong.
 */
export function replyFromJson(json: unknown, header: ReplyHeader): string | null {
  const answer = object(json, "The answer");
  if (answer.reply === undefined) return null;
  const r = object(answer.reply, "reply");
  const s = (name: string, required = false) => text(r, name, "reply", required);
  switch (r.type) {
    case "text":
      return textReply(header, s("content", true)!);
    case "image":
      return imageReply(header, s("media_id", true)!);
    case "voice":
      return voiceReply(header, s("media_id", true)!);
    case "video":
      return videoReply(header, {
        MediaId: s("media_id", true)!,
        Title: s("title"),
        Description: s("description"),
      });
    case "music":
      return musicReply(header, {
        ThumbMediaId: s("thumb_media_id", true)!,
        Title: s("title"),
        Description: s("description"),
        MusicUrl: s("music_url"),
        HQMusicUrl: s("hq_music_url"),
      });
    case "news": {
      if (!Array.isArray(r.articles)) throw new TypeError("reply.articles must be an array");
      return newsReply(
        header,
        r.articles.map((item, i) => {
          const a = object(item, `reply.articles.${i}`);
          const at = `reply.articles.${i}`;
          return {
            Title: text(a, "title", at, true)!,
            Description: text(a, "description", at),
            PicUrl: text(a, "pic_url", at),
            Url: text(a, "url", at),
          };
        }),
      );
    }
    case "transfer_customer_service": {
      const kf = s("kf_account");
      return transferCustomerServiceReply(header, kf === undefined ? {} : { KfAccount: kf });
    }
    default:
      throw new TypeError(`reply.type ${JSON.stringify(r.type)} is not a passive reply type`);
  }
}
