import { ROOM_CODE_ALPHABET } from "./constants.js";
export { ROOM_CODE_ALPHABET };
/** Whether `value` is a room code or a private room's invite (`CODE-SECRET`), in any case: what `join` accepts. */
export declare function isRoomCode(value: unknown): value is string;
/** What the page was launched with inside Telegram, if it was. */
export interface TelegramLaunch {
    /** `Telegram.WebApp.initData`, untouched; undefined outside Telegram. */
    initData?: string;
    /** `start_param` from a `t.me/<bot>/<app>?startapp=<value>` link. */
    startParam?: string;
}
/**
 * Reads `window.Telegram.WebApp` (from telegram-web-app.js). Without that
 * script, the start parameter is still read from the `tgWebAppStartParam`
 * query parameter Telegram adds to the page's address.
 */
export declare function telegramLaunch(): TelegramLaunch;
/** A guest name for a player outside Telegram: "Guest 1234". */
export declare function guestName(): string;
