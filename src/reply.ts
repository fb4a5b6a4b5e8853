/**
 * Passive replies (被动回复): the XML a server returns in the HTTP response to an authorizer
 * message, within WeChat's 5 s window — text, image, voice, video, music, news and transfer to
 * customer service. Strings are written as CDATA (a `]]>` inside is split safely), numbers bare.
 *
 * The result is plaintext reply XML; encrypt it with `MessageCrypto.seal(xml)` before answering
 * a third-party platform push (they are always in safe mode).
 *
 * @example Answer the release test
 * ```ts
 * import { parseMessage, replyTo, textReply } from "@wxopen/component/messages";
 *
 * const m = parseMessage(
 *   "<xml><ToUserName>gh_3c884a361561</ToUserName><FromUserName>ozy4qt5QUADNXORxCVipKMV9dss0</FromUserName>" +
 *     "<CreateTime>1413192760</CreateTime><MsgType>text</MsgType><Content>TESTCOMPONENT_MSG_TYPE_TEXT</Content></xml>",
 * );
 * const xml = textReply(replyTo(m), "TESTCOMPONENT_MSG_TYPE_TEXT_callback");
 * // then: await crypto.seal(xml)
 * ```
 *
 * @module
 */

import { buildXml, type XmlInputObject } from "./xml/build.ts";

/** Who a reply goes to and comes from, and when. */
export interface ReplyHeader {
  /** The user's openid (the incoming message's `FromUserName`). */
  ToUserName: string;
  /** The account's original id (the incoming message's `ToUserName`). */
  FromUserName: string;
  /** Unix seconds; defaults to now. */
  CreateTime?: number | string;
}

/** Options for {@linkcode replyTo}. */
export interface ReplyToOptions {
  /** Unix seconds to put in the reply; defaults to now at build time. */
  CreateTime?: number | string;
}

/**
 * The header of a reply to `message`: its `FromUserName` becomes `ToUserName` and vice versa.
 *
 * @param message the incoming message (anything with `ToUserName` and `FromUserName`)
 * @param options an explicit `CreateTime`
 * @returns the reply header
 *
 * @example Usage
 * ```ts
 * import { replyTo } from "@wxopen/component/messages";
 *
 * replyTo({ ToUserName: "gh_abc", FromUserName: "o_user" });
 * // { ToUserName: "o_user", FromUserName: "gh_abc" }
 * ```
 */
export function replyTo(
  message: { ToUserName: string; FromUserName: string },
  options: ReplyToOptions = {},
): ReplyHeader {
  const header: ReplyHeader = {
    ToUserName: message.FromUserName,
    FromUserName: message.ToUserName,
  };
  if (options.CreateTime !== undefined) header.CreateTime = options.CreateTime;
  return header;
}

function createTime(value: number | string | undefined): number | string {
  if (value === undefined) return Math.floor(Date.now() / 1000);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError("CreateTime must be a non-negative integer of seconds");
    }
    return value;
  }
  if (!/^[0-9]{1,16}$/.test(value)) {
    throw new RangeError("CreateTime must be a non-negative integer of seconds");
  }
  return value;
}

function nonEmpty(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`${name} must be a non-empty string`);
  }
  return value;
}

function reply(header: ReplyHeader, msgType: string, body: XmlInputObject): string {
  return buildXml({
    ToUserName: nonEmpty(header.ToUserName, "ToUserName"),
    FromUserName: nonEmpty(header.FromUserName, "FromUserName"),
    CreateTime: createTime(header.CreateTime),
    MsgType: msgType,
    ...body,
  });
}

/**
 * A text reply.
 *
 * @param header addressing (see {@linkcode replyTo})
 * @param content the text
 * @returns the reply XML
 * @throws {TypeError} for an empty address or a non-string content
 *
 * @example Usage
 * ```ts
 * import { textReply } from "@wxopen/component/messages";
 *
 * textReply({ ToUserName: "o_user", FromUserName: "gh_abc", CreateTime: 1700000000 }, "hi");
 * // <xml><ToUserName><![CDATA[o_user]]></ToUserName>…<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>
 * ```
 */
export function textReply(header: ReplyHeader, content: string): string {
  if (typeof content !== "string") throw new TypeError("Content must be a string");
  return reply(header, "text", { Content: content });
}

/**
 * An image reply.
 *
 * @param header addressing
 * @param mediaId the uploaded image's media id
 * @returns the reply XML
 *
 * @example Usage
 * ```ts
 * import { imageReply } from "@wxopen/component/messages";
 *
 * imageReply({ ToUserName: "o_user", FromUserName: "gh_abc" }, "media_id");
 * ```
 */
export function imageReply(header: ReplyHeader, mediaId: string): string {
  return reply(header, "image", { Image: { MediaId: nonEmpty(mediaId, "MediaId") } });
}

/**
 * A voice reply.
 *
 * @param header addressing
 * @param mediaId the uploaded voice's media id
 * @returns the reply XML
 *
 * @example Usage
 * ```ts
 * import { voiceReply } from "@wxopen/component/messages";
 *
 * voiceReply({ ToUserName: "o_user", FromUserName: "gh_abc" }, "media_id");
 * ```
 */
export function voiceReply(header: ReplyHeader, mediaId: string): string {
  return reply(header, "voice", { Voice: { MediaId: nonEmpty(mediaId, "MediaId") } });
}

/** The video of a {@linkcode videoReply}. */
export interface VideoReplyContent {
  /** The uploaded video's media id. */
  MediaId: string;
  /** Title. */
  Title?: string;
  /** Description. */
  Description?: string;
}

/**
 * A video reply.
 *
 * @param header addressing
 * @param video media id, title, description
 * @returns the reply XML
 *
 * @example Usage
 * ```ts
 * import { videoReply } from "@wxopen/component/messages";
 *
 * videoReply({ ToUserName: "o_user", FromUserName: "gh_abc" }, { MediaId: "m", Title: "t" });
 * ```
 */
export function videoReply(header: ReplyHeader, video: VideoReplyContent): string {
  return reply(header, "video", {
    Video: {
      MediaId: nonEmpty(video.MediaId, "MediaId"),
      Title: video.Title,
      Description: video.Description,
    },
  });
}

/** The music of a {@linkcode musicReply}. */
export interface MusicReplyContent {
  /** Title. */
  Title?: string;
  /** Description. */
  Description?: string;
  /** Music URL. */
  MusicUrl?: string;
  /** High-quality music URL, preferred on Wi-Fi. */
  HQMusicUrl?: string;
  /** The thumbnail's media id (required by WeChat). */
  ThumbMediaId: string;
}

/**
 * A music reply.
 *
 * @param header addressing
 * @param music title, description, URLs, thumbnail
 * @returns the reply XML
 *
 * @example Usage
 * ```ts
 * import { musicReply } from "@wxopen/component/messages";
 *
 * musicReply({ ToUserName: "o_user", FromUserName: "gh_abc" }, {
 *   Title: "t",
 *   MusicUrl: "https://example.com/a.mp3",
 *   ThumbMediaId: "thumb",
 * });
 * ```
 */
export function musicReply(header: ReplyHeader, music: MusicReplyContent): string {
  return reply(header, "music", {
    Music: {
      Title: music.Title,
      Description: music.Description,
      MusicUrl: music.MusicUrl,
      HQMusicUrl: music.HQMusicUrl,
      ThumbMediaId: nonEmpty(music.ThumbMediaId, "ThumbMediaId"),
    },
  });
}

/** One article of a {@linkcode newsReply}. */
export interface NewsArticle {
  /** Title. */
  Title: string;
  /** Description. */
  Description?: string;
  /** Picture URL (360×200 for the first, 200×200 for the others). */
  PicUrl?: string;
  /** Link opened on tap. */
  Url?: string;
}

/** Most articles one news reply may carry. */
export const MAX_NEWS_ARTICLES = 8;

/**
 * A news (article list) reply of 1 to 8 articles. (WeChat shows only one article when the reply
 * answers a text, image, voice, video, link or location message.)
 *
 * @param header addressing
 * @param articles 1..8 articles
 * @returns the reply XML
 * @throws {RangeError} for no article or more than 8
 *
 * @example Usage
 * ```ts
 * import { newsReply } from "@wxopen/component/messages";
 *
 * newsReply({ ToUserName: "o_user", FromUserName: "gh_abc" }, [
 *   { Title: "Hello", Description: "d", PicUrl: "https://example.com/p.png", Url: "https://example.com" },
 * ]);
 * ```
 */
export function newsReply(header: ReplyHeader, articles: readonly NewsArticle[]): string {
  if (!Array.isArray(articles) || articles.length < 1 || articles.length > MAX_NEWS_ARTICLES) {
    throw new RangeError(`A news reply needs 1 to ${MAX_NEWS_ARTICLES} articles`);
  }
  return reply(header, "news", {
    ArticleCount: articles.length,
    Articles: {
      item: articles.map((a) => ({
        Title: typeof a.Title === "string" ? a.Title : nonEmpty(a.Title, "Title"),
        Description: a.Description,
        PicUrl: a.PicUrl,
        Url: a.Url,
      })),
    },
  });
}

/** Options for {@linkcode transferCustomerServiceReply}. */
export interface TransferCustomerServiceOptions {
  /** Hand the conversation to this customer-service account (`name@account`). */
  KfAccount?: string;
}

/**
 * Hand the conversation to customer service (MsgType `transfer_customer_service`), optionally
 * to one agent.
 *
 * @param header addressing
 * @param options a specific agent
 * @returns the reply XML
 *
 * @example Usage
 * ```ts
 * import { transferCustomerServiceReply } from "@wxopen/component/messages";
 *
 * transferCustomerServiceReply({ ToUserName: "o_user", FromUserName: "gh_abc" }, { KfAccount: "test1@test" });
 * ```
 */
export function transferCustomerServiceReply(
  header: ReplyHeader,
  options: TransferCustomerServiceOptions = {},
): string {
  return reply(
    header,
    "transfer_customer_service",
    options.KfAccount === undefined
      ? {}
      : { TransInfo: { KfAccount: nonEmpty(options.KfAccount, "KfAccount") } },
  );
}
