/**
 * The passive reply a forward target may answer with (`{ "reply": { "type": "text", … } }`,
 * docs/worker.md "Replies from the forward URL"), checked and turned into the core's reply XML.
 *
 * @module
 */

import * as v from "valibot";
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

const str = v.string();
const opt = v.optional(v.string());

const ReplySchema = v.variant("type", [
  v.looseObject({ type: v.literal("text"), content: str }),
  v.looseObject({ type: v.literal("image"), media_id: str }),
  v.looseObject({ type: v.literal("voice"), media_id: str }),
  v.looseObject({
    type: v.literal("video"),
    media_id: str,
    title: opt,
    description: opt,
  }),
  v.looseObject({
    type: v.literal("music"),
    thumb_media_id: str,
    title: opt,
    description: opt,
    music_url: opt,
    hq_music_url: opt,
  }),
  v.looseObject({
    type: v.literal("news"),
    articles: v.array(
      v.looseObject({ title: str, description: opt, pic_url: opt, url: opt }),
    ),
  }),
  v.looseObject({ type: v.literal("transfer_customer_service"), kf_account: opt }),
]);

const AnswerSchema = v.looseObject({ reply: v.optional(ReplySchema) });

/**
 * The reply XML for the JSON a forward target answered (`null`: no reply, `{}`), or throws a
 * `TypeError`/`RangeError` naming what is wrong.
 */
export function replyFromJson(json: unknown, header: ReplyHeader): string | null {
  const parsed = v.safeParse(AnswerSchema, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join(".") ?? "";
    throw new TypeError(`The reply is not valid${path ? ` at ${path}` : ""}: ${issue.message}`);
  }
  const r = parsed.output.reply;
  if (r === undefined) return null;
  switch (r.type) {
    case "text":
      return textReply(header, r.content);
    case "image":
      return imageReply(header, r.media_id);
    case "voice":
      return voiceReply(header, r.media_id);
    case "video":
      return videoReply(header, {
        MediaId: r.media_id,
        Title: r.title,
        Description: r.description,
      });
    case "music":
      return musicReply(header, {
        ThumbMediaId: r.thumb_media_id,
        Title: r.title,
        Description: r.description,
        MusicUrl: r.music_url,
        HQMusicUrl: r.hq_music_url,
      });
    case "news":
      return newsReply(
        header,
        r.articles.map((a) => ({
          Title: a.title,
          Description: a.description,
          PicUrl: a.pic_url,
          Url: a.url,
        })),
      );
    case "transfer_customer_service":
      return transferCustomerServiceReply(
        header,
        r.kf_account === undefined ? {} : { KfAccount: r.kf_account },
      );
  }
}
