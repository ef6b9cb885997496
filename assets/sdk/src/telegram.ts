import { INVITE_SECRET_LENGTH, ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH } from "./constants.js";

// The room code alphabet comes from the server's definitions (constants.ts).
export { ROOM_CODE_ALPHABET };

/** `ROOM_CODE_LENGTH` characters of `ROOM_CODE_ALPHABET`, in any case, and
 * for a private room's invite a dash and `INVITE_SECRET_LENGTH` more. */
const CHARS = `[${ROOM_CODE_ALPHABET.replace(/[\\\]^-]/g, "\\$&")}]`;
const ROOM_CODE = new RegExp(`^${CHARS}{${ROOM_CODE_LENGTH}}(-${CHARS}{${INVITE_SECRET_LENGTH}})?$`, "i");

/** Whether `value` is a room code or a private room's invite (`CODE-SECRET`), in any case: what `join` accepts. */
export function isRoomCode(value: unknown): value is string {
  return typeof value === "string" && ROOM_CODE.test(value);
}

/** What the page was launched with inside Telegram, if it was. */
export interface TelegramLaunch {
  /** `Telegram.WebApp.initData`, untouched; undefined outside Telegram. */
  initData?: string;
  /** `start_param` from a `t.me/<bot>/<app>?startapp=<value>` link. */
  startParam?: string;
}

interface TelegramGlobal {
  Telegram?: {
    WebApp?: {
      initData?: unknown;
      initDataUnsafe?: { start_param?: unknown };
    };
  };
  location?: { search?: string };
}

/**
 * Reads `window.Telegram.WebApp` (from telegram-web-app.js). Without that
 * script, the start parameter is still read from the `tgWebAppStartParam`
 * query parameter Telegram adds to the page's address.
 */
export function telegramLaunch(): TelegramLaunch {
  const g = globalThis as unknown as TelegramGlobal;
  const app = g.Telegram?.WebApp;
  const launch: TelegramLaunch = {};
  if (typeof app?.initData === "string" && app.initData !== "") launch.initData = app.initData;
  const param = app?.initDataUnsafe?.start_param;
  if (typeof param === "string" && param !== "") {
    launch.startParam = param;
  } else if (typeof g.location?.search === "string") {
    const fromUrl = new URLSearchParams(g.location.search).get("tgWebAppStartParam");
    if (fromUrl) launch.startParam = fromUrl;
  }
  return launch;
}

/** A guest name for a player outside Telegram: "Guest 1234". */
export function guestName(): string {
  return `Guest ${1000 + Math.floor(Math.random() * 9000)}`;
}
